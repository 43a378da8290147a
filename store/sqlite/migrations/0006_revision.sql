-- The configuration revision: one counter that every write changing what
-- the data plane serves increments in its own transaction, so that a node's
-- gateway can tell, from one cheap read, that its snapshot is stale.
CREATE TABLE config_revision (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
) STRICT;

INSERT INTO config_revision (id, n) VALUES (1, 0);
