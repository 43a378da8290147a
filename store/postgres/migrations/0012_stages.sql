-- Deployments (immutable snapshots of a REST API) and stages, which point
-- at a deployment and may carry a client certificate. The certificate
-- index serves DeleteCertificate's "still used by a stage" check.
CREATE TABLE api_deployments (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    api_id      TEXT COLLATE "C" NOT NULL,
    account_id  TEXT COLLATE "C" NOT NULL,
    region      TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C" NOT NULL,
    snapshot    TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT  NOT NULL
);

CREATE INDEX api_deployments_api ON api_deployments (api_id, created_at, id);

CREATE TABLE api_stages (
    api_id                TEXT COLLATE "C" NOT NULL,
    name                  TEXT COLLATE "C" NOT NULL,
    account_id            TEXT COLLATE "C" NOT NULL,
    region                TEXT COLLATE "C" NOT NULL,
    deployment_id         TEXT COLLATE "C" NOT NULL,
    client_certificate_id TEXT COLLATE "C" NOT NULL,
    doc                   TEXT COLLATE "C" NOT NULL,
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL,
    version               BIGINT  NOT NULL,
    PRIMARY KEY (api_id, name)
);

CREATE INDEX api_stages_deployment ON api_stages (deployment_id);
CREATE INDEX api_stages_certificate ON api_stages (account_id, region, client_certificate_id);
