-- Deployments (immutable snapshots of a REST API) and stages, which point
-- at a deployment and may carry a client certificate. The certificate
-- index serves DeleteCertificate's "still used by a stage" check.
CREATE TABLE api_deployments (
    id          TEXT    NOT NULL PRIMARY KEY,
    api_id      TEXT    NOT NULL,
    account_id  TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    description TEXT    NOT NULL,
    snapshot    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX api_deployments_api ON api_deployments (api_id, created_at, id);

CREATE TABLE api_stages (
    api_id                TEXT    NOT NULL,
    name                  TEXT    NOT NULL,
    account_id            TEXT    NOT NULL,
    region                TEXT    NOT NULL,
    deployment_id         TEXT    NOT NULL,
    client_certificate_id TEXT    NOT NULL,
    doc                   TEXT    NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    version               INTEGER NOT NULL,
    PRIMARY KEY (api_id, name)
) STRICT;

CREATE INDEX api_stages_deployment ON api_stages (deployment_id);
CREATE INDEX api_stages_certificate ON api_stages (account_id, region, client_certificate_id);
