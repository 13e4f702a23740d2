package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/web/tus"
	"github.com/oaq/custodia/web/ui"
)

// The upload page of a folder, /u/<folder>: with JavaScript, files
// dropped on it (or chosen) go through the resumable uploads (/uploads/,
// assets/upload.js); without it, its form posts them here, and each is
// streamed into the view as it arrives. Either way a batch ends with its
// receipt (receipt.go).

const (
	// maxBatch is the most files one form post may bring: the form stops
	// reading after it.
	maxBatch = 200
	// maxFormOverhead bounds the bytes of a form post that are not the
	// data of a file of the batch: the token, every part's headers (a
	// file's name among them), fields and parts that are not files. A
	// browser's batch of maxBatch files needs some hundred KiB; more is a
	// post that would make the server read, and hold, what it wants.
	maxFormOverhead = 512 << 10
	// shownName is the most characters of a refused file's name its
	// receipt shows.
	shownName = 80
)

// uploadHref is the upload page of a folder.
func uploadHref(vpath string) string {
	h := "/u" + escapePath(vpath)
	if !strings.HasSuffix(h, "/") {
		h += "/"
	}
	return h
}

// uploadPage is the upload template's data.
type uploadPage struct {
	Name   string // the folder's name
	Folder string // its virtual path (the tus metadata "folder")
	Here   string // the page's own address: the form posts here
	Back   string // the folder's page
	Crumbs []crumb
	Alert  string // a catalogue key, or ""
}

// uploadFolder resolves the folder a request to /u/ names: an existing
// folder into which the user may upload. The form's post asks the view
// (storage.View.Check, which audits a denial: the post would act); the
// page only decides what to show (View.May, no audit row for a look).
// Anything else is the one 404 of what does not exist or is hidden; false
// when it answered.
func (s *Server) uploadFolder(w http.ResponseWriter, r *http.Request, q *request, acting bool) (string, bool) {
	vpath := path.Clean(vpathOf(r))
	fi, err := q.view.Stat(r.Context(), vpath)
	if err == nil && !fi.IsDir() {
		err = storage.ErrNotDir
	}
	switch {
	case err != nil:
	case acting:
		err = q.view.Check(r.Context(), authz.Write, vpath)
	case !q.view.May(r.Context(), authz.Write, vpath):
		err = storage.ErrDenied
	}
	switch {
	case err == nil:
		return vpath, true
	case errors.Is(err, storage.ErrDenied):
		s.notFound(w, r) // hide before deny: the same answer as no such folder
	default:
		s.fail(w, r, q, err)
	}
	return "", false
}

func (s *Server) newUploadPage(q *request, vpath string) uploadPage {
	return uploadPage{Name: path.Base(vpath), Folder: vpath, Here: uploadHref(vpath), Back: folderHref(vpath),
		Crumbs: crumbsOf(vpath, q.lang)}
}

// upload shows the upload page of a folder.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, q *request) {
	vpath, ok := s.uploadFolder(w, r, q, false)
	if !ok {
		return
	}
	p := s.newUploadPage(q, vpath)
	s.pages.Render(w, http.StatusOK, "upload", q.page(q.lang.T("upload.title")+": "+p.Name, p))
}

// uploadForm takes the upload page's form without JavaScript: a
// multipart body whose first part is the CSRF token, then the files. Each
// file is streamed from the request into a new file of the view
// (CreateNew: never a replacement; durable, atomic, audited as over
// SFTP), without a temporary copy; a refused file is named with its
// reason and the others go on. The answer is the batch's receipt.
func (s *Server) uploadForm(w http.ResponseWriter, r *http.Request, q *request) {
	if !ui.SameOrigin(r) {
		s.forbidden(w, r)
		return
	}
	budget := &formBudget{r: r.Body, left: maxFormOverhead}
	r.Body = struct {
		io.Reader
		io.Closer
	}{budget, r.Body}
	mr, err := r.MultipartReader()
	if err != nil {
		s.forbidden(w, r) // not the page's form
		return
	}
	// The token comes first (the form puts its hidden field before the
	// files): nothing is written, nor decided, for a post that does not
	// bring it.
	part, err := mr.NextPart()
	if err != nil || part.FormName() != ui.CSRFField {
		s.forbidden(w, r)
		return
	}
	tok, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil || !ui.ValidToken(string(tok), q.s.CSRF) {
		s.forbidden(w, r)
		return
	}
	vpath, ok := s.uploadFolder(w, r, q, true)
	if !ok {
		return
	}
	var res batchResult
	buf := make([]byte, 256<<10)
	for n := 0; ; {
		budget.data = false
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.log.Debug("web upload form", "user", q.user.Name, "session", q.s.ID, "err", err)
			key := "upload.broken"
			if errors.Is(err, errFormOverhead) {
				key = "upload.form_too_large"
			}
			s.badUpload(w, r, q, vpath, key)
			return
		}
		name := part.FileName()
		if part.FormName() != "files" || name == "" {
			continue // an empty file input sends a part with no name
		}
		if n++; n > maxBatch {
			// Stop reading: the rest of the post is not taken.
			res.refuse(shortName(name), fmt.Sprintf(q.lang.T("upload.too_many"), maxBatch))
			break
		}
		budget.data = true // the file's bytes, refused or not, are the batch's
		body := &readErr{r: part}
		if !oneName(name) {
			res.refuse(shortName(name), s.refusal(q, vpath, storage.ErrBadName))
			_, err = io.CopyBuffer(io.Discard, body, buf)
		} else {
			err = s.store(r, q, path.Join(vpath, name), name, body, buf, &res)
		}
		if err != nil {
			s.log.Debug("web upload form", "user", q.user.Name, "session", q.s.ID, "err", err)
			s.badUpload(w, r, q, vpath, "upload.broken")
			return
		}
	}
	if len(res.ids) == 0 && len(res.refused) == 0 {
		s.badUpload(w, r, q, vpath, "upload.none")
		return
	}
	s.receipt(w, r, q, res, uploadLinks{Folder: folderHref(vpath), Upload: uploadHref(vpath)})
}

