package letter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/oaq/custodia/store"
)

// MaxReportRows is the most downloads one download report lists (about
// two hundred pages); a wider range is refused (ErrTooManyDownloads), to
// be narrowed.
const MaxReportRows = 5000

// ErrTooManyDownloads is the error of a download report that would list
// more than MaxReportRows downloads.
var ErrTooManyDownloads = fmt.Errorf("more than %d downloads, more than one report lists", MaxReportRows)

// DownloadQuery chooses the downloads a report lists: the audit rows of
// action read (as storage writes them when a download ends, completed or
// not, and when one is refused) on one client account's folders
// (clients/ID and dossiers/ID), within [Since, Until). A zero Since is
// the first record; a zero Until the moment the report is issued.
type DownloadQuery struct {
	Client string
	Since  time.Time
	Until  time.Time // exclusive
}

// Downloads is what a download report says: who downloaded which of one
// client's files, when, from where, and how it ended.
type Downloads struct {
	Organization string        // the heading
	Client       Client        // the client account
	Query        DownloadQuery // what chose the rows; Until set
	Rows         []Downloaded  // oldest first
	Issued       time.Time     // when the report was made (UTC)
}

// Downloaded is one download as the audit trail recorded it.
type Downloaded struct {
	ID          int64        `json:"id"`           // the audit row's id
	At          time.Time    `json:"at"`           // when it ended (UTC)
	User        string       `json:"user"`         // who
	Role        string       `json:"role"`         // the user's role then
	Protocol    string       `json:"protocol"`     // sftp, ftp, webdav, web…
	Remote      string       `json:"remote"`       // from which address
	Path        string       `json:"path"`         // the virtual path, as the user named it
	StoragePath string       `json:"storage_path"` // the file, e.g. /clients/ACME/2026/factura.pdf
	Bytes       int64        `json:"bytes"`        // bytes served
	Result      store.Result `json:"result"`       // ok; failed (the transfer broke off); denied
}

// DownloadsFor reads from st the downloads q chooses and returns the
// report of them, headed by org. Errors: no such client (wrapping
// store.ErrNotFound), a malformed client id, ErrEmptyRange,
// ErrTooManyDownloads. No download in the range is a report that says
// so. The admin API and the console both make reports with it.
func DownloadsFor(ctx context.Context, st *store.Store, org string, q DownloadQuery) (Downloads, error) {
	now := time.Now().UTC()
	id, err := store.NormalizeClientID(q.Client)
	if err != nil {
		return Downloads{}, err
	}
	acc, err := st.ClientByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Downloads{}, fmt.Errorf("no client account %q: %w", id, store.ErrNotFound)
	} else if err != nil {
		return Downloads{}, err
	}
	q.Client = id
	if q.Until.IsZero() {
		q.Until = now
	}
	q.Since, q.Until = q.Since.UTC(), q.Until.UTC()
	if !q.Since.Before(q.Until) {
		return Downloads{}, fmt.Errorf("%w: since %s is not before until %s", ErrEmptyRange,
			q.Since.Format(time.RFC3339Nano), q.Until.Format(time.RFC3339Nano))
	}
	rows, err := st.QueryAudit(ctx, store.AuditQuery{Client: id, Action: "read", Since: q.Since, Until: q.Until,
		Limit: MaxReportRows + 1})
	if err != nil {
		return Downloads{}, err
	}
	if len(rows) > MaxReportRows {
		return Downloads{}, fmt.Errorf("client %s: %w; narrow the range", id, ErrTooManyDownloads)
	}
	d := Downloads{Organization: org, Client: Client{ID: acc.ID, Name: acc.Name}, Query: q, Issued: now}
	for _, r := range rows {
		d.Rows = append(d.Rows, Downloaded{ID: r.ID, At: r.At.UTC(), User: r.User, Role: string(r.Role), Protocol: r.Protocol,
			Remote: r.Remote, Path: r.VPath, StoragePath: r.SPath, Bytes: r.Bytes, Result: r.Result})
	}
	return d, nil
}
