-- One index per list filter, each the scope, the filtered column, then list
-- order: a filtered page is a range of one index in list order (no sort, no
-- walk over the tenant's other rows), and a filtered count walks only the
-- matching entries. Name is served by certificates_name (0001), Type global
-- by certificates_instance at instance_id = '', Type instance by the partial
-- certificates_instanced. See store/internal/sqlstore/listsql.go.
CREATE INDEX certificates_common_name ON certificates (account_id, region, kind, common_name, created_at, id);
CREATE INDEX certificates_signature_algorithm ON certificates (account_id, region, kind, signature_algorithm, created_at, id);
CREATE INDEX certificates_key_algorithm ON certificates (account_id, region, kind, key_algorithm, created_at, id);
CREATE INDEX certificates_instance ON certificates (account_id, region, kind, instance_id, created_at, id);
-- instance_id, last, makes it covering for an offset's walk in SQLite.
CREATE INDEX certificates_instanced ON certificates (account_id, region, kind, created_at, id, instance_id) WHERE instance_id <> '';
