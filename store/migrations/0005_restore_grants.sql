-- 0005: a restore's grant expires; a pending request can be rejected or
-- cancelled. expires_at is when the requester's grant on the restored
-- folder ends; closed_by/closed_at/note record who rejected, cancelled or
-- expired a request, and why.
ALTER TABLE restore_requests ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
ALTER TABLE restore_requests ADD COLUMN closed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE restore_requests ADD COLUMN closed_at TEXT NOT NULL DEFAULT '';
ALTER TABLE restore_requests ADD COLUMN note TEXT NOT NULL DEFAULT '';
