-- Gateway instances (Huawei's {instance_id}), scoped by account.
CREATE TABLE instances (
    id         TEXT    NOT NULL PRIMARY KEY,
    account_id TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX instances_account ON instances (account_id, created_at, id);
