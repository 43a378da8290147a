-- Custom domains of API groups. One data plane serves every instance, so a
-- name is unique per listener across all accounts: the partial indexes
-- below allow the same name on two different ports, and none twice on one.
-- A port of 0 is the gateway's own listener of that protocol, -1 none.
CREATE TABLE domains (
    id              TEXT COLLATE "C" NOT NULL,
    account_id      TEXT COLLATE "C" NOT NULL,
    instance_id     TEXT COLLATE "C" NOT NULL,
    group_id        TEXT COLLATE "C" NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    min_tls_version TEXT             NOT NULL,
    redirect_http   BIGINT           NOT NULL,
    verify_clients  BIGINT           NOT NULL,
    http_port       BIGINT           NOT NULL,
    https_port      BIGINT           NOT NULL,
    created_at      BIGINT           NOT NULL,
    updated_at      BIGINT           NOT NULL,
    version         BIGINT           NOT NULL,
    CONSTRAINT domains_pkey PRIMARY KEY (id)
);

CREATE UNIQUE INDEX domains_http ON domains (name, http_port) WHERE http_port <> -1;
CREATE UNIQUE INDEX domains_https ON domains (name, https_port) WHERE https_port <> -1;
CREATE INDEX domains_group ON domains (group_id, created_at, id);
CREATE INDEX domains_account ON domains (account_id);
