package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	gosftp "github.com/pkg/sftp"
)

// An admin creates a correspondent through the API, who then uploads over
// SFTP; disabling the user refuses the next login.
func TestAPICreatedUserWorksOverSFTPUntilDisabled(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	tok := tg.apiLogin("sys")
	r := tg.api("POST", "/api/v1/users", tok, map[string]any{
		"username": "rosa", "role": "correspondent", "clients": []string{"acme"}, "password": testPassword,
	})
	if r.code != 201 {
		t.Fatalf("create a correspondent: %d %s", r.code, r.body)
	}
	if u := r.json(t); u["role"] != "correspondent" || u["password"] != nil {
		t.Errorf("the created user: %s (a given password is never echoed)", r.body)
	}
	c := tg.sftp("rosa")
	f, err := c.Create("/ACME/2026/de-rosa.pdf")
	if err != nil {
		t.Fatalf("the new correspondent cannot upload over SFTP: %v", err)
	}
	f.Write([]byte("%PDF-1.4 rosa"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if r := tg.api("PATCH", "/api/v1/users/rosa", tok, map[string]any{"status": "disabled"}); r.code != 200 {
		t.Fatalf("disable: %d %s", r.code, r.body)
	}
	if _, err := tg.dial("rosa", testPassword); err == nil {
		t.Error("a disabled user logged in over SFTP")
	}
	// A generated password is returned once, and works.
	r = tg.api("POST", "/api/v1/users", tok, map[string]any{"username": "beto", "role": "staff", "department": "trafico"})
	pw, _ := r.json(t)["password"].(string)
	if r.code != 201 || pw == "" {
		t.Fatalf("create without a password: %d %s", r.code, r.body)
	}
	if conn, err := tg.dial("beto", pw); err != nil {
		t.Errorf("the generated password does not log in: %v", err)
	} else {
		conn.Close()
	}
	out := tg.must("", "audit", "--user", "sys", "--limit", "100")
	for _, want := range []string{"admin.user.create\t/api/v1/users/rosa", "admin.user.update\t/api/v1/users/rosa", `"status":"disabled"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the audit trail lacks %q:\n%s", want, out)
		}
	}
}

// No token, a bad, expired or revoked one, a non-admin: refused, and
// nothing changes.
func TestAPIRefusesWithoutAnAdminToken(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	// Who exists, with which role and status (logins change last_login_at).
	users := func() string {
		var b strings.Builder
		us, _ := tg.api("GET", "/api/v1/users", tg.apiLogin("sys"), nil).json(t)["users"].([]any)
		for _, u := range us {
			m := u.(map[string]any)
			fmt.Fprintf(&b, "%v %v %v\n", m["username"], m["role"], m["status"])
		}
		return b.String()
	}
	before := users()
	create := map[string]any{"username": "intruso", "role": "admin", "password": testPassword}

	wantProblem(t, "no token", tg.api("POST", "/api/v1/users", "", create), 401, "")
	wantProblem(t, "a made-up token", tg.api("POST", "/api/v1/users", "cst_nope", create), 401, "")
	r := tg.api("POST", "/api/v1/login", "", map[string]string{"username": "ana", "password": testPassword})
	wantProblem(t, "a staff member's login", r, 403, "")
	wantProblem(t, "a wrong password", tg.api("POST", "/api/v1/login", "", map[string]string{"username": "sys", "password": "x"}), 401, "")

	tok := tg.apiLogin("sys")
	key := tg.api("POST", "/api/v1/keys", tok, map[string]any{"name": "respaldo nocturno"})
	secret, _ := key.json(t)["key"].(string)
	id := key.json(t)["id"]
	if key.code != 201 || secret == "" {
		t.Fatalf("create an API key: %d %s", key.code, key.body)
	}
	if r := tg.api("GET", "/api/v1/users/ana", secret, nil); r.code != 200 {
		t.Errorf("the API key does not work: %d %s", r.code, r.body)
	}
	if r := tg.api("DELETE", "/api/v1/keys/"+jsonNumber(id), tok, nil); r.code != 204 {
		t.Fatalf("revoke the key: %d %s", r.code, r.body)
	}
	wantProblem(t, "a revoked API key", tg.api("POST", "/api/v1/users", secret, create), 401, "")

	short := tg.api("POST", "/api/v1/keys", tok, map[string]any{"name": "corta", "expires_at": time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)})
	shortKey, _ := short.json(t)["key"].(string)
	time.Sleep(1100 * time.Millisecond)
	wantProblem(t, "an expired API key", tg.api("POST", "/api/v1/users", shortKey, create), 401, "")

	if r := tg.api("POST", "/api/v1/logout", tok, nil); r.code != 204 {
		t.Errorf("logout: %d %s", r.code, r.body)
	}
	wantProblem(t, "a token after logout", tg.api("GET", "/api/v1/users", tok, nil), 401, "")
	if after := users(); after != before {
		t.Errorf("refused requests changed the users:\nbefore %s\nafter  %s", before, after)
	}
}

func jsonNumber(v any) string {
	f, _ := v.(float64)
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// Bad input gets a problem naming the field, and writes nothing.
func TestAPIBadInputIsAProblemAndWritesNothing(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	tok := tg.apiLogin("sys")
	count := func() int {
		us, _ := tg.api("GET", "/api/v1/users", tok, nil).json(t)["users"].([]any)
		return len(us)
	}
	n := count()
	for _, c := range []struct {
		what   string
		body   any
		status int
		field  string
	}{
		{"malformed JSON", `{"username": "x", `, 400, ""},
		{"an unknown field", map[string]any{"username": "x", "role": "staff", "department": "trafico", "rol": "admin"}, 400, "rol"},
		{"a number for a name", map[string]any{"username": 7, "role": "staff"}, 400, "username"},
		{"an unknown role", map[string]any{"username": "x", "role": "jefe"}, 422, "role"},
		{"an unknown department", map[string]any{"username": "x", "role": "staff", "department": "marketing"}, 422, "department"},
		{"an unknown client", map[string]any{"username": "x", "role": "client", "clients": []string{"NOPE"}}, 422, "clients"},
		{"a client with a department", map[string]any{"username": "x", "role": "client", "clients": []string{"ACME"}, "department": "trafico"}, 422, "department"},
		{"a bad name", map[string]any{"username": "../x", "role": "admin"}, 422, "username"},
		{"a weak password", map[string]any{"username": "x", "role": "admin", "password": "123"}, 422, "password"},
		{"a bad key", map[string]any{"username": "x", "role": "admin", "keys": []string{"ssh-rsa nope"}}, 422, "keys"},
		{"a duplicate name", map[string]any{"username": "ANA", "role": "staff", "department": "trafico"}, 409, "username"},
		{"an oversized body", `{"username": "` + strings.Repeat("x", 100<<10) + `"}`, 413, ""},
	} {
		wantProblem(t, c.what, tg.api("POST", "/api/v1/users", tok, c.body), c.status, c.field)
	}
	wantProblem(t, "an unknown user", tg.api("PATCH", "/api/v1/users/nadie", tok, map[string]any{"status": "disabled"}), 404, "name")
	wantProblem(t, "a bad status", tg.api("PATCH", "/api/v1/users/ana", tok, map[string]any{"status": "asleep"}), 422, "status")
	wantProblem(t, "a role change without its department", tg.api("PATCH", "/api/v1/users/carla", tok, map[string]any{"role": "staff"}), 422, "department")
	wantProblem(t, "an unknown route", tg.api("GET", "/api/v1/nothing", tok, nil), 404, "")
	if got := count(); got != n {
		t.Errorf("bad requests changed the number of users from %d to %d", n, got)
	}
	if u := tg.api("GET", "/api/v1/users/carla", tok, nil).json(t); u["role"] != "client" {
		t.Errorf("a refused PATCH changed carla: %v", u)
	}
}

// A live SFTP session shows in the API and a DELETE disconnects it.
func TestAPIKicksALiveSFTPSession(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	c := tg.sftp("juan")
	if _, err := c.ReadDir("/ACME"); err != nil {
		t.Fatal(err)
	}
	tok := tg.apiLogin("sys")
	ss, _ := tg.api("GET", "/api/v1/sessions", tok, nil).json(t)["sessions"].([]any)
	id := ""
	for _, s := range ss {
		m := s.(map[string]any)
		if m["user"] == "juan" && m["protocol"] == "sftp" && m["remote"] == "127.0.0.1" {
			id, _ = m["id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("juan's SFTP session is not listed: %v", ss)
	}
	if r := tg.api("DELETE", "/api/v1/sessions/"+id, tok, nil); r.code != 204 {
		t.Fatalf("kick: %d %s", r.code, r.body)
	}
	d, gone := sftpGone(c)
	if !gone {
		t.Fatal("the kicked SFTP client still works")
	}
	if d > time.Second {
		t.Errorf("the client was disconnected after %v, want within a second", d)
	}
	wantProblem(t, "a second kick", tg.api("DELETE", "/api/v1/sessions/"+id, tok, nil), 404, "id")
	if !strings.Contains(tg.must("", "audit", "--user", "sys", "--limit", "20"), "admin.session.kick") {
		t.Error("the kick is not audited")
	}
}

// sftpGone polls a client for up to 2 s until its connection fails, and
// says how long that took.
func sftpGone(c *gosftp.Client) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < 2*time.Second {
		if _, err := c.ReadDir("/"); err != nil {
			return time.Since(start), true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start), false
}
