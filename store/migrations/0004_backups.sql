-- 0004: backups and restore requests. A rename's target storage path
-- joins its audit row, so that the backup journal knows where a file went.
ALTER TABLE audit ADD COLUMN starget TEXT NOT NULL DEFAULT '';

CREATE TABLE backups (
    id          TEXT PRIMARY KEY,
    job         TEXT NOT NULL,
    kind        TEXT NOT NULL,              -- full or incremental
    base        TEXT NOT NULL DEFAULT '',   -- the backup an incremental builds on
    status      TEXT NOT NULL,              -- running, ok, failed, pruned
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL DEFAULT '',
    through_seq INTEGER NOT NULL DEFAULT 0, -- outbox events it covers, up to this id
    files       INTEGER NOT NULL DEFAULT 0,
    bytes       INTEGER NOT NULL DEFAULT 0, -- bytes of the files, before compression
    size        INTEGER NOT NULL DEFAULT 0, -- bytes of the encrypted archive
    sha256      TEXT NOT NULL DEFAULT '',   -- of the encrypted archive
    targets     TEXT NOT NULL DEFAULT '',   -- where complete copies are, comma-separated
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX backups_job ON backups (job, started_at);

CREATE TABLE restore_requests (
    id          TEXT PRIMARY KEY,
    backup_id   TEXT NOT NULL REFERENCES backups(id),
    path        TEXT NOT NULL,              -- storage path prefix to restore
    reason      TEXT NOT NULL,
    requester   TEXT NOT NULL,
    status      TEXT NOT NULL,              -- requested, approved, restored, failed
    approver    TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    approved_at TEXT NOT NULL DEFAULT '',
    restored_at TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT ''
);
