-- Running servers announce themselves and the master keys they hold, so
-- that a master-key rotation can refuse to strand one that lacks the new
-- key. key_ids is comma-separated (key ids never contain a comma); seen_at
-- is Unix microseconds.
CREATE TABLE nodes (
    id       TEXT    NOT NULL PRIMARY KEY,
    hostname TEXT    NOT NULL,
    addr     TEXT    NOT NULL,
    key_ids  TEXT    NOT NULL,
    seen_at  INTEGER NOT NULL
) STRICT;
