-- 0007: quotas. Every user and client account has a bytes and a file-count
-- quota (0: no limit) and its usage, kept in the transaction that writes
-- the audit row of each upload, delete and rename. quota_files says what
-- each stored file is charged to: the user who last uploaded it (NULL when
-- unknown, e.g. found by `quota scan`) and the client account whose
-- folders (clients/<id>, dossiers/<id>) hold it (NULL elsewhere).
ALTER TABLE users ADD COLUMN quota_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN quota_files BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN used_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN used_files BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN quota_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN quota_files BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN used_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN used_files BIGINT NOT NULL DEFAULT 0;

CREATE TABLE quota_files (
    spath     TEXT PRIMARY KEY,
    user_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    client_id TEXT,
    bytes     BIGINT NOT NULL
);
CREATE INDEX quota_files_user ON quota_files (user_id);
CREATE INDEX quota_files_client ON quota_files (client_id);
