package main

import (
	"strings"
	"testing"
)

// TestTokenCreateWithScope: `token create` needs an explicit scope and an
// admin to act as; the key is printed once, `token list` shows its scope,
// a metrics key reads /metrics and nothing else, and `token revoke` ends
// it at once.
func TestTokenCreateWithScope(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	tg.Fixture()
	for _, c := range []struct{ what string }{{"no scope"}, {"an unknown scope"}, {"a non-admin"}, {"no user"}} {
		args := map[string][]string{
			"no scope":         {"token", "create", "prom", "--user", "sys"},
			"an unknown scope": {"token", "create", "prom", "--user", "sys", "--scope", "root"},
			"a non-admin":      {"token", "create", "prom", "--user", "ana", "--scope", "read"},
			"no user":          {"token", "create", "prom", "--scope", "read"},
		}[c.what]
		if out, err := cli(tg, "", args...); err == nil {
			t.Errorf("token create with %s: %s", c.what, out)
		}
	}
	out := must(tg, "", "token", "create", "prometheus", "--user", "sys", "--scope", "metrics")
	var key string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "cstk_") {
			key = l
		}
	}
	if key == "" {
		t.Fatalf("token create printed no key:\n%s", out)
	}
	list := must(tg, "", "token", "list")
	if !strings.Contains(list, "\tprometheus\tsys\tmetrics\t") || strings.Contains(list, key) {
		t.Errorf("token list does not show the key's scope (or shows the secret):\n%s", list)
	}
	if r := tg.API("GET", "/metrics", key, nil); r.Code != 200 {
		t.Errorf("the metrics key on /metrics: %d %s", r.Code, r.Body)
	}
	if r := tg.API("GET", "/api/v1/users", key, nil); r.Code != 403 {
		t.Errorf("the metrics key on /api/v1/users: %d %s", r.Code, r.Body)
	}
	id := strings.Fields(list)[0]
	must(tg, "", "token", "revoke", id)
	if r := tg.API("GET", "/metrics", key, nil); r.Code != 401 {
		t.Errorf("a revoked key on /metrics: %d %s", r.Code, r.Body)
	}
	log := tg.AuditLog("", 200)
	for _, want := range []string{"admin.key.create\t/api/v1/keys\t", "admin.key.revoke\t/api/v1/keys/" + id} {
		if !strings.Contains(log, want) {
			t.Errorf("the audit trail lacks %q:\n%s", want, log)
		}
	}
}
