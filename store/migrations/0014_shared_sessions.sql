-- 0014: what several gateways over one database share about connections:
-- the defender's failed logins and bans (an address as its AddrKey
-- prefix: an IPv4 /32, an IPv6 /64), each gateway's heartbeat, every
-- gateway's live sessions (with the kick that another gateway asked for,
-- which the owning gateway polls for), and the web portal's and admin
-- console's browser sessions, keyed by the sha256 of the cookie (the
-- cookie itself is never stored).
CREATE TABLE defender_failures (
    prefix    TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX defender_failures_prefix ON defender_failures (prefix, failed_at);
CREATE INDEX defender_failures_at ON defender_failures (failed_at);

CREATE TABLE defender_bans (
    prefix       TEXT PRIMARY KEY,
    banned_until TEXT NOT NULL
);
CREATE INDEX defender_bans_until ON defender_bans (banned_until);

CREATE TABLE gateways (
    id           TEXT PRIMARY KEY,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
);

CREATE TABLE live_sessions (
    id         TEXT PRIMARY KEY,
    gateway    TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    protocol   TEXT NOT NULL,
    remote     TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    active_at  TEXT NOT NULL,
    bytes_in   BIGINT NOT NULL DEFAULT 0,
    bytes_out  BIGINT NOT NULL DEFAULT 0,
    kick_at    TEXT
);
CREATE INDEX live_sessions_gateway ON live_sessions (gateway, kick_at);

CREATE TABLE web_sessions (
    hash          TEXT PRIMARY KEY,
    cookie        TEXT NOT NULL,
    session       TEXT NOT NULL,
    user_name     TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    csrf          TEXT NOT NULL,
    remote        TEXT NOT NULL DEFAULT '',
    started_at    TEXT NOT NULL,
    used_at       TEXT NOT NULL
);
CREATE INDEX web_sessions_session ON web_sessions (session);
CREATE INDEX web_sessions_used ON web_sessions (used_at);
