-- 0015: what exactly one of several gateways sharing this database may do
-- at a time. A lease is held by one process (holder) until expires_at; it
-- renews it while it works, and another takes it over once it has
-- expired (its holder died or stopped renewing). A backup claim is the
-- one run of a job's schedule due at one time, taken by the first gateway
-- that asks for it.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,       -- what is held: "hook:<name>", "backup:<job>"
    holder      TEXT NOT NULL,          -- the process holding it (host, pid, random)
    acquired_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE TABLE backup_claims (
    job        TEXT NOT NULL,
    kind       TEXT NOT NULL,
    due_at     TEXT NOT NULL,           -- the scheduled time this run is for
    holder     TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (job, kind, due_at)
);

-- WebDAV locks, honoured by every gateway: keyed by the storage path
-- locked (root), bound to the user who took them. Lock writers first
-- update the one row of webdav_lock_writer, which serialises them on
-- PostgreSQL as SQLite's single writer does: the conflict check and the
-- insert of a lock are then one step.
CREATE TABLE webdav_locks (
    token      TEXT PRIMARY KEY,
    root       TEXT NOT NULL,            -- storage path
    vroot      TEXT NOT NULL,            -- the virtual path the owner locked, for their replies
    user_name  TEXT NOT NULL,
    zero_depth INTEGER NOT NULL,         -- 1: the resource only; 0: and everything below it
    owner_xml  TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX webdav_locks_root ON webdav_locks (root);
CREATE INDEX webdav_locks_user ON webdav_locks (user_name);

CREATE TABLE webdav_lock_writer (
    id      INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO webdav_lock_writer (id, version) VALUES (1, 0);

-- The gateway an upload about to be put in place belongs to: a gateway
-- settles at start only its own rows (left by its previous run) and those
-- of gateways whose presence lease ("gateway:<id>") has expired, never an
-- upload another live gateway is putting in place. '' is a row from before
-- this migration, or from the command line.
ALTER TABLE pending_uploads ADD COLUMN gateway TEXT NOT NULL DEFAULT '';
