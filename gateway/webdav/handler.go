package webdav

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/webdav"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/storage"
)

// maxXMLBody bounds the XML bodies of PROPFIND, PROPPATCH and LOCK.
const maxXMLBody = 1 << 20

// allowHeader lists the methods served, for OPTIONS.
const allowHeader = "OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK"

// ServeHTTP authenticates, authorizes the method on its path (and on the
// destination of MOVE and COPY) through the view, and only then lets
// x/net/webdav run it, so a refusal is 403 or 404, never what the handler
// would make of a failed open (404, 409, 405 or 500).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		// Explorer sends OPTIONS before it authenticates and gives up
		// without these headers.
		options(w)
		return
	}
	remote := gateway.RemoteOf(r)
	u, cr := s.login(w, r, remote)
	if cr == nil {
		return
	}
	defer s.creds.release(cr)
	ctx, unbind := gateway.BindSession(r.Context(), cr.ctx, w)
	defer unbind()
	if ctx.Err() != nil {
		challenge(w) // kicked since it logged in: the next request logs in again
		return
	}
	view, err := s.o.Core.View(ctx, u, storage.Session{ID: cr.live.ID(), Protocol: protocol, Remote: remote.String()})
	if err != nil {
		s.log.Error("webdav view", "user", u.Name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	paths, err := parsePaths(r)
	if err != nil {
		st := statusOf(err)
		http.Error(w, http.StatusText(st), st)
		return
	}
	q := &request{view: view, desktop: s.o.DesktopFiles}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		// From the name, as PROPFIND says: http.ServeContent would
		// otherwise read the file's head to sniff it (HEAD would open it).
		w.Header().Set("Content-Type", contentType(r.URL.Path))
	case "PROPFIND", "PROPPATCH", "LOCK":
		r.Body = http.MaxBytesReader(w, r.Body, maxXMLBody)
	case http.MethodPut:
		q.body = &bodyTracker{r: r.Body, want: r.ContentLength}
		r.Body = q.body
	case "MOVE", "COPY":
		// RFC 4918 §10.6: no Overwrite header means T; x/net/webdav's MOVE
		// would take it as F.
		if r.Header.Get("Overwrite") == "" {
			r.Header.Set("Overwrite", "T")
		}
	}
	if status, body := s.precheck(ctx, q, r, paths); status != 0 {
		if body != "" {
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
			w.WriteHeader(status)
			w.Write([]byte(body))
			return
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	src, dst := paths.locked(r.Method)
	q.method, q.src, q.dst = r.Method, paths.src, paths.dst // the lock system gets src: a COPY does not lock its source
	h := &webdav.Handler{FileSystem: fileSystem{q: q}, LockSystem: s.locks.forRequest(ctx, u.Name, view, src, dst, r.Method == "LOCK"), Logger: func(r *http.Request, err error) {
		if err != nil {
			s.log.Debug("webdav request failed", "method", r.Method, "path", r.URL.Path, "user", u.Name, "err", err)
		}
	}}
	// A copy the handler left unanswered goes, even when it panicked: its
	// staging folder and pending notes must not outlive the request.
	defer q.finishCopy(ctx, http.StatusInternalServerError)
	h.ServeHTTP(&statusWriter{ResponseWriter: w, q: q, ctx: ctx}, r.WithContext(ctx))
}

func options(w http.ResponseWriter) {
	h := w.Header()
	h.Set("DAV", "1, 2")
	h.Set("MS-Author-Via", "DAV")
	h.Set("Allow", allowHeader)
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// finiteDepth is the precondition of RFC 4918 §9.1 for a refused
// Depth: infinity PROPFIND.
const finiteDepth = `<?xml version="1.0" encoding="utf-8"?>
<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>
`

// precheck authorizes a request before the handler: the method's action on
// its path, and for MOVE and COPY on the destination too. It returns the
// status (and body) of a refusal, or 0.
func (s *Server) precheck(ctx context.Context, q *request, r *http.Request, p requestPaths) (int, string) {
	name := p.src
	v := q.view
	var err error
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if isDir(ctx, v, name) {
			return http.StatusMethodNotAllowed, ""
		}
		err = v.Check(ctx, authz.Read, name)
	case "PROPFIND":
		// A whole-tree walk is refused: clients list folder by folder.
		if d := r.Header.Get("Depth"); d != "0" && d != "1" {
			if d == "" || strings.EqualFold(d, "infinity") {
				return http.StatusForbidden, finiteDepth
			}
			return http.StatusBadRequest, ""
		}
		if err := checkNamespaces(r); err != nil {
			return http.StatusBadRequest, ""
		}
		err = v.Check(ctx, authz.List, name)
	case http.MethodPut:
		if isDesktopFile(name) && q.desktop == DesktopDiscard {
			return 0, "" // taken and dropped, whoever sends it
		}
		err = v.Check(ctx, authz.Write, name)
	case http.MethodDelete:
		err = v.Check(ctx, authz.Delete, name)
	case "MKCOL":
		err = v.Check(ctx, authz.Mkdir, name)
	case "MOVE", "COPY":
		err = s.checkTransfer(ctx, v, r, p)
	case "PROPPATCH", "UNLOCK":
		// PROPPATCH: the view checks the right to modify when it stores.
		err = v.Check(ctx, authz.List, name)
	case "LOCK":
		if r.ContentLength == 0 {
			err = v.Check(ctx, authz.List, name) // a refresh of one's own lock
		} else {
			err = v.Check(ctx, authz.Write, name)
		}
	default:
		return http.StatusMethodNotAllowed, ""
	}
	if err == nil {
		return 0, ""
	}
	if st := statusOf(err); st != 0 {
		return st, ""
	}
	return http.StatusInternalServerError, ""
}

// checkTransfer checks MOVE (rename at the source) and COPY (read at the
// source), and the destination: a new name needs write (mkdir for a
// folder); an existing file replaced by a file needs overwrite (it is
// replaced atomically); any other existing target, which x/net/webdav
// deletes first, needs delete.
func (s *Server) checkTransfer(ctx context.Context, v *storage.View, r *http.Request, p requestPaths) error {
	src, dst := p.src, p.dst
	if within(dst, src) || within(src, dst) {
		// MOVE onto a folder inside itself would delete the source first;
		// COPY into itself would recurse.
		return &storage.PathError{Op: r.Method, Path: dst, Err: storage.ErrDenied}
	}
	dir := isDir(ctx, v, src)
	act := authz.Rename
	if r.Method == "COPY" {
		act = authz.Read
		if dir {
			act = authz.List
		}
	}
	if err := v.Check(ctx, act, src); err != nil {
		return err
	}
	if dfi, err := v.Stat(ctx, dst); err == nil {
		if strings.EqualFold(r.Header.Get("Overwrite"), "F") {
			return nil // the handler answers 412
		}
		if !dir && !dfi.IsDir() {
			return v.Check(ctx, authz.Write, dst) // replaced in place: overwrite
		}
		return v.Check(ctx, authz.Delete, dst)
	}
	if dir {
		return v.Check(ctx, authz.Mkdir, dst)
	}
	return v.Check(ctx, authz.Write, dst)
}

// requestPaths are a request's virtual paths, parsed once, at the edge,
// by storage.ParsePath: its own, and for MOVE and COPY the Destination.
type requestPaths struct {
	src string // the request's own clean path
	dst string // the clean Destination; "" but for MOVE and COPY
}

// parsePaths parses the request's path and, for MOVE and COPY, its
// Destination header, which must name this server. A hostile path is
// storage.ErrInvalidPath, as on the other protocols.
func parsePaths(r *http.Request) (requestPaths, error) {
	src, err := storage.ParsePath(r.URL.Path)
	if err != nil {
		return requestPaths{}, &storage.PathError{Op: r.Method, Path: "", Err: err}
	}
	p := requestPaths{src: src.String()}
	if r.Method != "MOVE" && r.Method != "COPY" {
		return p, nil
	}
	u, err := url.Parse(r.Header.Get("Destination"))
	if err != nil || u.Path == "" || (u.Host != "" && u.Host != r.Host) {
		return requestPaths{}, &storage.PathError{Op: "destination", Path: "", Err: storage.ErrInvalidPath}
	}
	dst, err := storage.ParsePath(u.Path)
	if err != nil {
		return requestPaths{}, &storage.PathError{Op: "destination", Path: "", Err: err}
	}
	p.dst = dst.String()
	return p, nil
}

// locked returns the virtual paths a request by method changes, which its
// locks must allow: COPY changes only its destination, MOVE both ends,
// the other methods their own path.
func (p requestPaths) locked(method string) (src, dst string) {
	switch method {
	case "COPY":
		return "", p.dst
	case "MOVE":
		return p.src, p.dst
	}
	return p.src, ""
}

// within reports whether p is inside folder dir, or is dir.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

func isDir(ctx context.Context, v *storage.View, name string) bool {
	fi, err := v.Stat(ctx, name)
	return err == nil && fi.IsDir()
}

// statusWriter replaces the handler's status for a failed storage call
// with statusOf's, and its body with a neutral text. A folder COPY is
// committed, or aborted, here, before its status goes out.
type statusWriter struct {
	http.ResponseWriter
	q         *request
	ctx       context.Context
	wrote     bool
	rewritten bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if err := w.q.finishCopy(w.ctx, code); err != nil {
		w.q.note(err)
		code = http.StatusInternalServerError
	}
	if code >= 400 {
		if st := statusOf(w.q.lastErr()); st != 0 && st != code {
			code, w.rewritten = st, true
			w.Header().Del("Content-Type")
			w.Header().Del("Content-Length")
		}
	}
	w.ResponseWriter.WriteHeader(code)
	if w.rewritten {
		w.ResponseWriter.Write([]byte(bodyOf(w.q.lastErr(), code)))
	}
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.rewritten {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
