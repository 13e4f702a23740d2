package account

import (
	"context"
	"slices"

	"github.com/oaq/custodia/store"
)

// ClientPath is the resource path of a client account in audit rows.
func ClientPath(id string) string { return "/api/v1/clients/" + id }

// AddClientContact adds an e-mail address that hears of the PDFs
// published for a client (checked by store.NormalizeContact: one bare
// address, no line break can reach a header).
func (s *Service) AddClientContact(ctx context.Context, a Actor, id, addr string) (string, error) {
	addr, err := store.NormalizeContact(addr)
	if err != nil {
		return "", err
	}
	return addr, s.change(a, "admin.client.contact.add", ClientPath(id), nil, map[string]string{"contact": addr}).
		AddClientContact(ctx, id, addr)
}

// RemoveClientContact removes one of a client's contact addresses.
func (s *Service) RemoveClientContact(ctx context.Context, a Actor, id, addr string) error {
	return s.change(a, "admin.client.contact.remove", ClientPath(id), map[string]string{"contact": addr}, nil).
		RemoveClientContact(ctx, id, addr)
}

// SetClientContacts replaces a client's contact addresses, each checked;
// it returns them as stored (sorted, without repeats).
func (s *Service) SetClientContacts(ctx context.Context, a Actor, id string, addrs []string) ([]string, error) {
	out := make([]string, 0, len(addrs))
	for _, x := range addrs {
		addr, err := store.NormalizeContact(x)
		if err != nil {
			return nil, err
		}
		out = append(out, addr)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	before, err := s.Store.ClientContacts(ctx, id)
	if err != nil {
		return nil, err
	}
	return out, s.change(a, "admin.client.contacts", ClientPath(id), before, out).SetClientContacts(ctx, id, out)
}
