package main

import (
	"strings"
	"testing"
	"time"
)

// A login token expires; a demoted, restricted or deleted admin's tokens
// stop working at once, and a new user of the same name inherits none.
func TestAPITokensFollowTheAccount(t *testing.T) {
	tg := startGateway(t, "CUSTODIA_ADMIN_TOKEN_TTL=1s")
	tg.fixture()
	tg.addUser("sys2", "--role", "admin")
	short := tg.apiLogin("sys")
	time.Sleep(1100 * time.Millisecond)
	wantProblem(t, "an expired login token", tg.api("GET", "/api/v1/users", short, nil), 401, "")

	tok := tg.apiLogin("sys") // one second to use it
	sys2 := tg.apiLogin("sys2")
	key := tg.api("POST", "/api/v1/keys", sys2, map[string]any{"name": "de sys2"})
	sys2Key, _ := key.json(t)["key"].(string)
	if r := tg.api("PATCH", "/api/v1/users/sys2", tok, map[string]any{"allowed_cidrs": []string{"10.0.0.0/8"}}); r.code != 200 {
		t.Fatalf("restrict sys2: %d %s", r.code, r.body)
	}
	wantProblem(t, "an API key from outside the admin's allowed addresses", tg.api("GET", "/api/v1/users", sys2Key, nil), 403, "")

	tok = tg.apiLogin("sys")
	if r := tg.api("DELETE", "/api/v1/users/sys2", tok, nil); r.code != 204 {
		t.Fatalf("delete sys2: %d %s", r.code, r.body)
	}
	tg.addUser("SYS2", "--role", "admin")
	if r := tg.api("GET", "/api/v1/users", sys2Key, nil); r.code != 401 {
		t.Errorf("a deleted admin's API key works for a new user of the same name: %d", r.code)
	}

	tok = tg.apiLogin("sys")
	other := tg.apiLogin("SYS2")
	if r := tg.api("PATCH", "/api/v1/users/SYS2", tok, map[string]any{"role": "publisher"}); r.code != 200 {
		t.Fatalf("demote SYS2: %d %s", r.code, r.body)
	}
	if r := tg.api("GET", "/api/v1/users", other, nil); r.code != 401 && r.code != 403 {
		t.Errorf("a demoted admin's token still works: %d", r.code)
	}
}

// An admin cannot lock themselves out; a non-admin's attempt to log in is
// audited as failed.
func TestAPISelfLockoutAndNonAdminLogin(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	tok := tg.apiLogin("sys")
	for _, body := range []map[string]any{{"status": "disabled"}, {"role": "staff", "department": "trafico"},
		{"expires_at": "2020-01-01T00:00:00Z"}, {"allowed_cidrs": []string{"10.0.0.0/8"}}} {
		wantProblem(t, "an admin changing their own account", tg.api("PATCH", "/api/v1/users/sys", tok, body), 409, "name")
	}
	if r := tg.api("GET", "/api/v1/users", tok, nil); r.code != 200 {
		t.Errorf("the admin locked themselves out: %d", r.code)
	}
	tg.api("POST", "/api/v1/login", "", map[string]string{"username": "ana", "password": testPassword})
	out := tg.must("", "audit", "--user", "ana", "--limit", "5")
	if !strings.Contains(out, "admin\t127.0.0.1\tlogin") || !strings.Contains(out, "failed\tpassword: not an admin") {
		t.Errorf("a staff member's admin API login is not audited as failed:\n%s", out)
	}
}

// Disabling a user ends its live sessions: they keep the rights they
// logged in with otherwise.
func TestAPIDisablingAUserEndsItsSessions(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	c := tg.sftp("juan")
	if _, err := c.ReadDir("/ACME"); err != nil {
		t.Fatal(err)
	}
	tok := tg.apiLogin("sys")
	if r := tg.api("PATCH", "/api/v1/users/juan", tok, map[string]any{"status": "disabled"}); r.code != 200 {
		t.Fatalf("disable juan: %d %s", r.code, r.body)
	}
	if _, gone := sftpGone(c); !gone {
		t.Error("a disabled user's open SFTP session still works")
	}
}

// Bodies that are not one JSON object, empty changes, and paths the
// gateway would never ask about are refused.
func TestAPIShapesOfInput(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	tok := tg.apiLogin("sys")
	for _, body := range []string{"[]", "null", `"x"`, "7"} {
		wantProblem(t, "a body of "+body, tg.api("PATCH", "/api/v1/users/ana", tok, body), 400, "")
	}
	wantProblem(t, "an empty change", tg.api("PATCH", "/api/v1/users/ana", tok, "{}"), 400, "")
	wantProblem(t, "explain with ..", tg.api("POST", "/api/v1/policies/explain", tok,
		map[string]string{"user": "tomas", "action": "read", "path": "/departments/trafico/../operaciones/reporte.xlsx"}), 422, "path")
	if d := tg.api("POST", "/api/v1/policies/explain", tok,
		map[string]string{"user": "tomas", "action": "list", "path": "/departments/trafico/"}).json(t); d["result"] != "allow" {
		t.Errorf("explain on a folder: %v", d)
	}
}
