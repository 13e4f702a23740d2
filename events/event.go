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

// Event is what a hook receives.
type Event struct {
	ID            string    `json:"id"`
	Type          string    `json:"type"`
	At            time.Time `json:"at"`
	Session       string    `json:"session"`
	User          string    `json:"user"`
	Role          string    `json:"role"`
	Protocol      string    `json:"protocol"`
	Remote        string    `json:"remote"`
	Path          string    `json:"path"`                          // as the user named it
	StoragePath   string    `json:"storage_path"`                  // what authorization decided on
	Target        string    `json:"target,omitempty"`              // a rename's new path, as the user named it
	TargetStorage string    `json:"target_storage_path,omitempty"` // and its storage path
	Size          int64     `json:"size"`
	SHA256        string    `json:"sha256,omitempty"`
	Result        string    `json:"result"`
	Reason        string    `json:"reason,omitempty"`
}

func eventOf(e store.Event) Event {
	return Event{ID: e.ID, Type: e.Type, At: e.At.UTC(), Session: e.Session, User: e.User, Role: string(e.Role),
		Protocol: e.Protocol, Remote: e.Remote, Path: e.VPath, StoragePath: e.SPath, Target: e.Target, TargetStorage: e.STarget,
		Size: e.Bytes, SHA256: e.SHA256, Result: string(e.Result), Reason: e.Reason}
}

// env is the event as environment variables for a command hook.
func (e Event) env() []string {
	return []string{
		"CUSTODIA_EVENT_ID=" + e.ID, "CUSTODIA_EVENT_TYPE=" + e.Type,
		"CUSTODIA_EVENT_AT=" + e.At.Format(time.RFC3339Nano), "CUSTODIA_EVENT_SESSION=" + e.Session,
		"CUSTODIA_EVENT_USER=" + e.User, "CUSTODIA_EVENT_ROLE=" + e.Role,
		"CUSTODIA_EVENT_PROTOCOL=" + e.Protocol, "CUSTODIA_EVENT_REMOTE=" + e.Remote,
		"CUSTODIA_EVENT_PATH=" + e.Path, "CUSTODIA_EVENT_STORAGE_PATH=" + e.StoragePath,
		"CUSTODIA_EVENT_TARGET=" + e.Target, "CUSTODIA_EVENT_TARGET_STORAGE_PATH=" + e.TargetStorage, "CUSTODIA_EVENT_SIZE=" + strconv.FormatInt(e.Size, 10),
		"CUSTODIA_EVENT_SHA256=" + e.SHA256, "CUSTODIA_EVENT_RESULT=" + e.Result,
		"CUSTODIA_EVENT_REASON=" + e.Reason,
	}
}
