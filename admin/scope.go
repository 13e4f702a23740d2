package admin

import (
	"net/http"

	"github.com/oaq/custodia/store"
)

// needs is the scope a token must have to use the route: metrics for
// /metrics, read for what only reads (the GET endpoints, and explain,
// which asks the rules a question and changes nothing), admin for every
// other endpoint, which changes something.
func (rt route) needs() store.Scope {
	switch {
	case rt.pattern == "/metrics":
		return store.ScopeMetrics
	case rt.method == http.MethodGet, rt.method == http.MethodPost && rt.pattern == "/api/v1/policies/explain":
		return store.ScopeRead
	}
	return store.ScopeAdmin
}

// inScope refuses a request whose token's scope does not cover the route.
// It is the one place scopes are enforced: handle calls it for every
// authenticated request.
func inScope(rt route, c *caller) error {
	need := rt.needs()
	if c.token.Scope.Allows(need) {
		return nil
	}
	return fail(http.StatusForbidden, "", "this API key has scope %s; %s %s needs scope %s", c.token.Scope, rt.method, rt.pattern, need)
}
