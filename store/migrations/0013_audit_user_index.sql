-- 0013: the audit trail by user, as the admin API and console filter it
-- (lower(user_name) = lower(?), newest first by id). Without it a user
-- with few rows among millions made SQLite walk the whole log by id.
CREATE INDEX audit_user_lower ON audit (lower(user_name), id);
