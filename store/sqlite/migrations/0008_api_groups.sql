-- API groups of an instance. Names are unique per instance; an instance id
-- is unique across accounts, so (instance_id, name) is enough.
CREATE TABLE api_groups (
    id          TEXT    NOT NULL PRIMARY KEY,
    account_id  TEXT    NOT NULL,
    instance_id TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    remark      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX api_groups_name ON api_groups (instance_id, name);
CREATE INDEX api_groups_scope ON api_groups (account_id, instance_id, created_at, id);
