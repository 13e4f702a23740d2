// Package tus serves resumable uploads (the tus 1.0 protocol, through
// tusd's handler) for the web portal: large files survive a dropped
// connection and a restart, and a complete upload is committed through
// the same durable, atomic, audited path as every other protocol's
// (storage.View.CreateNew, Upload.Adopt, Upload.Close).
//
// The handler does not authenticate: the portal mounts it behind its
// login and gives it, for each request, the user's storage view
// (Options.Caller). An upload belongs to the user who created it; to
// anyone else it does not exist.
package tus

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	expslog "golang.org/x/exp/slog" // tusd's logger type

	"github.com/oaq/custodia/storage"
)

// Defaults of the Options left zero.
const (
	DefaultMaxUnfinished = 16
	DefaultExpiry        = 24 * time.Hour
	DefaultSweepEvery    = time.Hour
)

// The upload metadata (tus Upload-Metadata) a client sends at creation.
const (
	MetaFilename = "filename" // the new file's name
	MetaFolder   = "folder"   // the folder it goes into, a path in the user's view ("/ACME/2026")
)

// AuditIDHeader carries, in the answer to the request that completes an
// upload (and to a HEAD of it afterwards, for a client that lost that
// answer), the id of the audit row that records it: the portal names a
// batch's uploads by these ids to make its receipt.
const AuditIDHeader = "Custodia-Audit-Id"

// Options configure a Handler.
type Options struct {
	// Files is the files tree; partial data is kept in its partials
	// folder (storage.Files.Partials).
	Files *storage.Files
	// Caller returns the view of the logged-in user who sent r. An error
	// is answered 401 and nothing else is done.
	Caller func(r *http.Request) (*storage.View, error)
	// BasePath is where the handler is mounted ("/upload/"): the upload
	// URLs it hands out are under it, and requests must be.
	BasePath string
	// MaxUnfinished is how many unfinished uploads one user may have at
	// once; DefaultMaxUnfinished when 0.
	MaxUnfinished int
	// Expiry is how long an upload nothing writes to is kept before its
	// data is removed; DefaultExpiry when 0. SweepEvery is how often
	// expired uploads are looked for; DefaultSweepEvery when 0.
	Expiry     time.Duration
	SweepEvery time.Duration
	Logger     *slog.Logger // nil: discard
}

// Handler is the resumable-upload endpoint: POST creates an upload (and
// checks at once that the file may be stored), HEAD tells its offset,
// PATCH appends, DELETE abandons it. It sets no CORS header: the portal
// is its only origin.
type Handler struct {
	files         *storage.Files
	caller        func(*http.Request) (*storage.View, error)
	base          string
	maxUnfinished int
	expiry        time.Duration
	log           *slog.Logger
	now           func() time.Time
	p             *partials
	tus           *tusd.Handler
	stop          chan struct{}
	wg            sync.WaitGroup
}

// New opens the partials, removes what expired or a crash left half
// made, and starts the sweep of expired uploads; Close stops it.
func New(o Options) (*Handler, error) {
	if o.Files == nil || o.Caller == nil {
		return nil, errors.New("tus: Files and Caller are required")
	}
	h := &Handler{files: o.Files, caller: o.Caller, base: "/" + strings.Trim(o.BasePath, "/") + "/",
		maxUnfinished: o.MaxUnfinished, expiry: o.Expiry, log: o.Logger, now: time.Now, stop: make(chan struct{})}
	if h.base == "//" {
		h.base = "/"
	}
	if h.maxUnfinished <= 0 {
		h.maxUnfinished = DefaultMaxUnfinished
	}
	if h.expiry <= 0 {
		h.expiry = DefaultExpiry
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	root, err := o.Files.Partials()
	if err != nil {
		return nil, err
	}
	if h.p, err = openPartials(root); err != nil {
		root.Close()
		return nil, err
	}
	composer := tusd.NewStoreComposer()
	composer.UseCore(dataStore{h})
	composer.UseTerminater(dataStore{h})
	memorylocker.New().UseIn(composer)
	h.tus, err = tusd.NewHandler(tusd.Config{
		StoreComposer:             composer,
		BasePath:                  h.base,
		DisableDownload:           true,
		DisableConcatenation:      true,
		Cors:                      &tusd.CorsConfig{Disable: true},
		Logger:                    expslog.New(expslog.NewTextHandler(io.Discard, nil)), // failures are logged here, with the user
		PreUploadCreateCallback:   h.check,
		PreFinishResponseCallback: h.finished,
	})
	if err != nil {
		root.Close()
		return nil, err
	}
	h.sweep()
	every := o.SweepEvery
	if every <= 0 {
		every = DefaultSweepEvery
	}
	h.wg.Add(1)
	go h.sweeper(every)
	return h, nil
}

// Close stops the sweep and releases the partials folder.
func (h *Handler) Close() error {
	close(h.stop)
	h.wg.Wait()
	return h.p.root.Close()
}

func (h *Handler) sweeper(every time.Duration) {
	defer h.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			h.sweep()
		case <-h.stop:
			return
		}
	}
}

