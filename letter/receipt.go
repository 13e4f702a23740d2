package letter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oaq/custodia/store"
)

// MaxReceiptFiles is the most uploads one receipt lists (about fifty
// pages); a wider range is refused (ErrTooManyUploads), to be narrowed.
const MaxReceiptFiles = 1000

// ErrNoUploads is the error of a receipt whose query finds no completed
// upload: there is nothing it could prove, so none is written.
var ErrNoUploads = errors.New("no completed uploads")

// ErrTooManyUploads is the error of a receipt that would list more than
// MaxReceiptFiles uploads.
var ErrTooManyUploads = fmt.Errorf("more than %d uploads, more than one receipt lists", MaxReceiptFiles)

// ErrEmptyRange is the error of a receipt whose since is not before its
// until (now, when until is not given).
var ErrEmptyRange = errors.New("the range is empty")

// ReceiptQuery chooses the uploads a receipt lists: the completed uploads
// (audit rows of action write or overwrite with result ok, as storage
// writes them) of one user, optionally on one client's folders, within
// [Since, Until), and among IDs (the audit rows of one batch). Zero fields
// do not filter.
type ReceiptQuery struct {
	User   string
	Client string
	Since  time.Time
	Until  time.Time // exclusive; zero: the moment the receipt is issued
	IDs    []int64
}

// Batch is what a receipt says: who uploaded which files, when, from
// where, with each file's size and sha256, and which query chose them.
type Batch struct {
	Organization string       // the heading, e.g. "Agencia Aduanal Querétaro"
	User         string       // the uploader
	Role         string       // store role name
	Clients      []Client     // the client accounts the files went to
	Query        ReceiptQuery // what chose the files; Until set
	Files        []Received   // oldest first
	Issued       time.Time    // when the receipt was made (UTC)
}

// Client is a client account a receipt names.
type Client struct{ ID, Name string }

// Received is one completed upload as the audit trail recorded it.
type Received struct {
	ID       int64     `json:"id"`       // the audit row's id
	At       time.Time `json:"at"`       // when it was committed (UTC)
	Size     int64     `json:"bytes"`    // bytes
	SHA256   string    `json:"sha256"`   // hex
	Protocol string    `json:"protocol"` // sftp, ftp, webdav, web…
	Remote   string    `json:"remote"`   // the uploader's address
	Path     string    `json:"path"`     // the virtual path, as the user named it
}

// ReceiptFor reads from st the uploads q chooses and returns the receipt
// of them, headed by org. Errors: no such user or client (wrapping
// store.ErrNotFound), ErrEmptyRange, ErrNoUploads, ErrTooManyUploads.
// The CLI, the admin API and the portal all make receipts with it.
func ReceiptFor(ctx context.Context, st *store.Store, org string, q ReceiptQuery) (Batch, error) {
	now := time.Now().UTC()
	u, err := st.UserByName(ctx, q.User)
	if errors.Is(err, store.ErrNotFound) {
		return Batch{}, fmt.Errorf("no user %q: %w", q.User, store.ErrNotFound)
	}
	if err != nil {
		return Batch{}, err
	}
	q.User = u.Name
	if q.Client != "" {
		id, err := store.NormalizeClientID(q.Client)
		if err != nil {
			return Batch{}, err
		}
		if _, err := st.ClientByID(ctx, id); errors.Is(err, store.ErrNotFound) {
			return Batch{}, fmt.Errorf("no client account %q: %w", id, store.ErrNotFound)
		} else if err != nil {
			return Batch{}, err
		}
		q.Client = id
	}
	if q.Until.IsZero() {
		q.Until = now
	}
	q.Since, q.Until = q.Since.UTC(), q.Until.UTC()
	if !q.Since.Before(q.Until) {
		return Batch{}, fmt.Errorf("%w: since %s is not before until %s", ErrEmptyRange,
			q.Since.Format(time.RFC3339Nano), q.Until.Format(time.RFC3339Nano))
	}
	if len(q.IDs) > MaxReceiptFiles {
		return Batch{}, ErrTooManyUploads
	}
	q.IDs = slices.Compact(slices.Sorted(slices.Values(q.IDs)))
	rows, err := st.QueryAudit(ctx, store.AuditQuery{User: u.Name, Client: q.Client, Since: q.Since, Until: q.Until,
		IDs: q.IDs, Uploads: true, Result: store.ResultOK, Limit: MaxReceiptFiles + 1})
	if err != nil {
		return Batch{}, err
	}
	if len(rows) > MaxReceiptFiles {
		return Batch{}, fmt.Errorf("%s: %w; narrow the range", q.describe(), ErrTooManyUploads)
	}
	if len(rows) == 0 {
		return Batch{}, fmt.Errorf("%s: %w", q.describe(), ErrNoUploads)
	}
	b := Batch{Organization: org, User: u.Name, Role: string(u.Role), Query: q, Issued: now}
	var clients []string
	for _, r := range rows {
		b.Files = append(b.Files, Received{ID: r.ID, Path: r.VPath, Size: r.Bytes, SHA256: r.SHA256, At: r.At.UTC(),
			Protocol: r.Protocol, Remote: r.Remote})
		if id := clientOf(r.SPath); id != "" && !slices.Contains(clients, id) {
			clients = append(clients, id)
		}
	}
	slices.Sort(clients)
	for _, id := range clients {
		c := Client{ID: id}
		if acc, err := st.ClientByID(ctx, id); err == nil {
			c.Name = acc.Name
		} else if !errors.Is(err, store.ErrNotFound) { // a client deleted since keeps its id
			return Batch{}, err
		}
		b.Clients = append(b.Clients, c)
	}
	return b, nil
}

