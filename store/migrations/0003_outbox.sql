-- 0003: the event outbox, written in the same transaction as the audit
-- row it announces, and each hook's progress through it.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: hook cursors point into it
    event_id   TEXT NOT NULL UNIQUE,
    type       TEXT NOT NULL,
    audit_id   INTEGER NOT NULL REFERENCES audit(id),
    created_at TEXT NOT NULL
);

CREATE TABLE hook_cursors (
    hook        TEXT PRIMARY KEY,
    last_id     INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    failures    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL
);
