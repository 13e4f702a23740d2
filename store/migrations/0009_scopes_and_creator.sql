-- 0009: what an admin API key may do, and who created each user.
-- scope is metrics (only /metrics), read (GET endpoints) or admin
-- (everything). Keys made before scopes existed were full admin
-- credentials, so they keep that scope; new rows always name theirs.
-- created_by is the actor that created the user ("os:NAME" for the
-- command line, the admin's name for the API; '' for users made before
-- it was recorded): a restore approver must not be the requester's own
-- creation.
ALTER TABLE admin_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE users ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
