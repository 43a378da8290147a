-- Amazon API Gateway REST APIs, scoped per account and region, with their
-- resource tree and methods. The fields the store never filters on are kept
-- as one JSON document (doc). tree_version moves with every resource write
-- (optimistic concurrency for the path rules); resources counts the tree,
-- root included, for the resource quota.
CREATE TABLE rest_apis (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id   TEXT COLLATE "C" NOT NULL,
    region       TEXT COLLATE "C" NOT NULL,
    name         TEXT COLLATE "C" NOT NULL,
    doc          TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT  NOT NULL,
    version      BIGINT  NOT NULL,
    tree_version BIGINT  NOT NULL,
    resources    BIGINT  NOT NULL
);

CREATE INDEX rest_apis_scope ON rest_apis (account_id, region, created_at, id);

CREATE TABLE rest_api_counts (
    account_id TEXT COLLATE "C" NOT NULL,
    region     TEXT COLLATE "C" NOT NULL,
    n          BIGINT  NOT NULL,
    PRIMARY KEY (account_id, region)
);

CREATE TABLE api_resources (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    api_id     TEXT COLLATE "C" NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL,
    region     TEXT COLLATE "C" NOT NULL,
    parent_id  TEXT COLLATE "C" NOT NULL,
    path_part  TEXT COLLATE "C" NOT NULL,
    created_at BIGINT  NOT NULL
);

CREATE INDEX api_resources_api ON api_resources (api_id, created_at, id);

CREATE TABLE api_methods (
    resource_id TEXT COLLATE "C" NOT NULL,
    http_method TEXT COLLATE "C" NOT NULL,
    api_id      TEXT COLLATE "C" NOT NULL,
    account_id  TEXT COLLATE "C" NOT NULL,
    region      TEXT COLLATE "C" NOT NULL,
    doc         TEXT COLLATE "C" NOT NULL,
    version     BIGINT  NOT NULL,
    PRIMARY KEY (resource_id, http_method)
);

CREATE INDEX api_methods_api ON api_methods (api_id, resource_id, http_method);
