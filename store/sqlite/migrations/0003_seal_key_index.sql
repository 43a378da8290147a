-- The start-up check (which master keys are in use) and master-key rotation
-- look records up by seal_key_id; without an index both scan every row.
CREATE INDEX certificates_seal_key ON certificates (seal_key_id);
CREATE INDEX access_keys_seal_key ON access_keys (seal_key_id);
