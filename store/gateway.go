package store

// presencePrefix begins the name of a gateway's presence lease.
const presencePrefix = "gateway:"

// ForGateway is the store as the gateway id uses it: the uploads it
// begins are its own (PendingUploads). id must be stable across the
// gateway's restarts and unique among the gateways sharing the database
// (host and data dir). Reads, Audited and Close are the same store's.
func (s *Store) ForGateway(id string) *Store {
	c := *s
	c.gateway = id
	return &c
}

// Gateway is the id ForGateway gave this store ("" for none).
func (s *Store) Gateway() string { return s.gateway }

// PresenceLease is the name of the lease the gateway id holds while it
// runs, so that the others leave its uploads in progress alone.
func PresenceLease(id string) string { return presencePrefix + id }
