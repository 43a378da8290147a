-- Revocation deletes tokens by access key (access-key delete) and lists
-- them by account (token list, account delete); without these indexes each
-- one scans every token.
CREATE INDEX tokens_access_key ON tokens (access_key_id);
CREATE INDEX tokens_account ON tokens (account_id, created_at, hash);
