-- Amazon API Gateway REST APIs, scoped per account and region, with their
-- resource tree and methods. The fields the store never filters on are kept
-- as one JSON document (doc). tree_version moves with every resource write
-- (optimistic concurrency for the path rules); resources counts the tree,
-- root included, for the resource quota.
CREATE TABLE rest_apis (
    id           TEXT    NOT NULL PRIMARY KEY,
    account_id   TEXT    NOT NULL,
    region       TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    doc          TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    tree_version INTEGER NOT NULL,
    resources    INTEGER NOT NULL
) STRICT;

CREATE INDEX rest_apis_scope ON rest_apis (account_id, region, created_at, id);

CREATE TABLE rest_api_counts (
    account_id TEXT    NOT NULL,
    region     TEXT    NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (account_id, region)
) STRICT;

CREATE TABLE api_resources (
    id         TEXT    NOT NULL PRIMARY KEY,
    api_id     TEXT    NOT NULL,
    account_id TEXT    NOT NULL,
    region     TEXT    NOT NULL,
    parent_id  TEXT    NOT NULL,
    path_part  TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX api_resources_api ON api_resources (api_id, created_at, id);

CREATE TABLE api_methods (
    resource_id TEXT    NOT NULL,
    http_method TEXT    NOT NULL,
    api_id      TEXT    NOT NULL,
    account_id  TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    doc         TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (resource_id, http_method)
) STRICT;

CREATE INDEX api_methods_api ON api_methods (api_id, resource_id, http_method);
