// Package dburl hides the password of a database URL, for check-config,
// logs and errors. It leans to hiding too much: whatever could be a
// password is masked even when the URL does not parse.
package dburl

import (
	"net/url"
	"strings"
)

// Mask is what a hidden password shows as.
const Mask = "xxxxx"

// Redact is s with its password, in the user info or a password
// parameter, replaced by Mask. The user info is everything before the
// last "@" (a host has none), so a password holding "/", "?" or "#",
// which url.Parse would take for the path, is masked too.
func Redact(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		rest = s
	}
	head := s[:len(s)-len(rest)]
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if name, _, has := strings.Cut(rest[:at], ":"); has {
			rest = name + ":" + Mask + rest[at:]
		}
	}
	if base, query, has := strings.Cut(rest, "?"); has {
		if q, err := url.ParseQuery(query); err != nil {
			rest = base + "?" + Mask
		} else if q.Has("password") {
			q.Set("password", Mask)
			rest = base + "?" + q.Encode()
		}
	}
	return head + rest
}
