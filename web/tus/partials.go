package tus

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"
)

// record is what is kept of one upload, in <id>.info beside its data in
// <id>.part (storage's partials folder), both owner-only. The data file's
// size is the upload's offset: every chunk is made durable before it is
// acknowledged, so a resume after a restart continues where it stopped.
type record struct {
	ID      string            `json:"id"`
	UserID  int64             `json:"user_id"` // the owner: only they may resume, read or end it
	User    string            `json:"user"`
	Path    string            `json:"path"` // the file it becomes, in the owner's view
	Size    int64             `json:"size"`
	Meta    map[string]string `json:"meta"`
	Created time.Time         `json:"created"`
	// SHA256 is set once the upload is committed: its data is then in
	// place and the record only answers a client that lost the reply.
	SHA256 string `json:"sha256,omitempty"`
	// AuditID is the audit row of the committed upload (AuditIDHeader).
	AuditID int64 `json:"audit_id,omitempty"`
}

func (r *record) committed() bool { return r.SHA256 != "" }

const (
	infoExt = ".info"
	partExt = ".part"
	tmpExt  = ".tmp"
)

// errTooMany refuses an upload past the owner's cap of unfinished ones.
var errTooMany = errors.New("too many unfinished uploads")

// partials are the records of the uploads in the partials folder.
type partials struct {
	root *os.Root
	mu   sync.Mutex
	recs map[string]*record
}

// openPartials loads the records in root. What a crash left half made (a
// data file without its record, a record being written, a record whose
// data was already moved into its upload) is removed.
func openPartials(root *os.Root) (*partials, error) {
	p := &partials{root: root, recs: map[string]*record{}}
	d, err := root.Open(".")
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, n := range names {
		id, ok := strings.CutSuffix(n, infoExt)
		if !ok || !validID(id) {
			continue
		}
		r, err := p.read(n)
		if err != nil || r.ID != id {
			continue
		}
		if !r.committed() {
			if fi, err := root.Lstat(id + partExt); err != nil || !fi.Mode().IsRegular() {
				continue
			}
		}
		p.recs[id] = r
		keep[n], keep[id+partExt] = true, !r.committed()
	}
	for _, n := range names {
		if !keep[n] {
			if err := root.Remove(n); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
	}
	return p, p.syncDir()
}

func (p *partials) read(name string) (*record, error) {
	b, err := p.root.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// newID is a new upload id: 128 random bits, hex.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validID reports whether s has the shape of an id newID makes.
func validID(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// get returns a copy of the record of id when userID owns it.
func (p *partials) get(id string, userID int64) (record, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.recs[id]
	if !ok || r.UserID != userID {
		return record{}, false
	}
	return *r, true
}

// add creates r's empty data file and durable record, unless its owner
// already has max unfinished uploads (errTooMany).
func (p *partials) add(r record, max int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, o := range p.recs {
		if o.UserID == r.UserID && !o.committed() {
			n++
		}
	}
	if n >= max {
		return errTooMany
	}
	f, err := p.root.OpenFile(r.ID+partExt, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := p.write(&r); err != nil {
		p.root.Remove(r.ID + partExt)
		return err
	}
	p.recs[r.ID] = &r
	return nil
}

// write makes r's record durable: written aside, synced, renamed over
// the old one, and the folder synced.
func (p *partials) write(r *record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	tmp := r.ID + infoExt + tmpExt
	f, err := p.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = p.root.Rename(tmp, r.ID+infoExt)
	}
	if err != nil {
		p.root.Remove(tmp)
		return err
	}
	return p.syncDir()
}

func (p *partials) syncDir() error {
	d, err := p.root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// offset is how many bytes of id have arrived.
func (p *partials) offset(r record) (int64, error) {
	if r.committed() {
		return r.Size, nil
	}
	fi, err := p.root.Lstat(r.ID + partExt)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// commit notes that id was committed with the given sha256 and audit
// row; its data was moved into place.
func (p *partials) commit(id, sum string, auditID int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.recs[id]
	if !ok {
		return fmt.Errorf("upload %s: no record", id)
	}
	c := *r
	c.SHA256, c.AuditID = sum, auditID
	if err := p.write(&c); err != nil {
		return err
	}
	*r = c
	return nil
}

// remove forgets id and removes its data, if any is left.
func (p *partials) remove(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.recs, id)
	var errs []error
	for _, n := range []string{id + infoExt, id + partExt} {
		if err := p.root.Remove(n); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// expired are the uploads nothing has touched since before cutoff: an
// unfinished one's last chunk, a committed one's creation.
func (p *partials) expired(cutoff time.Time) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for id, r := range p.recs {
		last := r.Created
		if !r.committed() {
			if fi, err := p.root.Lstat(id + partExt); err == nil && fi.ModTime().After(last) {
				last = fi.ModTime()
			}
		}
		if last.Before(cutoff) {
			out = append(out, id)
		}
	}
	return out
}
