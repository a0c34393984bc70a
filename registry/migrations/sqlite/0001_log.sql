-- The transparency log: one row per leaf (canonical event JSON), the head that appends
-- lock, every signed checkpoint, and every published snapshot.
CREATE TABLE tf_log_head (
    id INTEGER PRIMARY KEY,
    size BIGINT NOT NULL
);
INSERT INTO tf_log_head (id, size) VALUES (1, 0);

CREATE TABLE tf_log_entries (
    idx BIGINT PRIMARY KEY,
    leaf TEXT NOT NULL,
    leaf_hash TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE TABLE tf_checkpoints (
    size BIGINT PRIMARY KEY,
    note TEXT NOT NULL,
    signed_at TEXT NOT NULL
);

CREATE TABLE tf_snapshots (
    sequence BIGINT PRIMARY KEY,
    tree_size BIGINT NOT NULL,
    jws TEXT NOT NULL,
    issued_at TEXT NOT NULL
);
