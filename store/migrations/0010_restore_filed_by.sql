-- 0010: who filed each restore request. requester is whom the restore is
-- for (an admin or the CLI's --as may name any user); filed_by is who
-- actually filed it: the calling admin's name, or "os:NAME" for the
-- command line. Neither may approve it, nor a manager either of them
-- created. '' for requests filed before it was recorded (the requester
-- is taken as their filer).
ALTER TABLE restore_requests ADD COLUMN filed_by TEXT NOT NULL DEFAULT '';
