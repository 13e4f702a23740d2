package admin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// A login token expires; a demoted, restricted or deleted admin's tokens
// stop working at once, and a new user of the same name inherits none.
func TestAPITokensFollowTheAccount(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_ADMIN_TOKEN_TTL=1s")
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "sys2", Role: store.RoleAdmin})
	short := tg.APILogin("sys")
	time.Sleep(1100 * time.Millisecond)
	testkit.WantProblem(t, "an expired login token", tg.API("GET", "/api/v1/users", short, nil), 401, "")

	tok := tg.APILogin("sys") // one second to use it
	sys2 := tg.APILogin("sys2")
	key := tg.API("POST", "/api/v1/keys", sys2, map[string]any{"name": "de sys2", "scope": "admin"})
	sys2Key, _ := key.JSON(t)["key"].(string)
	if r := tg.API("PATCH", "/api/v1/users/sys2", tok, map[string]any{"allowed_cidrs": []string{"10.0.0.0/8"}}); r.Code != 200 {
		t.Fatalf("restrict sys2: %d %s", r.Code, r.Body)
	}
	testkit.WantProblem(t, "an API key from outside the admin's allowed addresses", tg.API("GET", "/api/v1/users", sys2Key, nil), 403, "")

	tok = tg.APILogin("sys")
	if r := tg.API("DELETE", "/api/v1/users/sys2", tok, nil); r.Code != 204 {
		t.Fatalf("delete sys2: %d %s", r.Code, r.Body)
	}
	tg.AddUser(store.NewUser{Name: "SYS2", Role: store.RoleAdmin})
	if r := tg.API("GET", "/api/v1/users", sys2Key, nil); r.Code != 401 {
		t.Errorf("a deleted admin's API key works for a new user of the same name: %d", r.Code)
	}

	tok = tg.APILogin("sys")
	other := tg.APILogin("SYS2")
	if r := tg.API("PATCH", "/api/v1/users/SYS2", tok, map[string]any{"role": "publisher"}); r.Code != 200 {
		t.Fatalf("demote SYS2: %d %s", r.Code, r.Body)
	}
	if r := tg.API("GET", "/api/v1/users", other, nil); r.Code != 401 && r.Code != 403 {
		t.Errorf("a demoted admin's token still works: %d", r.Code)
	}
}

// An admin cannot lock themselves out; a non-admin's attempt to log in is
// audited as failed.
func TestAPISelfLockoutAndNonAdminLogin(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tok := tg.APILogin("sys")
	for _, body := range []map[string]any{{"status": "disabled"}, {"role": "staff", "department": "trafico"},
		{"expires_at": "2020-01-01T00:00:00Z"}, {"allowed_cidrs": []string{"10.0.0.0/8"}}} {
		testkit.WantProblem(t, "an admin changing their own account", tg.API("PATCH", "/api/v1/users/sys", tok, body), 409, "name")
	}
	if r := tg.API("GET", "/api/v1/users", tok, nil); r.Code != 200 {
		t.Errorf("the admin locked themselves out: %d", r.Code)
	}
	tg.API("POST", "/api/v1/login", "", map[string]string{"username": "ana", "password": testkit.Password})
	out := tg.AuditLog("ana", 5)
	if !strings.Contains(out, "admin\t127.0.0.1\tlogin") || !strings.Contains(out, "failed\tpassword: not an admin") {
		t.Errorf("a staff member's admin API login is not audited as failed:\n%s", out)
	}
}

// Disabling a user ends its live sessions: they keep the rights they
// logged in with otherwise.
func TestAPIDisablingAUserEndsItsSessions(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.SFTP("juan")
	if _, err := c.ReadDir("/ACME"); err != nil {
		t.Fatal(err)
	}
	tok := tg.APILogin("sys")
	if r := tg.API("PATCH", "/api/v1/users/juan", tok, map[string]any{"status": "disabled"}); r.Code != 200 {
		t.Fatalf("disable juan: %d %s", r.Code, r.Body)
	}
	if _, gone := sftpGone(c); !gone {
		t.Error("a disabled user's open SFTP session still works")
	}
}

// Bodies that are not one JSON object, empty changes, and paths the
// gateway would never ask about are refused.
func TestAPIShapesOfInput(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tok := tg.APILogin("sys")
	for _, body := range []string{"[]", "null", `"x"`, "7"} {
		testkit.WantProblem(t, "a body of "+body, tg.API("PATCH", "/api/v1/users/ana", tok, body), 400, "")
	}
	testkit.WantProblem(t, "an empty change", tg.API("PATCH", "/api/v1/users/ana", tok, "{}"), 400, "")
	testkit.WantProblem(t, "explain with ..", tg.API("POST", "/api/v1/policies/explain", tok,
		map[string]string{"user": "tomas", "action": "read", "path": "/departments/trafico/../operaciones/reporte.xlsx"}), 422, "path")
	if d := tg.API("POST", "/api/v1/policies/explain", tok,
		map[string]string{"user": "tomas", "action": "list", "path": "/departments/trafico/"}).JSON(t); d["result"] != "allow" {
		t.Errorf("explain on a folder: %v", d)
	}
}
