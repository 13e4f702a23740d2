-- 0006: uploads about to be renamed into place. A row is written (and
-- durable) before the rename and removed in the transaction that writes
-- the upload's audit row and outbox event, so a crash in between leaves a
-- row that the next start settles: no file is ever in place that no event
-- names.
CREATE TABLE pending_uploads (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    begun_at  TEXT NOT NULL,
    session   TEXT NOT NULL DEFAULT '',
    user_name TEXT NOT NULL DEFAULT '',
    role      TEXT NOT NULL DEFAULT '',
    protocol  TEXT NOT NULL DEFAULT '',
    remote    TEXT NOT NULL DEFAULT '',
    action    TEXT NOT NULL,
    vpath     TEXT NOT NULL,
    spath     TEXT NOT NULL,
    bytes     INTEGER NOT NULL,
    sha256    TEXT NOT NULL
);
