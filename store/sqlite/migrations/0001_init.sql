-- Initial schema. Times are Unix microseconds (UTC) in INTEGER columns, tags
-- and SANs are JSON text, so that the DML in the Go code stays portable to
-- PostgreSQL (where INTEGER becomes BIGINT and BLOB becomes BYTEA). STRICT
-- makes SQLite reject a value of the wrong type instead of storing it.

CREATE TABLE accounts (
    id         TEXT    NOT NULL PRIMARY KEY,
    project_id TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE access_keys (
    id            TEXT    NOT NULL PRIMARY KEY,
    account_id    TEXT    NOT NULL REFERENCES accounts (id),
    secret_sealed BLOB    NOT NULL,
    seal_key_id   TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX access_keys_account ON access_keys (account_id);

-- Certificates carry no foreign key to accounts: the store contract does not
-- require the account to exist, and the certs layer owns that check.
CREATE TABLE certificates (
    id                  TEXT    NOT NULL PRIMARY KEY,
    account_id          TEXT    NOT NULL,
    region              TEXT    NOT NULL,
    kind                TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    description         TEXT    NOT NULL,
    tags                TEXT    NOT NULL, -- JSON object, sorted keys
    instance_id         TEXT    NOT NULL,
    certificate_pem     TEXT    NOT NULL,
    key_sealed          BLOB    NOT NULL,
    seal_key_id         TEXT    NOT NULL,
    trusted_root_ca     TEXT    NOT NULL,
    common_name         TEXT    NOT NULL,
    sans                TEXT    NOT NULL, -- JSON array
    not_before          INTEGER NOT NULL,
    not_after           INTEGER NOT NULL,
    serial_number       TEXT    NOT NULL,
    signature_algorithm TEXT    NOT NULL,
    key_algorithm       TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    version             INTEGER NOT NULL
) STRICT;

-- Serves every certificate query: scope and kind equality, then list order.
CREATE INDEX certificates_scope ON certificates (account_id, region, kind, created_at, id);

-- Names are unique per account and kind (across regions), but only when set.
CREATE UNIQUE INDEX certificates_name ON certificates (account_id, kind, name) WHERE name <> '';

-- One counter per quota scope, updated in the same transaction as the
-- certificate rows, so that the quota check is a row-level compare-and-add
-- rather than a COUNT(*) racing with other writers.
CREATE TABLE cert_counts (
    account_id TEXT    NOT NULL,
    region     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, kind)
) STRICT;

CREATE TABLE meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
