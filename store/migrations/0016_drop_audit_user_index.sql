-- 0016: audit_user (user_name, at) served the audit trail by user before
-- 0013; since then the admin API and console filter by lower(user_name)
-- (audit_user_lower), and no query reads audit_user. It only cost every
-- audit row one more B-tree page written to the log (each upload's
-- commit, its fsync included).
DROP INDEX IF EXISTS audit_user;