// oneName reports whether name is one new name within a folder: not
// empty, not "." or "..", without a slash or backslash, and no longer
// than the view takes (storage.MaxNameLen). The view judges the rest
// (reserved names, control characters). The folder operations' new names
// and the upload form's file names both go through it.
func oneName(name string) bool {
	return name != "" && name != "." && name != ".." && len(name) <= storage.MaxNameLen && !strings.ContainsAny(name, "/\\")
}

// shortName is a file name as a receipt shows it: cut, with an ellipsis,
// past shownName characters.
func shortName(name string) string {
	if utf8.RuneCountInString(name) <= shownName {
		return name
	}
	return string([]rune(name)[:shownName-1]) + "…"
}

// errFormOverhead is a form post past maxFormOverhead.
var errFormOverhead = errors.New("web: the form post's overhead is too large")

// formBudget counts the bytes of a form post read while data is false
// (all but the data of the batch's files), and fails the read past left.
// The multipart reader reads ahead a few KiB, so the count is close, not
// exact: a bound, not a measure.
type formBudget struct {
	r    io.Reader
	left int64
	data bool
}

func (b *formBudget) Read(p []byte) (int, error) {
	if !b.data && b.left <= 0 {
		return 0, errFormOverhead
	}
	if !b.data && int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	if !b.data {
		b.left -= int64(n)
	}
	return n, err
}

// store streams one file into the view and notes the outcome in res; its
// error is the request's own (its body ended early), after discarding the
// file.
func (s *Server) store(r *http.Request, q *request, vpath, name string, body *readErr, buf []byte, res *batchResult) error {
	up, err := q.view.CreateNew(r.Context(), vpath)
	if err != nil {
		res.refuse(shortName(name), s.refusal(q, vpath, err))
		_, err = io.CopyBuffer(io.Discard, body, buf)
		return err
	}
	_, err = io.CopyBuffer(up, body, buf)
	if err != nil {
		up.TransferError(err)
	}
	cerr := up.Close()
	if body.err != nil {
		return body.err
	}
	if cerr != nil {
		res.refuse(shortName(name), s.refusal(q, vpath, cerr))
		return nil
	}
	res.ids = append(res.ids, up.AuditID())
	return nil
}

// refusal is what the uploader is told of a storage error: the one
// mapping the resumable uploads use too (tus.Refusal). An internal
// failure goes to the log, with its cause.
func (s *Server) refusal(q *request, vpath string, err error) string {
	_, msg, internal := tus.Refusal(err, string(q.lang.Lang))
	if internal {
		s.log.Error("web upload", "user", q.user.Name, "session", q.s.ID, "vpath", vpath, "err", err)
	}
	return msg
}

// badUpload shows the upload page again with an alert.
func (s *Server) badUpload(w http.ResponseWriter, r *http.Request, q *request, vpath, key string) {
	p := s.newUploadPage(q, vpath)
	p.Alert = key
	s.pages.Render(w, http.StatusBadRequest, "upload", q.page(q.lang.T("upload.title")+": "+p.Name, p))
}

// batchResult is what one batch left: the audit rows of the files
// stored, and the files refused with their reasons.
type batchResult struct {
	ids     []int64
	refused []refused
}

// refused is a file of a batch that was not stored, and why.
type refused struct{ Name, Message string }

func (b *batchResult) refuse(name, msg string) { b.refused = append(b.refused, refused{name, msg}) }

// readErr remembers the error of reading the request (the connection
// broke), as opposed to writing the file (the storage refused it).
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}
