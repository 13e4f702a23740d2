package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// A kick and a ban lift whose CSRF token comes in the X-CSRF-Token header
// (as a script sends it) do what the same form with the token in a field
// does: the session ends, the ban goes.
func TestConsoleHeaderTokenKickAndLift(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_MAX_FAILURES=2", "CUSTODIA_DEFENDER_BAN_TIME=10m")
	tg.Fixture()
	ana := tg.SFTP("ana")
	if _, err := ana.Getwd(); err != nil {
		t.Fatalf("ana's SFTP session: %v", err)
	}
	for range 2 {
		if sshFrom(tg, "127.0.0.2", "tomas", "wrong password") == nil {
			t.Fatal("tomas logged in with a wrong password")
		}
	}
	c := tg.Console()
	if _, tok := c.Login("sys", testkit.Password); tok == "" {
		t.Fatal("sys cannot log in to the console")
	}
	_, page := c.Get("/admin/sessions")
	tok := testkit.CSRF(page)
	post := func(path string, form url.Values) (*http.Response, string) {
		return c.Do(http.MethodPost, path, strings.NewReader(form.Encode()), http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {c.URL}, "X-CSRF-Token": {tok}})
	}
	var id string
	for _, s := range tg.Server.Core().Sessions() {
		if s.User == "ana" && s.Protocol == "sftp" {
			id = s.ID
		}
	}
	if r, body := post("/admin/sessions/kick", url.Values{"id": {id}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("a kick with the header token: %d, want 303\n%s", r.StatusCode, body)
	}
	if _, err := ana.Getwd(); err == nil {
		t.Error("ana's session is still live after a kick with the header token")
	}
	if r, body := post("/admin/bans/lift", url.Values{"addr": {"127.0.0.2"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("a lift with the header token: %d, want 303\n%s", r.StatusCode, body)
	}
	if err := sshFrom(tg, "127.0.0.2", "ana", testkit.Password); err != nil {
		t.Errorf("127.0.0.2 is still banned after a lift with the header token: %v", err)
	}
}

// Every state-changing request's body is bounded (64 KiB), whether its
// token comes in the header or in the form: a 10 MiB form is refused
// (413) and does nothing.
func TestConsoleRefusesHugeBody(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	ana := tg.SFTP("ana")
	if _, err := ana.Getwd(); err != nil {
		t.Fatalf("ana's SFTP session: %v", err)
	}
	c := tg.Console()
	if _, tok := c.Login("sys", testkit.Password); tok == "" {
		t.Fatal("sys cannot log in to the console")
	}
	_, page := c.Get("/admin/sessions")
	tok := testkit.CSRF(page)
	var id string
	for _, s := range tg.Server.Core().Sessions() {
		if s.User == "ana" && s.Protocol == "sftp" {
			id = s.ID
		}
	}
	// Just under net/http's own 10 MB cap on url-encoded forms, so that
	// only the console's bound refuses it.
	pad := strings.Repeat("x", 10<<20-1024)
	for _, how := range []string{"header", "field"} {
		form := url.Values{"id": {id}, "pad": {pad}}
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {c.URL}}
		if how == "header" {
			h.Set("X-CSRF-Token", tok)
		} else {
			form.Set("csrf", tok)
		}
		req, err := http.NewRequest(http.MethodPost, c.URL+"/admin/sessions/kick", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = h
		resp, err := c.HTTP.Do(req)
		if err == nil { // the server may close before the client has written it all
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("a 10 MiB kick with the token in the %s: %d, want 413", how, resp.StatusCode)
			}
		}
		if _, err := ana.Getwd(); err != nil {
			t.Fatalf("a 10 MiB kick with the token in the %s ended ana's session: %v", how, err)
		}
	}
}
