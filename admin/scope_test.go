package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// TestAPIKeyScopes: a metrics key reads /metrics and nothing else; a read
// key reads every GET endpoint and changes nothing; an admin key does
// everything. A key is made with an explicit scope.
func TestAPIKeyScopes(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tok := tg.APILogin("sys")
	testkit.WantProblem(t, "a key without a scope", tg.API("POST", "/api/v1/keys", tok, map[string]any{"name": "x"}), 422, "scope")
	testkit.WantProblem(t, "a key of an unknown scope", tg.API("POST", "/api/v1/keys", tok,
		map[string]any{"name": "x", "scope": "root"}), 422, "scope")
	key := func(scope string) string {
		t.Helper()
		r := tg.API("POST", "/api/v1/keys", tok, map[string]any{"name": "de " + scope, "scope": scope})
		k, _ := r.JSON(t)["key"].(string)
		if r.Code != 201 || k == "" || r.JSON(t)["scope"] != scope {
			t.Fatalf("create a %s key: %d %s", scope, r.Code, r.Body)
		}
		return k
	}
	metrics, read, admin := key("metrics"), key("read"), key("admin")
	if l := tg.API("GET", "/api/v1/keys", read, nil); l.Code != 200 || !contains(l.Body, `"scope":"metrics"`) {
		t.Errorf("the key list does not show scopes: %d %s", l.Code, l.Body)
	}

	user := map[string]any{"username": "nuevo", "role": "staff", "department": "trafico", "password": testkit.Password}
	steps := []struct {
		who, key, method, path string
		body                   any
		want                   int
	}{
		{"metrics", metrics, "GET", "/metrics", nil, 200},
		{"metrics", metrics, "GET", "/api/v1/users", nil, 403},
		{"metrics", metrics, "GET", "/api/v1/audit", nil, 403},
		{"metrics", metrics, "POST", "/api/v1/users", user, 403},
		{"read", read, "GET", "/metrics", nil, 200},
		{"read", read, "GET", "/api/v1/users", nil, 200},
		{"read", read, "GET", "/api/v1/users/ana", nil, 200},
		{"read", read, "POST", "/api/v1/policies/explain", map[string]string{"user": "ana", "action": "list", "path": "/departments/operaciones/"}, 200},
		{"read", read, "POST", "/api/v1/users", user, 403},
		{"read", read, "PATCH", "/api/v1/users/ana", map[string]any{"status": "disabled"}, 403},
		{"read", read, "DELETE", "/api/v1/users/ana", nil, 403},
		{"read", read, "POST", "/api/v1/keys", map[string]any{"name": "y", "scope": "admin"}, 403},
		{"admin", admin, "GET", "/metrics", nil, 200},
		{"admin", admin, "POST", "/api/v1/users", user, 201},
		{"admin", admin, "PATCH", "/api/v1/users/nuevo", map[string]any{"status": "disabled"}, 200},
		{"admin", admin, "DELETE", "/api/v1/users/nuevo", nil, 204},
		{"a made-up key", "cstk_nope", "GET", "/metrics", nil, 401},
	}
	for _, s := range steps {
		r := tg.API(s.method, s.path, s.key, s.body)
		if r.Code != s.want {
			t.Errorf("a %s key: %s %s answered %d, want %d: %s", s.who, s.method, s.path, r.Code, s.want, r.Body)
		}
		if s.want == http.StatusForbidden && !contains(r.Body, "scope") {
			t.Errorf("a %s key refused on %s %s without naming the scope: %s", s.who, s.method, s.path, r.Body)
		}
	}
	if r := tg.API("GET", "/api/v1/users/ana", tok, nil); !contains(r.Body, `"status":"active"`) {
		t.Errorf("a read key changed ana: %s", r.Body)
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }
