-- X-Auth-Token records. Only a hash of each token is stored, so a copy of the
-- database cannot be used to call the API.
CREATE TABLE tokens (
    hash          TEXT COLLATE "C" NOT NULL,
    access_key_id TEXT COLLATE "C" NOT NULL,
    account_id    TEXT COLLATE "C" NOT NULL,
    created_at    BIGINT           NOT NULL,
    expires_at    BIGINT           NOT NULL,
    CONSTRAINT tokens_pkey PRIMARY KEY (hash),
    CONSTRAINT tokens_access_key_id_fkey FOREIGN KEY (access_key_id) REFERENCES access_keys (id),
    CONSTRAINT tokens_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id)
);

CREATE INDEX tokens_expiry ON tokens (expires_at);
