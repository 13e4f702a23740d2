package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// TestAPILoginRefusesFormsAndTypelessBodies: a web page can make a
// browser on the server POST a form, text/plain or an untyped body to the
// API without asking (no CORS preflight), and so brute-force the login
// from inside. Only application/json is taken (which a page cannot send
// cross-origin without a preflight), and the API answers no preflight and
// sends no CORS header.
func TestAPILoginRefusesFormsAndTypelessBodies(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	creds := `{"username": "sys", "password": "` + testkit.Password + `"}`
	form := url.Values{"username": {"sys"}, "password": {testkit.Password}}.Encode()
	send := func(method, path, ctype, body string, hdr ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+tg.APIAddr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Origin", "http://evil.example")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	noCORS := func(what string, resp *http.Response) {
		t.Helper()
		for k := range resp.Header {
			if strings.HasPrefix(strings.ToLower(k), "access-control-") {
				t.Errorf("%s: the answer carries %s: %s", what, k, resp.Header.Get(k))
			}
		}
	}
	for _, c := range []struct{ what, ctype, body string }{
		{"a form", "application/x-www-form-urlencoded", form},
		{"a multipart form", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nsys\r\n--x--\r\n"},
		{"JSON sent as text/plain", "text/plain", creds},
		{"JSON with no type", "", creds},
		{"JSON under a look-alike type", "application/jsonp", creds},
	} {
		resp := send("POST", "/api/v1/login", c.ctype, c.body)
		if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s posted to /api/v1/login: %d %s, want a 415 problem", c.what, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		noCORS(c.what, resp)
	}
	// The same rule holds for every endpoint that takes a body.
	tok := tg.APILogin("sys")
	resp := send("POST", "/api/v1/users", "text/plain", `{"username": "x", "role": "admin"}`, "Authorization", "Bearer "+tok)
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain posted to /api/v1/users: %d, want 415", resp.StatusCode)
	}
	pre := send("OPTIONS", "/api/v1/login", "", "", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type")
	if pre.StatusCode < 400 {
		t.Errorf("a CORS preflight was answered %d", pre.StatusCode)
	}
	noCORS("a CORS preflight", pre)
	ok := send("POST", "/api/v1/login", "application/json; charset=utf-8", creds)
	if ok.StatusCode != http.StatusOK {
		t.Errorf("a JSON login with a charset: %d", ok.StatusCode)
	}
	noCORS("a JSON login", ok)
}
