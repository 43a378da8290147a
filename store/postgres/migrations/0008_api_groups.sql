-- API groups of an instance. Names are unique per instance; an instance id
-- is unique across accounts, so (instance_id, name) is enough.
CREATE TABLE api_groups (
    id          TEXT COLLATE "C" NOT NULL,
    account_id  TEXT COLLATE "C" NOT NULL,
    instance_id TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    remark      TEXT             NOT NULL,
    created_at  BIGINT           NOT NULL,
    updated_at  BIGINT           NOT NULL,
    version     BIGINT           NOT NULL,
    CONSTRAINT api_groups_pkey PRIMARY KEY (id)
);

CREATE UNIQUE INDEX api_groups_name ON api_groups (instance_id, name);
CREATE INDEX api_groups_scope ON api_groups (account_id, instance_id, created_at, id);