// clientOf is the client account a storage path belongs to, or "".
func clientOf(spath string) string {
	parts := strings.SplitN(strings.TrimPrefix(spath, "/"), "/", 3)
	if len(parts) >= 2 && (parts[0] == "dossiers" || parts[0] == "clients") {
		return parts[1]
	}
	return ""
}

// describe names the query in an error: whose uploads, where, when.
func (q ReceiptQuery) describe() string {
	s := q.User
	if q.Client != "" {
		s += " to client " + q.Client
	}
	if len(q.IDs) > 0 {
		s += fmt.Sprintf(" among %d audit ids", len(q.IDs))
	}
	if !q.Since.IsZero() {
		s += " since " + q.Since.Format(time.RFC3339Nano)
	}
	return s + " until " + q.Until.Format(time.RFC3339Nano)
}

// Listing is the receipt's canonical text, which Digest hashes: a
// version line, the user, then one line per file, oldest first: audit
// id, time (RFC 3339 with nanoseconds, UTC), bytes, sha256, protocol,
// remote address and path, tab-separated, each text Go-quoted so that no
// name can forge a line or a field.
func (b Batch) Listing() string {
	var s strings.Builder
	s.WriteString("custodia receipt v1\n")
	s.WriteString("user\t" + strconv.Quote(b.User) + "\n")
	for _, f := range b.Files {
		fmt.Fprintf(&s, "%d\t%s\t%d\t%s\t%s\t%s\t%s\n", f.ID, f.At.UTC().Format(time.RFC3339Nano), f.Size,
			strconv.Quote(f.SHA256), strconv.Quote(f.Protocol), strconv.Quote(f.Remote), strconv.Quote(f.Path))
	}
	return s.String()
}

// Digest is the sha256 of Listing, in hex: the line of the receipt that
// binds its list, which `custodia receipt` prints for the same query.
func (b Batch) Digest() string {
	sum := sha256.Sum256([]byte(b.Listing()))
	return hex.EncodeToString(sum[:])
}

// Bytes is the files' total size.
func (b Batch) Bytes() int64 {
	var n int64
	for _, f := range b.Files {
		n += f.Size
	}
	return n
}

// Command is the command line that lists the same files and prints the
// same digest: the query, closed at the moment the receipt was issued.
func (b Batch) Command() string {
	args := []string{"custodia", "receipt", b.User}
	q := b.Query
	if q.Client != "" {
		args = append(args, "--client", q.Client)
	}
	if len(q.IDs) > 0 {
		ids := make([]string, len(q.IDs))
		for i, id := range q.IDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		args = append(args, "--id", strings.Join(ids, ","))
	}
	if !q.Since.IsZero() {
		args = append(args, "--since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	args = append(args, "--until", q.Until.UTC().Format(time.RFC3339Nano))
	return strings.Join(args, " ")
}
