package webdav

import (
	"net/http"
	"path"
	"strings"
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
		w.Header().Set("Content-Disposition", attachment(w.name))
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

// attachment is an RFC 6266 Content-Disposition for a file name: an
// ASCII filename for old clients ('_' for what is not plain ASCII, or a
// quote or backslash) and the exact name as RFC 8187 filename*.
func attachment(name string) string {
	var ascii, ext strings.Builder
	for _, r := range name {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' {
			ascii.WriteByte('_')
		} else {
			ascii.WriteRune(r)
		}
	}
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isAttrChar(c) {
			ext.WriteByte(c)
			continue
		}
		ext.WriteByte('%')
		ext.WriteByte(hex[c>>4])
		ext.WriteByte(hex[c&15])
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar is RFC 8187's attr-char: what filename* carries unescaped.
func isAttrChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
