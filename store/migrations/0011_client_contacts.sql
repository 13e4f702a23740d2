-- 0011: e-mail notifications. A client account has contact addresses
-- that hear of every PDF published for it; the notifier queues each such
-- publication here (keyed by its outbox event, so a hook's redelivery
-- queues nothing twice) and sends one digest per client per interval,
-- deleting the rows it sent in one transaction.
CREATE TABLE client_contacts (
    client_id  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    address    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (client_id, address)
);

CREATE TABLE notify_pending (
    event_id  TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    name      TEXT NOT NULL, -- the file's path under the client's folder
    at        TEXT NOT NULL, -- when it was published
    queued_at TEXT NOT NULL
);
CREATE INDEX notify_pending_client ON notify_pending (client_id);
