package store

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/jmoiron/sqlx"
)

// NormalizeContact checks that s is one bare e-mail address (no display
// name, no comment, no control character: a contact address ends up in
// a message header) and returns it trimmed.
func NormalizeContact(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("contact address is empty")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", fmt.Errorf("contact address %q holds a control character", s)
	}
	if len(s) > 254 {
		return "", fmt.Errorf("contact address %q is longer than 254 characters", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(s, "@") {
		return "", fmt.Errorf("contact address %q: want one bare address such as cuentas@acme.mx", s)
	}
	return s, nil
}

// ClientContacts returns a client account's contact addresses, sorted.
func (s *Store) ClientContacts(ctx context.Context, id string) ([]string, error) {
	out := []string{}
	if err := s.db.SelectContext(ctx, &out, `SELECT address FROM client_contacts WHERE client_id = $1 ORDER BY address`, id); err != nil {
		return nil, fmt.Errorf("store: client %q contacts: %w", id, err)
	}
	return out, nil
}

// allContacts maps every client account with contacts to them, sorted.
func (s *Store) allContacts(ctx context.Context) (map[string][]string, error) {
	var rows []struct {
		Client  string `db:"client_id"`
		Address string `db:"address"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT client_id, address FROM client_contacts ORDER BY client_id, address`); err != nil {
		return nil, fmt.Errorf("store: contacts: %w", err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.Client] = append(out[r.Client], r.Address)
	}
	return out, nil
}

// SetClientContacts replaces a client account's contact addresses (each
// already normalized). ErrNotFound when there is no such client.
func (s *Store) SetClientContacts(ctx context.Context, id string, addrs []string) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM clients WHERE id = $1`, id); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM client_contacts WHERE client_id = $1`, id); err != nil {
			return err
		}
		now := formatTime(s.now())
		for _, a := range addrs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO client_contacts (client_id, address, created_at)
				VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, id, a, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: client %q contacts: %w", id, err)
	}
	return nil
}

// AddClientContact adds one (normalized) contact address to a client
// account: ErrNotFound without the client, ErrConflict when it has it.
func (s *Store) AddClientContact(ctx context.Context, id, addr string) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM clients WHERE id = $1`, id); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO client_contacts (client_id, address, created_at) VALUES ($1, $2, $3)`,
			id, addr, formatTime(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: client %q contact %q: %w", id, addr, err)
	}
	return nil
}

// RemoveClientContact removes one contact address of a client account:
// ErrNotFound when it has no such address.
func (s *Store) RemoveClientContact(ctx context.Context, id, addr string) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM client_contacts WHERE client_id = $1 AND address = $2`, id, addr)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: client %q contact %q: %w", id, addr, err)
	}
	return nil
}
