package admin_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
)

// An admin creates a correspondent through the API, who then uploads over
// SFTP; disabling the user refuses the next login.
func TestAPICreatedUserWorksOverSFTPUntilDisabled(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tok := tg.APILogin("sys")
	r := tg.API("POST", "/api/v1/users", tok, map[string]any{
		"username": "rosa", "role": "correspondent", "clients": []string{"acme"}, "password": testkit.Password,
	})
	if r.Code != 201 {
		t.Fatalf("create a correspondent: %d %s", r.Code, r.Body)
	}
	if u := r.JSON(t); u["role"] != "correspondent" || u["password"] != nil {
		t.Errorf("the created user: %s (a given password is never echoed)", r.Body)
	}
	c := tg.SFTP("rosa")
	f, err := c.Create("/ACME/2026/de-rosa.pdf")
	if err != nil {
		t.Fatalf("the new correspondent cannot upload over SFTP: %v", err)
	}
	f.Write([]byte("%PDF-1.4 rosa"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if r := tg.API("PATCH", "/api/v1/users/rosa", tok, map[string]any{"status": "disabled"}); r.Code != 200 {
		t.Fatalf("disable: %d %s", r.Code, r.Body)
	}
	if _, err := tg.Dial("rosa", testkit.Password); err == nil {
		t.Error("a disabled user logged in over SFTP")
	}
	// A generated password is returned once, and works.
	r = tg.API("POST", "/api/v1/users", tok, map[string]any{"username": "beto", "role": "staff", "department": "trafico"})
	pw, _ := r.JSON(t)["password"].(string)
	if r.Code != 201 || pw == "" {
		t.Fatalf("create without a password: %d %s", r.Code, r.Body)
	}
	if conn, err := tg.Dial("beto", pw); err != nil {
		t.Errorf("the generated password does not log in: %v", err)
	} else {
		conn.Close()
	}
	out := tg.AuditLog("sys", 100)
	for _, want := range []string{"admin.user.create\t/api/v1/users/rosa", "admin.user.update\t/api/v1/users/rosa", `"status":"disabled"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the audit trail lacks %q:\n%s", want, out)
		}
	}
}

// No token, a bad, expired or revoked one, a non-admin: refused, and
// nothing changes.
func TestAPIRefusesWithoutAnAdminToken(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	// Who exists, with which role and status (logins change last_login_at).
	users := func() string {
		var b strings.Builder
		us, _ := tg.API("GET", "/api/v1/users", tg.APILogin("sys"), nil).JSON(t)["users"].([]any)
		for _, u := range us {
			m := u.(map[string]any)
			fmt.Fprintf(&b, "%v %v %v\n", m["username"], m["role"], m["status"])
		}
		return b.String()
	}
	before := users()
	create := map[string]any{"username": "intruso", "role": "admin", "password": testkit.Password}

	testkit.WantProblem(t, "no token", tg.API("POST", "/api/v1/users", "", create), 401, "")
	testkit.WantProblem(t, "a made-up token", tg.API("POST", "/api/v1/users", "cst_nope", create), 401, "")
	r := tg.API("POST", "/api/v1/login", "", map[string]string{"username": "ana", "password": testkit.Password})
	testkit.WantProblem(t, "a staff member's login (the same answer as a wrong password)", r, 401, "")
	testkit.WantProblem(t, "a wrong password", tg.API("POST", "/api/v1/login", "", map[string]string{"username": "sys", "password": "x"}), 401, "")

	tok := tg.APILogin("sys")
	key := tg.API("POST", "/api/v1/keys", tok, map[string]any{"name": "respaldo nocturno", "scope": "admin"})
	secret, _ := key.JSON(t)["key"].(string)
	id := key.JSON(t)["id"]
	if key.Code != 201 || secret == "" {
		t.Fatalf("create an API key: %d %s", key.Code, key.Body)
	}
	if r := tg.API("GET", "/api/v1/users/ana", secret, nil); r.Code != 200 {
		t.Errorf("the API key does not work: %d %s", r.Code, r.Body)
	}
	if r := tg.API("DELETE", "/api/v1/keys/"+jsonNumber(id), tok, nil); r.Code != 204 {
		t.Fatalf("revoke the key: %d %s", r.Code, r.Body)
	}
	testkit.WantProblem(t, "a revoked API key", tg.API("POST", "/api/v1/users", secret, create), 401, "")

	short := tg.API("POST", "/api/v1/keys", tok, map[string]any{"name": "corta", "scope": "admin", "expires_at": time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)})
	shortKey, _ := short.JSON(t)["key"].(string)
	time.Sleep(1100 * time.Millisecond)
	testkit.WantProblem(t, "an expired API key", tg.API("POST", "/api/v1/users", shortKey, create), 401, "")

	if r := tg.API("POST", "/api/v1/logout", tok, nil); r.Code != 204 {
		t.Errorf("logout: %d %s", r.Code, r.Body)
	}
	testkit.WantProblem(t, "a token after logout", tg.API("GET", "/api/v1/users", tok, nil), 401, "")
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
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tok := tg.APILogin("sys")
	count := func() int {
		us, _ := tg.API("GET", "/api/v1/users", tok, nil).JSON(t)["users"].([]any)
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
		testkit.WantProblem(t, c.what, tg.API("POST", "/api/v1/users", tok, c.body), c.status, c.field)
	}
	testkit.WantProblem(t, "an unknown user", tg.API("PATCH", "/api/v1/users/nadie", tok, map[string]any{"status": "disabled"}), 404, "name")
	testkit.WantProblem(t, "a bad status", tg.API("PATCH", "/api/v1/users/ana", tok, map[string]any{"status": "asleep"}), 422, "status")
	testkit.WantProblem(t, "a role change without its department", tg.API("PATCH", "/api/v1/users/carla", tok, map[string]any{"role": "staff"}), 422, "department")
	testkit.WantProblem(t, "an unknown route", tg.API("GET", "/api/v1/nothing", tok, nil), 404, "")
	if got := count(); got != n {
		t.Errorf("bad requests changed the number of users from %d to %d", n, got)
	}
	if u := tg.API("GET", "/api/v1/users/carla", tok, nil).JSON(t); u["role"] != "client" {
		t.Errorf("a refused PATCH changed carla: %v", u)
	}
}

// A live SFTP session shows in the API and a DELETE disconnects it.
func TestAPIKicksALiveSFTPSession(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.SFTP("juan")
	if _, err := c.ReadDir("/ACME"); err != nil {
		t.Fatal(err)
	}
	tok := tg.APILogin("sys")
	ss, _ := tg.API("GET", "/api/v1/sessions", tok, nil).JSON(t)["sessions"].([]any)
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
	if r := tg.API("DELETE", "/api/v1/sessions/"+id, tok, nil); r.Code != 204 {
		t.Fatalf("kick: %d %s", r.Code, r.Body)
	}
	d, gone := sftpGone(c)
	if !gone {
		t.Fatal("the kicked SFTP client still works")
	}
	if d > 3*time.Second {
		t.Errorf("the client was disconnected after %v, want within 3 s (under a second when idle)", d)
	}
	testkit.WantProblem(t, "a second kick", tg.API("DELETE", "/api/v1/sessions/"+id, tok, nil), 404, "id")
	if !strings.Contains(tg.AuditLog("sys", 20), "admin.session.kick") {
		t.Error("the kick is not audited")
	}
}

// sftpGone polls a client for up to 5 s until its connection fails, and
// says how long that took.
func sftpGone(c *gosftp.Client) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < 5*time.Second {
		if _, err := c.ReadDir("/"); err != nil {
			return time.Since(start), true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start), false
}
