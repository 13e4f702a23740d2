package admin

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/oaq/custodia/store"
)

// audit records a change made through the API: who, what (action and the
// resource's path), and the resource before and after, as JSON.
func (s *Server) audit(r *http.Request, c *caller, action, resource string, before, after any) {
	change, _ := json.Marshal(map[string]any{"before": before, "after": after})
	e := store.AuditEntry{
		User: c.name(), Role: store.RoleAdmin, Protocol: protocol, Remote: c.remote.String(), Session: c.session(),
		Action: action, VPath: resource, Result: store.ResultOK, Reason: string(change),
	}
	if err := s.o.Store.Audit(context.WithoutCancel(r.Context()), e); err != nil {
		s.log.Error("admin change not audited", "action", action, "resource", resource, "err", err)
	}
}
