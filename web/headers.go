package web

import (
	"net/http"
	"strings"
)

// ContentSecurityPolicy is every page's: only this origin's embedded
// style sheet, images and scripts; forms post only here; never framed;
// no <base>. Pages carry no inline script or style.
const ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// downloadPolicy is a downloaded file's: were a browser to render it
// anyway, it runs sandboxed (no script, no same origin).
const downloadPolicy = "sandbox"

// SecureHeaders sets on every response the headers that keep pages of
// this origin from being framed, sniffed, leaking their address, or
// running anything but their own embedded assets. Pages are not cached
// (they show one user's files); Assets sets its own Cache-Control.
func SecureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// Attachment is an RFC 6266 Content-Disposition for a file name: an
// ASCII filename for old clients ('_' for what is not plain ASCII, or a
// quote or backslash) and the exact name as RFC 8187 filename*.
func Attachment(name string) string {
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
