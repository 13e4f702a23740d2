package web_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/web"
	"github.com/oaq/custodia/web/ui"
)

// start is a gateway with the fixture's users and files.
func start(t *testing.T, extra ...string) *testkit.Gateway {
	t.Helper()
	tg := testkit.Start(t, extra...)
	tg.Fixture()
	return tg
}

// loggedIn is a portal client logged in as user, and its CSRF token.
func loggedIn(t *testing.T, tg *testkit.Gateway, user string) (*testkit.WebClient, string) {
	t.Helper()
	c := tg.Web()
	resp, tok := c.Login(user, testkit.Password)
	if resp.StatusCode != http.StatusSeeOther || tok == "" {
		t.Fatalf("%s cannot log in to the portal: %s", user, resp.Status)
	}
	return c, tok
}

// webSessions lists the live portal sessions of a user.
func webSessions(tg *testkit.Gateway, user string) []string {
	var ids []string
	for _, s := range tg.Server.Core().Sessions() {
		if s.Protocol == "web" && s.User == user {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func TestLoginLogout(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c := tg.Web()
	resp, tok := c.Login("carla", testkit.Password)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/f/" {
		t.Fatalf("carla's login answered %s to %q, want 303 to /f/", resp.Status, resp.Header.Get("Location"))
	}
	var cookie string
	for _, sc := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, web.CookieName+"=") {
			cookie = sc
		}
	}
	for _, flag := range []string{"HttpOnly", "Secure", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(cookie, flag) {
			t.Errorf("the session cookie lacks %s: %q", flag, cookie)
		}
	}
	if strings.Contains(strings.ToLower(cookie), "domain=") || strings.Contains(strings.ToLower(cookie), "max-age") {
		t.Errorf("the session cookie names a domain or outlives the browser: %q", cookie)
	}
	_, page := c.Get("/f/")
	if !strings.Contains(page, `href="/f/ACME/"`) || strings.Contains(page, "BETA") {
		t.Errorf("carla's top folder does not show exactly her client ACME:\n%s", page)
	}
	ids := webSessions(tg, "carla")
	if len(ids) != 1 {
		t.Fatalf("carla's portal sessions in the live list: %v, want one", ids)
	}
	var audited bool
	for _, e := range tg.Audit("carla", 10) {
		audited = audited || (e.Action == "login" && e.Protocol == "web" && e.Result == "ok" && e.Session == ids[0])
	}
	if !audited {
		t.Errorf("carla's portal login has no audit row with protocol web and its session id:\n%s", tg.AuditLog("carla", 10))
	}

	resp, _ = c.Post("/logout", url.Values{"csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("logout answered %s to %q, want 303 to /login", resp.Status, resp.Header.Get("Location"))
	}
	if got := resp.Header.Get("Clear-Site-Data"); got != `"storage"` {
		t.Errorf("logout sends Clear-Site-Data %q, want \"storage\" (the upload script's resume notes name files)", got)
	}
	if ids := webSessions(tg, "carla"); len(ids) != 0 {
		t.Errorf("after logout carla's portal sessions are still listed: %v", ids)
	}
	if resp, _ := c.Get("/f/ACME/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("after logout a folder answered %s to %q, want 303 to /login", resp.Status, resp.Header.Get("Location"))
	}
}

func TestLoginFailureMessagesIdentical(t *testing.T) {
	t.Parallel()
	tg := start(t)
	var pages []string
	for _, cred := range [][2]string{{"carla", "wrong-password"}, {"nobody", "wrong-password"}} {
		c := tg.Web()
		resp, _ := c.Login(cred[0], cred[1])
		if resp.StatusCode != http.StatusOK {
			t.Errorf("a failed login of %s answered %s, want the form again (200)", cred[0], resp.Status)
		}
		_, page := c.Do(http.MethodGet, "/f/", nil, nil)
		pages = append(pages, page)
		var failed bool
		for _, e := range tg.Audit(cred[0], 5) {
			failed = failed || (e.Action == "login" && e.Protocol == "web" && e.Result == "failed")
		}
		if !failed {
			t.Errorf("the failed portal login of %s was not audited:\n%s", cred[0], tg.AuditLog(cred[0], 5))
		}
	}
	// The form's answer itself: the same text whatever the cause.
	a, b := tg.Web(), tg.Web()
	_, pa := a.Get("/login")
	_, pb := b.Get("/login")
	ra, bodyA := a.Post("/login", url.Values{"csrf": {testkit.CSRF(pa)}, "username": {"x"}, "password": {"y"}})
	rb, bodyB := b.Post("/login", url.Values{"csrf": {testkit.CSRF(pb)}, "username": {"x"}, "password": {"z"}})
	if ra.StatusCode != rb.StatusCode || strings.ReplaceAll(bodyA, testkit.CSRF(pa), "") != strings.ReplaceAll(bodyB, testkit.CSRF(pb), "") {
		t.Errorf("two failed logins with the same name got different answers")
	}
	if !strings.Contains(bodyA, "Usuario o contraseña incorrectos") {
		t.Errorf("a failed login does not say so:\n%s", bodyA)
	}
}

func TestPostWithoutCSRFTokenRefused(t *testing.T) {
	t.Parallel()
	tg := start(t)

	// The login form without its token, and with a token from another
	// browser.
	c := tg.Web()
	c.Get("/login")
	resp, _ := c.Post("/login", url.Values{"username": {"carla"}, "password": {testkit.Password}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a login POST without its token answered %s, want 403", resp.Status)
	}
	_, other := tg.Web().Get("/login")
	resp, _ = c.Post("/login", url.Values{"csrf": {testkit.CSRF(other)}, "username": {"carla"}, "password": {testkit.Password}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a login POST with another browser's token answered %s, want 403", resp.Status)
	}
	if ids := webSessions(tg, "carla"); len(ids) != 0 {
		t.Errorf("a refused login opened a session: %v", ids)
	}

	// Logout without the token, with a wrong one, and from another origin.
	c, tok := loggedIn(t, tg, "carla")
	for what, form := range map[string]url.Values{"no token": {}, "a wrong token": {"csrf": {tok[:len(tok)-1] + "x"}}} {
		if resp, _ := c.Post("/logout", form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("logout with %s answered %s, want 403", what, resp.Status)
		}
	}
	body := strings.NewReader(url.Values{"csrf": {tok}}.Encode())
	resp, _ = c.Do(http.MethodPost, "/logout", body, http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
		"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout with the right token from another site answered %s, want 403", resp.Status)
	}
	if ids := webSessions(tg, "carla"); len(ids) != 1 {
		t.Errorf("a refused logout ended the session: %v", ids)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, _ := loggedIn(t, tg, "carla")
	for _, path := range []string{"/login", "/f/", "/f/ACME/2026/", "/f/ACME/nothing/", "/nowhere", "/assets/style.css"} {
		resp, body := c.Get(path)
		h := resp.Header
		if got := h.Get("Content-Security-Policy"); got != ui.ContentSecurityPolicy {
			t.Errorf("GET %s: Content-Security-Policy %q, want %q", path, got, ui.ContentSecurityPolicy)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: nosniff %q, Referrer-Policy %q", path, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "style=") || strings.Contains(body, "<style") {
			t.Errorf("GET %s: the page has an inline script or style", path)
		}
	}
	resp, body := c.Get("/d/ACME/2026/factura.pdf")
	if resp.StatusCode != http.StatusOK || body != "%PDF-1.4 factura" {
		t.Fatalf("carla's download of factura.pdf: %s, %q", resp.Status, body)
	}
	h := resp.Header
	if h.Get("Content-Type") != "application/pdf" || h.Get("Content-Security-Policy") != "sandbox" ||
		h.Get("Content-Disposition") != `attachment; filename="factura.pdf"; filename*=UTF-8''factura.pdf` ||
		h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("a download's headers: %v", h)
	}
}

func TestKickedSessionGoesToLogin(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, _ := loggedIn(t, tg, "carla")
	ids := webSessions(tg, "carla")
	if len(ids) != 1 || !tg.Server.Core().Kick(ids[0]) {
		t.Fatalf("carla's portal session could not be kicked: %v", ids)
	}
	resp, _ := c.Get("/f/ACME/")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("a kicked session's next page answered %s to %q, want 303 to /login", resp.Status, resp.Header.Get("Location"))
	}
}

func TestIdleSessionEnds(t *testing.T) {
	t.Parallel()
	tg := start(t, "CUSTODIA_WEB_IDLE_TIMEOUT=1s")
	c, _ := loggedIn(t, tg, "carla")
	time.Sleep(1500 * time.Millisecond)
	resp, _ := c.Get("/f/ACME/")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("a session idle past web.idle_timeout answered %s to %q, want 303 to /login", resp.Status, resp.Header.Get("Location"))
	}
	if ids := webSessions(tg, "carla"); len(ids) != 0 {
		t.Errorf("an expired session is still listed: %v", ids)
	}
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	tg := start(t)
	for _, c := range []struct{ accept, lang, label string }{
		{"", "es", "Contraseña"},
		{"es-MX,es;q=0.9,en;q=0.8", "es", "Contraseña"},
		{"en-US,en;q=0.9", "en", "Password"},
		{"de-DE,en;q=0.5,es;q=0.4", "en", "Password"},
		{"de-DE", "es", "Contraseña"},
	} {
		wc := tg.Web()
		wc.Lang = c.accept
		_, page := wc.Get("/login")
		if !strings.Contains(page, `<html lang="`+c.lang+`">`) || !strings.Contains(page, c.label) {
			t.Errorf("Accept-Language %q: the login page is not in %s (label %q):\n%s", c.accept, c.lang, c.label, page)
		}
		for _, field := range []string{`<label for="username">`, `<label for="password">`, `name="username"`, `name="password"`} {
			if !strings.Contains(page, field) {
				t.Errorf("the login page lacks %s", field)
			}
		}
	}
}

func TestKickStopsDownloadInFlight(t *testing.T) {
	t.Parallel()
	tg := start(t)
	big := filepath.Join(tg.DataDir, "files/clients/ACME/big.pdf")
	if err := os.WriteFile(big, make([]byte, 64<<20), 0o640); err != nil {
		t.Fatal(err)
	}
	c, _ := loggedIn(t, tg, "carla")
	resp, err := c.HTTP.Get(c.URL + "/d/ACME/big.pdf")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the download did not start: %v %v", resp, err)
	}
	defer resp.Body.Close()
	if _, err := io.CopyN(io.Discard, resp.Body, 1<<20); err != nil {
		t.Fatal(err)
	}
	for _, id := range webSessions(tg, "carla") {
		tg.Server.Core().Kick(id)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && n+1<<20 == 64<<20 {
		t.Errorf("a kicked session's download went on to the end")
	}
	testkit.WaitFor(t, 5*time.Second, "the cut download's audit row", func() bool {
		for _, e := range tg.Audit("carla", 10) {
			if e.Action == "read" && e.VPath == "/ACME/big.pdf" && e.Result == "failed" {
				return true
			}
		}
		return false
	})
}
