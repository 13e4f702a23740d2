package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Publication is a PDF published for a client that its contacts have not
// heard of yet: it waits for the client's next e-mail digest.
type Publication struct {
	EventID string    // the outbox event that announced it: queued once however often delivered
	Client  string    // the client account
	Name    string    // the file's path under the client's folder, e.g. 2026/05/factura.pdf
	At      time.Time // when it was published
}

// QueuePublication keeps p for its client's next digest; a publication
// already queued (the same event, delivered again) is kept once.
func (s *Store) QueuePublication(ctx context.Context, p Publication) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notify_pending (event_id, client_id, name, at, queued_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, p.EventID, p.Client, p.Name, formatTime(p.At), formatTime(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: queue publication %s: %w", p.EventID, err)
	}
	return nil
}

// PendingPublications returns every queued publication, by client, then
// time and name.
func (s *Store) PendingPublications(ctx context.Context) ([]Publication, error) {
	var rows []struct {
		EventID string `db:"event_id"`
		Client  string `db:"client_id"`
		Name    string `db:"name"`
		At      string `db:"at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT event_id, client_id, name, at FROM notify_pending
		ORDER BY client_id, at, name, event_id`); err != nil {
		return nil, fmt.Errorf("store: pending publications: %w", err)
	}
	out := make([]Publication, len(rows))
	for i, r := range rows {
		t, err := parseTime(r.At)
		if err != nil {
			return nil, fmt.Errorf("store: publication %s: %w", r.EventID, err)
		}
		out[i] = Publication{EventID: r.EventID, Client: r.Client, Name: r.Name, At: t}
	}
	return out, nil
}

// PublicationsSent forgets the publications a digest told of.
func (s *Store) PublicationsSent(ctx context.Context, eventIDs []string) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		for _, id := range eventIDs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM notify_pending WHERE event_id = $1`, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: publications sent: %w", err)
	}
	return nil
}
