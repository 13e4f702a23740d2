// Package events delivers the outbox — every login, completed change and
// denial, written by the store in the same transaction as its audit row —
// to the hooks of the configuration: commands and webhooks, each at least
// once, in order, retried with backoff until it succeeds, across restarts.
package events

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oaq/custodia/store"
)

// Event is what a hook receives: its id and type, then the audit row's
// fields in the one JSON shape of store.AuditEntry (the row's own numeric
// id is left out: the event's id names it).
type Event struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	store.AuditEntry
}

func eventOf(e store.Event) Event {
	ev := Event{ID: e.ID, Type: e.Type, AuditEntry: e.AuditEntry}
	ev.At = ev.At.UTC()
	return ev
}

// env is the event as environment variables for a command hook. Values
// come from strangers (a user name is whatever a client sent at login),
// so each is envValue-encoded; the JSON on standard input is exact.
func (e Event) env() []string {
	kv := []string{
		"ID", e.ID, "TYPE", e.Type, "AT", e.At.Format(time.RFC3339Nano), "SESSION", e.Session,
		"USER", e.User, "ROLE", string(e.Role), "PROTOCOL", e.Protocol, "REMOTE", e.Remote, "ACTION", e.Action,
		"PATH", e.VPath, "STORAGE_PATH", e.SPath, "TARGET", e.Target, "TARGET_STORAGE_PATH", e.STarget,
		"BYTES", strconv.FormatInt(e.Bytes, 10), "SHA256", e.SHA256, "RESULT", string(e.Result), "REASON", e.Reason,
	}
	out := make([]string, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		out = append(out, "CUSTODIA_EVENT_"+kv[i]+"="+envValue(kv[i+1]))
	}
	return out
}

// envValue percent-encodes (RFC 3986 style, %XX in upper-case hex) the
// bytes of s that an environment variable cannot hold or a shell script
// would trip on: '%' itself, NUL and every other control byte (below 0x20
// and 0x7f), and every byte that is not part of valid UTF-8. Anything else,
// including non-ASCII letters, passes unchanged; decode with
// urllib.parse.unquote or similar.
func envValue(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '%' || r == utf8.RuneError }) {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x20 || r == 0x7f || r == '%' || (r == utf8.RuneError && n <= 1) {
			b.WriteByte('%')
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&15])
			i++
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}
