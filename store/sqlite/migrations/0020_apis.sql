-- APIs of API groups, custom environments, and publications (issue 11).
-- What is filtered or unique is a column; the rest of an API's definition
-- is one JSON document (spec). Instance ids are unique across accounts.
CREATE TABLE apis (
    id          TEXT    NOT NULL PRIMARY KEY,
    account_id  TEXT    NOT NULL,
    instance_id TEXT    NOT NULL,
    group_id    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    route       TEXT    NOT NULL,
    match_mode  TEXT    NOT NULL,
    spec        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX apis_name ON apis (group_id, name);
CREATE UNIQUE INDEX apis_route ON apis (group_id, method, route, match_mode);
CREATE INDEX apis_scope ON apis (account_id, instance_id, created_at, id);

-- Environments other than RELEASE, which every instance has without a row.
CREATE TABLE environments (
    id          TEXT    NOT NULL PRIMARY KEY,
    account_id  TEXT    NOT NULL,
    instance_id TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    remark      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX environments_name ON environments (instance_id, name);
CREATE INDEX environments_scope ON environments (account_id, instance_id, created_at, id);

-- Immutable published versions: a copy of the API's row as it was.
CREATE TABLE api_versions (
    id           TEXT    NOT NULL PRIMARY KEY,
    publish_id   TEXT    NOT NULL,
    account_id   TEXT    NOT NULL,
    instance_id  TEXT    NOT NULL,
    api_id       TEXT    NOT NULL,
    env_id       TEXT    NOT NULL,
    remark       TEXT    NOT NULL,
    group_id     TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    path         TEXT    NOT NULL,
    route        TEXT    NOT NULL,
    match_mode   TEXT    NOT NULL,
    spec         TEXT    NOT NULL,
    api_created  INTEGER NOT NULL,
    api_updated  INTEGER NOT NULL,
    api_version  INTEGER NOT NULL,
    published_at INTEGER NOT NULL
) STRICT;

CREATE INDEX api_versions_api ON api_versions (api_id, env_id, published_at);
CREATE INDEX api_versions_account ON api_versions (account_id);

-- The current version of an API in an environment. env_id is RELEASE's
-- fixed id or an environments row of the same instance.
CREATE TABLE api_publications (
    api_id       TEXT    NOT NULL,
    env_id       TEXT    NOT NULL,
    account_id   TEXT    NOT NULL,
    instance_id  TEXT    NOT NULL,
    version_id   TEXT    NOT NULL,
    CONSTRAINT api_publications_pkey PRIMARY KEY (api_id, env_id)
) STRICT;

CREATE INDEX api_publications_env ON api_publications (env_id);
CREATE INDEX api_publications_scope ON api_publications (account_id, instance_id);
