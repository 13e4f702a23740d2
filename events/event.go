// Package events delivers the outbox — every login, completed change and
// denial, written by the store in the same transaction as its audit row —
// to the hooks of the configuration: commands and webhooks, each at least
// once, in order, retried with backoff until it succeeds, across restarts.
package events

import (
	"strconv"
	"time"

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

// env is the event as environment variables for a command hook.
func (e Event) env() []string {
	return []string{
		"CUSTODIA_EVENT_ID=" + e.ID, "CUSTODIA_EVENT_TYPE=" + e.Type,
		"CUSTODIA_EVENT_AT=" + e.At.Format(time.RFC3339Nano), "CUSTODIA_EVENT_SESSION=" + e.Session,
		"CUSTODIA_EVENT_USER=" + e.User, "CUSTODIA_EVENT_ROLE=" + string(e.Role),
		"CUSTODIA_EVENT_PROTOCOL=" + e.Protocol, "CUSTODIA_EVENT_REMOTE=" + e.Remote, "CUSTODIA_EVENT_ACTION=" + e.Action,
		"CUSTODIA_EVENT_PATH=" + e.VPath, "CUSTODIA_EVENT_STORAGE_PATH=" + e.SPath,
		"CUSTODIA_EVENT_TARGET=" + e.Target, "CUSTODIA_EVENT_TARGET_STORAGE_PATH=" + e.STarget,
		"CUSTODIA_EVENT_BYTES=" + strconv.FormatInt(e.Bytes, 10),
		"CUSTODIA_EVENT_SHA256=" + e.SHA256, "CUSTODIA_EVENT_RESULT=" + string(e.Result),
		"CUSTODIA_EVENT_REASON=" + e.Reason,
	}
}
