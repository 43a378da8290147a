-- The configuration revision: one counter that every write changing what
-- the data plane serves increments in its own transaction, so that a node's
-- gateway can tell, from one cheap read, that its snapshot is stale.
CREATE TABLE config_revision (
    id INTEGER NOT NULL,
    n  BIGINT  NOT NULL,
    CONSTRAINT config_revision_pkey PRIMARY KEY (id),
    CONSTRAINT config_revision_one_row CHECK (id = 1)
);

INSERT INTO config_revision (id, n) VALUES (1, 0);
