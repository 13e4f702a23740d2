package ui

import "net/http"

// ContentSecurityPolicy is every page's: only this origin's embedded
// style sheet, images and scripts; scripts talk only to this origin (the
// upload page's resumable uploads); forms post only here; never framed;
// no <base>. Pages carry no inline script or style.
const ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// SecureHeaders sets on every response the headers that keep pages of
// this origin from being framed, sniffed, leaking their address, or
// running anything but their own embedded assets. Pages are not cached
// (they show one user's data); Assets sets its own Cache-Control.
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
