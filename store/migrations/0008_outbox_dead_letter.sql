-- 0008: events a hook gave up on. After too many failed tries (or when an
-- administrator skips the event a hook is stuck on) the event is written
-- here and the hook's cursor moves past it, so one poisoned event never
-- holds back the later ones. An administrator can ask for a retry.
ALTER TABLE hook_cursors ADD COLUMN failing_id INTEGER NOT NULL DEFAULT 0; -- the event the attempts are about

CREATE TABLE hook_dead_letters (
    hook       TEXT NOT NULL,
    event_seq  INTEGER NOT NULL REFERENCES outbox(id),
    attempts   INTEGER NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    dead_at    TEXT NOT NULL,
    retry      INTEGER NOT NULL DEFAULT 0, -- 1: an administrator asked for one more try
    PRIMARY KEY (hook, event_seq)
);
