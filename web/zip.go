package web

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/web/ui"
)

// Several files as one zip. The form is a POST, not a GET: a thousand
// paths do not fit in a URL (nor in the request-header bound), a POST
// keeps them out of the address bar, the history and access logs, and it
// carries the session's CSRF token, so a page of another site cannot make
// the browser fetch, and audit, a thousand downloads in the user's name.
const (
	// MaxZipFiles bounds the files of one zip: one request must not hold
	// the server for ever, and a selection that large is a backup's job.
	MaxZipFiles = 1000
	// maxZipForm bounds the zip form's body: MaxZipFiles paths of a few
	// hundred bytes each, escaped.
	maxZipForm = 1 << 20
	// zipField is the form field of each selected file's virtual path.
	zipField = "file"
)

var zipMessages = map[Lang]map[string]string{
	Spanish: {
		"zip.button": "Descargar seleccionados (.zip)", "zip.select": "Seleccionar",
		"zip.none.title": "Nada seleccionado", "zip.none": "Marque los archivos que desea descargar y vuelva a intentarlo.",
		"zip.toomany.title": "Demasiados archivos", "zip.toomany": "Un zip puede llevar hasta %d archivos; seleccione menos.",
	},
	English: {
		"zip.button": "Download selected (.zip)", "zip.select": "Select",
		"zip.none.title": "Nothing selected", "zip.none": "Tick the files you want to download and try again.",
		"zip.toomany.title": "Too many files", "zip.toomany": "A zip can hold up to %d files; select fewer.",
	},
}

// zipped is a selected file, checked, and its name in the archive.
type zipped struct {
	vpath, name string
	info        fs.FileInfo
}

