-- 0002: the admin API's bearer tokens (short-lived, from a login) and API
-- keys (long-lived, for scripts). Only a SHA-256 of each secret is kept.
CREATE TABLE admin_tokens (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    user_name    TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT
);
CREATE INDEX admin_tokens_user ON admin_tokens (user_name, kind);
