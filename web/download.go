package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"path"

	"github.com/oaq/custodia/gateway"
)

// download serves one file through the view (authorized, and audited
// when it closes with the bytes served) as an attachment under its own
// name, sandboxed should a browser render it anyway. PDFs too: a
// sandboxed PDF does not render inline in the common browsers. Ranges
// are served, so a browser can resume a large download.
func (s *Server) download(w http.ResponseWriter, r *http.Request, q *request) {
	vpath := path.Clean(vpathOf(r))
	fi, err := q.view.Stat(r.Context(), vpath)
	if err == nil && fi.IsDir() {
		http.Redirect(w, r, folderHref(vpath), http.StatusSeeOther)
		return
	}
	if err != nil {
		s.fail(w, r, q, err)
		return
	}
	d, err := q.view.Open(r.Context(), vpath)
	if err != nil {
		s.fail(w, r, q, err)
		return
	}
	fw := &failWriter{ResponseWriter: w}
	defer func() {
		if fw.err != nil || r.Context().Err() != nil {
			d.TransferError(errors.Join(fw.err, r.Context().Err()))
		}
		if err := d.Close(); err != nil {
			s.log.Warn("web download close", "user", q.user.Name, "session", q.s.ID, "vpath", vpath, "err", err)
		}
	}()
	h := w.Header()
	h.Set("Content-Security-Policy", downloadPolicy)
	h.Set("Content-Disposition", gateway.Attachment(fi.Name()))
	h.Set("Content-Type", contentType(fi.Name()))
	h.Set("Cache-Control", "private, no-store")
	http.ServeContent(fw, r, "", fi.ModTime(), io.NewSectionReader(d, 0, fi.Size()))
	// The last bytes are sent when they left the response's buffer: the
	// download closes as whole only then.
	if err := http.NewResponseController(w).Flush(); err != nil && fw.err == nil {
		fw.err = err
	}
}

// contentType is a file's type from its name: never sniffed from its
// content, which a stranger wrote.
func contentType(name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// failWriter remembers the first failed write: the download did not
// arrive whole.
type failWriter struct {
	http.ResponseWriter
	err error
}

func (w *failWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *failWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
