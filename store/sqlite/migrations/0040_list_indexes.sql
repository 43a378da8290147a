-- One index per list filter, each the scope, the filtered column, then list
-- order: a filtered page is a range of one index in list order (no sort, no
-- walk over the tenant's other rows), and a filtered count walks only the
-- matching entries. Name is served by certificates_name (0001), Type global
-- by certificates_instance at instance_id = '', Type instance by the partial
-- certificates_instanced (and, for a count, the range instance_id > '').
-- See store/internal/sqlstore/listsql.go.
--
-- The short filter columns trail each index (after id, so they change no
-- order): when filters are combined, the one index in use checks the others
-- from its own entries instead of reading each row, and an offset's walk
-- stays inside the index.
CREATE INDEX certificates_common_name ON certificates
    (account_id, region, kind, common_name, created_at, id, instance_id, key_algorithm, signature_algorithm);
CREATE INDEX certificates_signature_algorithm ON certificates
    (account_id, region, kind, signature_algorithm, created_at, id, instance_id, key_algorithm);
CREATE INDEX certificates_key_algorithm ON certificates
    (account_id, region, kind, key_algorithm, created_at, id, instance_id, signature_algorithm);
CREATE INDEX certificates_instance ON certificates
    (account_id, region, kind, instance_id, created_at, id, key_algorithm, signature_algorithm);
-- Kept narrow (instance_id only, for an offset's walk): SQLite, without
-- statistics, weighs it against certificates_scope by width, and takes it
-- only while it is about as narrow (TestListPlans watches that).
CREATE INDEX certificates_instanced ON certificates
    (account_id, region, kind, created_at, id, instance_id) WHERE instance_id <> '';
