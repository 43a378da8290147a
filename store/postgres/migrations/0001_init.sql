-- Initial schema, equivalent to store/sqlite/migrations/0001_init.sql:
-- INTEGER becomes BIGINT, BLOB becomes BYTEA; times stay Unix microseconds
-- (UTC) and tags and SANs JSON text, so the DML is the same in both backends.
--
-- Every TEXT column that is part of a key or an index, or that a query
-- sorts by, is COLLATE "C": ids and key ids then sort in byte order, as in
-- SQLite (list, ListSealed and SealKeyIDs order depend on it), whatever the
-- database's default collation is, and those indexes do not depend on the C
-- library's locale data, which can change under an OS upgrade.
-- PostgreSQL-specific: CockroachDB rejects column-level "C" collations, but
-- sorts strings in byte order anyway, so there the clauses can be removed.
--
-- Constraints are named explicitly: the store maps a unique violation to
-- its Reason by constraint name, and the names must not depend on the
-- server's naming rules.

CREATE TABLE accounts (
    id         TEXT COLLATE "C" NOT NULL,
    project_id TEXT COLLATE "C" NOT NULL,
    name       TEXT             NOT NULL,
    created_at BIGINT           NOT NULL,
    CONSTRAINT accounts_pkey PRIMARY KEY (id),
    CONSTRAINT accounts_project_id_key UNIQUE (project_id)
);

CREATE TABLE access_keys (
    id            TEXT COLLATE "C" NOT NULL,
    account_id    TEXT COLLATE "C" NOT NULL,
    secret_sealed BYTEA            NOT NULL,
    seal_key_id   TEXT COLLATE "C" NOT NULL,
    created_at    BIGINT           NOT NULL,
    CONSTRAINT access_keys_pkey PRIMARY KEY (id),
    CONSTRAINT access_keys_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id)
);

CREATE INDEX access_keys_account ON access_keys (account_id);

-- Certificates carry no foreign key to accounts: the store contract does not
-- require the account to exist, and the certs layer owns that check.
CREATE TABLE certificates (
    id                  TEXT COLLATE "C" NOT NULL,
    account_id          TEXT COLLATE "C" NOT NULL,
    region              TEXT COLLATE "C" NOT NULL,
    kind                TEXT COLLATE "C" NOT NULL,
    name                TEXT COLLATE "C" NOT NULL,
    description         TEXT             NOT NULL,
    tags                TEXT             NOT NULL, -- JSON object, sorted keys
    instance_id         TEXT             NOT NULL,
    certificate_pem     TEXT             NOT NULL,
    key_sealed          BYTEA            NOT NULL,
    seal_key_id         TEXT COLLATE "C" NOT NULL,
    trusted_root_ca     TEXT             NOT NULL,
    common_name         TEXT             NOT NULL,
    sans                TEXT             NOT NULL, -- JSON array
    not_before          BIGINT           NOT NULL,
    not_after           BIGINT           NOT NULL,
    serial_number       TEXT             NOT NULL,
    signature_algorithm TEXT             NOT NULL,
    key_algorithm       TEXT             NOT NULL,
    created_at          BIGINT           NOT NULL,
    updated_at          BIGINT           NOT NULL,
    version             BIGINT           NOT NULL,
    CONSTRAINT certificates_pkey PRIMARY KEY (id)
);

-- Serves every certificate query: scope and kind equality, then list order.
CREATE INDEX certificates_scope ON certificates (account_id, region, kind, created_at, id);

-- Names are unique per account and kind (across regions), but only when set.
CREATE UNIQUE INDEX certificates_name ON certificates (account_id, kind, name) WHERE name <> '';

-- One counter per quota scope, updated in the same transaction as the
-- certificate rows, so that the quota check is a row-level compare-and-add
-- (the row lock serializes concurrent creators under READ COMMITTED) rather
-- than a COUNT(*) racing with other writers.
CREATE TABLE cert_counts (
    account_id TEXT COLLATE "C" NOT NULL,
    region     TEXT COLLATE "C" NOT NULL,
    kind       TEXT COLLATE "C" NOT NULL,
    n          BIGINT           NOT NULL,
    CONSTRAINT cert_counts_pkey PRIMARY KEY (account_id, region, kind)
);

CREATE TABLE meta (
    key   TEXT COLLATE "C" NOT NULL,
    value TEXT             NOT NULL,
    CONSTRAINT meta_pkey PRIMARY KEY (key)
);
