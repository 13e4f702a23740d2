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
