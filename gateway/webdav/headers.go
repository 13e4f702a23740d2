package webdav

import (
	"net/http"
	"path"

	"github.com/oaq/custodia/gateway"
)

// secureHeaders makes sure nothing the WebDAV origin serves is rendered as
// a page of that origin: a correspondent's .html or .svg opened in a
// browser would otherwise run with the credentials of whoever opened it.
// Every response, errors and PROPFIND included, says nosniff and carries
// "Content-Security-Policy: sandbox" (no script, no same origin); every
// successful download is an attachment under its own name (RFC 6266).
// PDFs too: a sandboxed PDF does not render inline in the common
// browsers, and the mapped drives this origin serves ignore the header.
// net/http's own answers to unparseable requests (400 before a handler
// runs) carry no body of ours and are not covered.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "sandbox")
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			w = &downloadWriter{ResponseWriter: w, name: path.Base(r.URL.Path)}
		}
		next.ServeHTTP(w, r)
	})
}

// downloadWriter adds Content-Disposition to a successful GET or HEAD.
type downloadWriter struct {
	http.ResponseWriter
	name  string
	wrote bool
}

func (w *downloadWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 && code < 300 {
		w.Header().Set("Content-Disposition", gateway.Attachment(w.name))
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *downloadWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *downloadWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