// sweep removes the uploads that expired.
func (h *Handler) sweep() {
	for _, id := range h.p.expired(h.now().Add(-h.expiry)) {
		if err := h.p.remove(id); err != nil {
			h.log.Error("tus: remove expired upload", "err", err)
		}
	}
}

// caller is who sent a request, for the data store's methods (tusd passes
// them a context that keeps the request's values).
type caller struct {
	view *storage.View
	lang string
	// auditID is the audit row of the upload this request committed
	// (FinishUpload sets it; finished names it in the answer).
	auditID int64
}

type callerKey struct{}

func callerOf(ctx context.Context) *caller {
	c, _ := ctx.Value(callerKey{}).(*caller)
	return c
}

// ServeHTTP checks the request's origin and its user, answers an upload of
// another user as not found, and hands the rest to tusd.
func (h *Handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	lang := langOf(r.Header)
	w := &translating{ResponseWriter: rw, lang: lang}
	defer w.finish()
	if !sameOrigin(r) {
		refOrigin.write(w, lang)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, h.base)
	if !ok && r.URL.Path+"/" != h.base {
		http.NotFound(w, r)
		return
	}
	view, err := h.caller(r)
	if err != nil || view == nil {
		refLogin.write(w, lang)
		return
	}
	// Method overriding would let a POST act as another method past the
	// checks below; tus clients do not need it.
	r.Header.Del("X-HTTP-Method-Override")
	if id := strings.Trim(rest, "/"); id != "" && r.Method != http.MethodOptions {
		rec, ok := h.p.get(id, view.User().ID)
		if !ok {
			// Before tusd takes the upload's lock: another user's
			// request must not interrupt the owner's.
			writeError(w, tusd.ErrNotFound)
			return
		}
		if rec.committed() && rec.AuditID != 0 && r.Method == http.MethodHead {
			w.Header().Set(AuditIDHeader, strconv.FormatInt(rec.AuditID, 10))
		}
	}
	ctx := context.WithValue(r.Context(), callerKey{}, &caller{view: view, lang: lang})
	r2 := r.WithContext(ctx)
	r2.URL = new(url.URL)
	*r2.URL = *r.URL
	r2.URL.Path = "/" + rest
	r2.URL.RawPath = ""
	h.tus.ServeHTTP(w, r2)
}

// sameOrigin refuses what a browser sends for another site: an Origin
// that is not this host, or a cross-site fetch.
func sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host && (u.Scheme == "https" || (u.Scheme == "http" && r.TLS == nil))
}

// check runs at creation, before any byte is accepted: the name and
// folder must be given, and the user must be allowed to store a new file
// of this size there (storage.View.CheckUpload: type rules, existing
// name, largest file, quotas).
func (h *Handler) check(ev tusd.HookEvent) (tusd.HTTPResponse, tusd.FileInfoChanges, error) {
	c := callerOf(ev.Context)
	if c == nil {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, refLogin.in("es")
	}
	name, folder := ev.Upload.MetaData[MetaFilename], ev.Upload.MetaData[MetaFolder]
	if name == "" || folder == "" {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, refMissing.in(c.lang)
	}
	if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, refBadName.in(c.lang)
	}
	if ev.Upload.SizeIsDeferred {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, refLength.in(c.lang)
	}
	meta := tusd.MetaData{MetaFilename: name, MetaFolder: folder}
	if err := c.view.CheckUpload(ev.Context, target(meta), ev.Upload.Size); err != nil {
		ref := refusalOf(err)
		if ref == refFailed {
			h.log.Error("tus: check upload", "user", c.view.User().Name, "vpath", target(meta), "err", err)
		}
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, ref.in(c.lang)
	}
	return tusd.HTTPResponse{}, tusd.FileInfoChanges{MetaData: meta}, nil
}

// finished runs once an upload is committed (FinishUpload returned nil),
// before tusd answers the request that completed it: the answer carries
// the id of its audit row.
func (h *Handler) finished(ev tusd.HookEvent) (tusd.HTTPResponse, error) {
	c := callerOf(ev.Context)
	if c == nil {
		return tusd.HTTPResponse{}, nil
	}
	// The id comes from the commit itself: the record of it may have
	// failed to be noted, and the file is stored all the same.
	id := c.auditID
	if id == 0 {
		if rec, ok := h.p.get(ev.Upload.ID, c.view.User().ID); ok {
			id = rec.AuditID
		}
	}
	if id == 0 {
		return tusd.HTTPResponse{}, nil
	}
	return tusd.HTTPResponse{Header: tusd.HTTPHeader{AuditIDHeader: strconv.FormatInt(id, 10)}}, nil
}

// target is the virtual path an upload's metadata names, uncleaned:
// storage parses it (and refuses what it must) once.
func target(m tusd.MetaData) string {
	folder := strings.TrimSuffix(m[MetaFolder], "/")
	if !strings.HasPrefix(folder, "/") {
		folder = "/" + folder
	}
	return folder + "/" + m[MetaFilename]
}
