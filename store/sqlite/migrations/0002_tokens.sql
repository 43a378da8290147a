-- X-Auth-Token records. Only a hash of each token is stored, so a copy of the
-- database cannot be used to call the API.
CREATE TABLE tokens (
    hash          TEXT    NOT NULL PRIMARY KEY,
    access_key_id TEXT    NOT NULL REFERENCES access_keys (id),
    account_id    TEXT    NOT NULL REFERENCES accounts (id),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX tokens_expiry ON tokens (expires_at);
