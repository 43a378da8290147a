-- Gateway instances (Huawei's {instance_id}), scoped by account.
CREATE TABLE instances (
    id         TEXT COLLATE "C" NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL,
    name       TEXT             NOT NULL,
    created_at BIGINT           NOT NULL,
    CONSTRAINT instances_pkey PRIMARY KEY (id)
);

CREATE INDEX instances_account ON instances (account_id, created_at, id);