// zip streams the selected files as one zip. Before the first byte it
// checks every one of them through the view (visible, a file, readable):
// one that fails answers as a single download would (the same 404 for a
// missing file and one the user may not see), and nothing is sent. Then
// each file is opened through the view and closed as a download, so each
// has its audit row; one cut short says failed. Nothing is written to
// disk and no file is held whole in memory: archive/zip writes each entry
// as it is read, with a data descriptor after it.
//
// The entries are stored, not deflated: the PDFs this portal serves are
// compressed inside already (their streams are deflated), so deflating
// them again would cost the server's CPU for a few percent at best, and
// stored entries go out as fast as the disk and the network allow.
func (s *Server) zip(w http.ResponseWriter, r *http.Request, q *request) {
	l := q.lang
	if !ui.SameOrigin(r) {
		s.forbidden(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxZipForm)
	if err := r.ParseForm(); err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			s.pages.Render(w, http.StatusRequestEntityTooLarge, "message",
				q.page(l.T("zip.toomany.title"), fmt.Sprintf(l.T("zip.toomany"), MaxZipFiles)))
			return
		}
		s.forbidden(w, r)
		return
	}
	if !ui.ValidToken(r.PostForm.Get(ui.CSRFField), q.s.CSRF) {
		s.forbidden(w, r)
		return
	}
	selected := r.PostForm[zipField]
	if len(selected) == 0 {
		s.pages.Render(w, http.StatusBadRequest, "message", q.page(l.T("zip.none.title"), l.T("zip.none")))
		return
	}
	if len(selected) > MaxZipFiles {
		s.pages.Render(w, http.StatusRequestEntityTooLarge, "message",
			q.page(l.T("zip.toomany.title"), fmt.Sprintf(l.T("zip.toomany"), MaxZipFiles)))
		return
	}
	files, err := s.zipChecked(r, q, selected)
	if err != nil {
		s.fail(w, r, q, err)
		return
	}

	h := w.Header()
	h.Set("Content-Security-Policy", downloadPolicy)
	h.Set("Content-Disposition", gateway.Attachment(zipName(files)))
	h.Set("Content-Type", "application/zip")
	h.Set("Cache-Control", "private, no-store")
	fw := &failWriter{ResponseWriter: w}
	zw := zip.NewWriter(fw)
	rc := http.NewResponseController(w)
	buf := make([]byte, 256<<10)
	for i, f := range files {
		d, err := s.zipOne(r, q, zw, f, buf)
		// An entry is sent when its bytes left the server's buffers for
		// the connection: the zip writer's and the response's are flushed
		// before its download closes as whole. The last one closes only
		// after the central directory, without which the archive is no
		// zip, went out too.
		if err == nil {
			err = zipFlush(zw, rc)
		}
		if err == nil && i == len(files)-1 {
			if err = zw.Close(); err == nil {
				err = rc.Flush()
			}
		}
		if err == nil {
			err = r.Context().Err()
		}
		if d != nil {
			if err != nil {
				d.TransferError(err)
			}
			if cerr := d.Close(); cerr != nil {
				s.log.Warn("web zip close", "user", q.user.Name, "session", q.s.ID, "vpath", f.vpath, "err", cerr)
			}
		}
		if err != nil {
			// The archive cannot be finished: cut the connection, so the
			// browser reports a failed download rather than keep a zip
			// that looks whole but lacks files.
			s.log.Info("web zip cut short", "user", q.user.Name, "session", q.s.ID, "vpath", f.vpath, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
}

// zipFlush sends what the zip writer and the response hold.
func zipFlush(zw *zip.Writer, rc *http.ResponseController) error {
	if err := zw.Flush(); err != nil {
		return err
	}
	return rc.Flush()
}

// zipChecked checks every selected path through the view and names each
// file in the archive; the first that is not a file the user may read is
// the error. A path selected twice is taken once.
func (s *Server) zipChecked(r *http.Request, q *request, selected []string) ([]zipped, error) {
	ctx := r.Context()
	seen := map[string]bool{}
	names := map[string]bool{}
	var out []zipped
	for _, raw := range selected {
		vpath := path.Clean("/" + raw)
		if seen[vpath] {
			continue
		}
		seen[vpath] = true
		fi, err := q.view.Stat(ctx, vpath)
		if err != nil {
			return nil, err
		}
		if fi.IsDir() {
			return nil, &storage.PathError{Op: "zip", Path: vpath, Err: storage.ErrIsDir}
		}
		if err := q.view.Check(ctx, authz.Read, vpath); err != nil {
			return nil, err
		}
		out = append(out, zipped{vpath: vpath, name: uniqueName(names, fi.Name()), info: fi})
	}
	return out, nil
}

// zipOne writes one file into the archive, read through the view; it
// returns the file's download, still open (nil when it could not be
// opened), for the caller to close once the entry went out, or as failed.
func (s *Server) zipOne(r *http.Request, q *request, zw *zip.Writer, f zipped, buf []byte) (*storage.Download, error) {
	d, err := q.view.Open(r.Context(), f.vpath)
	if err != nil {
		return nil, err
	}
	ew, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store, Modified: f.info.ModTime().UTC()})
	if err != nil {
		return d, err
	}
	_, err = io.CopyBuffer(ew, d, buf)
	return d, err
}

// uniqueName is name, or, when the archive has it already (files of
// several folders found by a search), name with " (2)", " (3)"… before
// its extension. Names come from the view, which admits no slash in a
// name, so an entry never reaches out of the folder it is unpacked into.
func uniqueName(used map[string]bool, name string) string {
	out := name
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 2; used[strings.ToLower(out)]; i++ {
		out = fmt.Sprintf("%s (%d)%s", stem, i, ext)
	}
	used[strings.ToLower(out)] = true
	return out
}

// zipName is the archive's file name: the folder's when every file comes
// from one, else a dated one.
func zipName(files []zipped) string {
	dir := path.Dir(files[0].vpath)
	for _, f := range files[1:] {
		if path.Dir(f.vpath) != dir {
			dir = ""
			break
		}
	}
	if dir == "" || dir == "/" {
		return "custodia-" + time.Now().Format("2006-01-02") + ".zip"
	}
	return path.Base(dir) + ".zip"
}
