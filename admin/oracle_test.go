package admin_test

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestLoginFailureMessagesIdentical: every refused admin API login gets
// the same answer (status, type, body), whether the password was wrong or
// right for an account that may not use the API; only the audit rows tell
// the causes apart.
func TestLoginFailureMessagesIdentical(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_ENABLED=false")
	tg.Fixture()
	past := time.Now().Add(-time.Hour)
	tg.AddUser(store.NewUser{Name: "apagado", Role: store.RoleAdmin})
	tg.AddUser(store.NewUser{Name: "lejano", Role: store.RoleAdmin, AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	tg.AddUser(store.NewUser{Name: "vencido", Role: store.RoleAdmin, ExpiresAt: &past})
	if err := tg.Store().SetStatus(context.Background(), "apagado", store.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ what, user, password, cause string }{
		{"a wrong password", "sys", "not-the-password-1", "password: wrong password"},
		{"an unknown user", "nadie", testkit.Password, "password: unknown user"},
		{"a non-admin's right password", "ana", testkit.Password, "password: not an admin"},
		{"a disabled admin's right password", "apagado", testkit.Password, "password: account disabled"},
		{"an admin's right password from outside allowed_cidrs", "lejano", testkit.Password, "password: address 127.0.0.1 not allowed"},
		{"an expired admin's right password", "vencido", testkit.Password, "password: account expired"},
	}
	var first testkit.APIResp
	for i, c := range cases {
		r := tg.API("POST", "/api/v1/login", "", map[string]string{"username": c.user, "password": c.password})
		if i == 0 {
			first = r
			testkit.WantProblem(t, c.what, r, http.StatusUnauthorized, "")
		} else if r.Code != first.Code || string(r.Body) != string(first.Body) ||
			r.Header.Get("Content-Type") != first.Header.Get("Content-Type") {
			t.Errorf("%s is answered %d %s, but %s %d %s: the answer tells them apart",
				c.what, r.Code, r.Body, cases[0].what, first.Code, first.Body)
		}
		log := tg.AuditLog(c.user, 5)
		if !strings.Contains(log, "\tadmin\t127.0.0.1\tlogin\t") || !strings.Contains(log, "failed\t"+c.cause) {
			t.Errorf("%s: the audit row does not say %q:\n%s", c.what, c.cause, log)
		}
	}
}
