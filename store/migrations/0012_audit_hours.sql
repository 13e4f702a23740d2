-- 0012: the audit trail counted per hour, for the admin console's
-- dashboard. A trigger on every new audit row adds it to its hour (UTC,
-- the first 13 characters of audit.at), protocol, action and result, so
-- the dashboard reads a week as at most a few thousand rows, whatever the
-- size of the audit trail. The rows already there are counted here once.
CREATE TABLE audit_hours (
    hour     TEXT NOT NULL, -- 'YYYY-MM-DDTHH' (UTC)
    protocol TEXT NOT NULL,
    action   TEXT NOT NULL,
    result   TEXT NOT NULL,
    n        INTEGER NOT NULL, -- audit rows
    bytes    INTEGER NOT NULL, -- their bytes
    PRIMARY KEY (hour, protocol, action, result)
) WITHOUT ROWID;

INSERT INTO audit_hours (hour, protocol, action, result, n, bytes)
SELECT substr(at, 1, 13), protocol, action, result, COUNT(*), SUM(bytes) FROM audit GROUP BY 1, 2, 3, 4;

CREATE TRIGGER audit_hours_count AFTER INSERT ON audit
BEGIN
    INSERT INTO audit_hours (hour, protocol, action, result, n, bytes)
    VALUES (substr(NEW.at, 1, 13), NEW.protocol, NEW.action, NEW.result, 1, NEW.bytes)
    ON CONFLICT (hour, protocol, action, result) DO UPDATE SET n = audit_hours.n + 1, bytes = audit_hours.bytes + excluded.bytes;
END;
