-- An API's versions, newest first (ListVersions): api_id and account_id are
-- both equalities here, so SQLite takes this over api_versions_account
-- (which walks every version of the account) and reads it backwards instead
-- of sorting.
CREATE INDEX api_versions_list ON api_versions (api_id, account_id, published_at, id);
