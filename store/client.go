package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"
)

// Client is a customer account of the brokerage. Its id (the customer
// code, often an RFC) names its folders under clients/ and dossiers/.
type Client struct {
	ID        string    `db:"id"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"-"`
	Quota     Limit     `db:"-"` // 0: no limit (store/quota.go says what is charged)
	Used      Usage     `db:"-"`
	Contacts  []string  `db:"-"` // e-mail addresses told of every PDF published for it
}

// NormalizeClientID upper-cases a client id and checks that it can be one
// path segment: letters, digits, '&', '_' and '-', starting with a letter
// or digit, at most 64 characters.
func NormalizeClientID(id string) (string, error) {
	id = strings.ToUpper(strings.TrimSpace(id))
	if id == "" {
		return "", fmt.Errorf("client id is empty")
	}
	if len(id) > 64 {
		return "", fmt.Errorf("client id %q is longer than 64 characters", id)
	}
	for i, r := range id {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r) || (i > 0 && (r == '&' || r == '_' || r == '-'))
		if !ok {
			return "", fmt.Errorf("client id %q: only letters, digits, '&', '_' and '-' are allowed, starting with a letter or digit", id)
		}
	}
	return id, nil
}

// CreateClient adds a client account. The id must already be normalized.
func (s *Store) CreateClient(ctx context.Context, id, name string) (*Client, error) {
	now := s.now()
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO clients (id, name, created_at) VALUES ($1, $2, $3)`,
			id, name, formatTime(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: create client %q: %w", id, wrapDBError(err))
	}
	return &Client{ID: id, Name: name, CreatedAt: now.UTC(), Contacts: []string{}}, nil
}

type clientRow struct {
	ID         string `db:"id"`
	Name       string `db:"name"`
	CreatedAt  string `db:"created_at"`
	QuotaBytes int64  `db:"quota_bytes"`
	QuotaFiles int64  `db:"quota_files"`
	UsedBytes  int64  `db:"used_bytes"`
	UsedFiles  int64  `db:"used_files"`
}

const clientColumns = `id, name, created_at, quota_bytes, quota_files, used_bytes, used_files`

func (r clientRow) client() (*Client, error) {
	t, err := parseTime(r.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("store: client %q created_at: %w", r.ID, err)
	}
	return &Client{ID: r.ID, Name: r.Name, CreatedAt: t,
		Quota: Limit{r.QuotaBytes, r.QuotaFiles}, Used: Usage{r.UsedBytes, r.UsedFiles}}, nil
}

// ClientByID loads one client account.
func (s *Store) ClientByID(ctx context.Context, id string) (*Client, error) {
	var r clientRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+clientColumns+` FROM clients WHERE id = $1`, id); err != nil {
		return nil, fmt.Errorf("store: client %q: %w", id, wrapDBError(err))
	}
	c, err := r.client()
	if err != nil {
		return nil, err
	}
	if c.Contacts, err = s.ClientContacts(ctx, id); err != nil {
		return nil, err
	}
	return c, nil
}

// ListClients returns every client account ordered by id.
func (s *Store) ListClients(ctx context.Context) ([]*Client, error) {
	var rows []clientRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+clientColumns+` FROM clients ORDER BY id`); err != nil {
		return nil, fmt.Errorf("store: list clients: %w", err)
	}
	contacts, err := s.allContacts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Client, 0, len(rows))
	for _, r := range rows {
		c, err := r.client()
		if err != nil {
			return nil, err
		}
		c.Contacts = contacts[c.ID]
		if c.Contacts == nil {
			c.Contacts = []string{}
		}
		out = append(out, c)
	}
	return out, nil
}

// SetClientQuota sets a client account's quota (0: no limit).
func (s *Store) SetClientQuota(ctx context.Context, id string, q Limit) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE clients SET quota_bytes = $1, quota_files = $2 WHERE id = $3`,
			q.Bytes, q.Files, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: client %q quota: %w", id, err)
	}
	return nil
}
