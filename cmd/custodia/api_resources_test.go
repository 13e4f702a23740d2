package main

import (
	"encoding/csv"
	"strings"
	"testing"

	gosftp "github.com/pkg/sftp"
)

func TestAPIHealthReadyAndDocument(t *testing.T) {
	tg := startGateway(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := tg.api("GET", p, "", nil); r.code != 200 {
			t.Errorf("%s: %d %s", p, r.code, r.body)
		}
	}
	r := tg.api("GET", "/api/v1/openapi.json", "", nil)
	if r.code != 200 || r.json(t)["openapi"] == nil {
		t.Errorf("openapi.json: %d %.200s", r.code, r.body)
	}
}

// explain answers like `custodia policy test`; rules added through the API
// take effect at once.
func TestAPIPoliciesAndExplain(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	tok := tg.apiLogin("sys")
	q := map[string]string{"user": "juan", "action": "read", "path": "/dossiers/ACME/2026/pedimento.pdf"}
	if d := tg.api("POST", "/api/v1/policies/explain", tok, q).json(t); d["result"] != "deny" {
		t.Errorf("explain before the rule: %v", d)
	}
	rule := map[string]string{"subject": "user:juan", "object": "/dossiers/{client}/**", "actions": "read", "effect": "allow"}
	if r := tg.api("POST", "/api/v1/policies", tok, rule); r.code != 201 {
		t.Fatalf("add a rule: %d %s", r.code, r.body)
	}
	d := tg.api("POST", "/api/v1/policies/explain", tok, q).json(t)
	if d["result"] != "allow" || !strings.Contains(d["rule"].(string), "user:juan") {
		t.Errorf("explain after the rule: %v", d)
	}
	if _, err := tg.sftp("juan").Open("/ACME/2026/pedimento.pdf"); err != nil {
		t.Errorf("the added rule does not let juan read over SFTP: %v", err)
	}
	wantProblem(t, "a duplicate rule", tg.api("POST", "/api/v1/policies", tok, rule), 409, "rule")
	if r := tg.api("DELETE", "/api/v1/policies", tok, rule); r.code != 204 {
		t.Errorf("remove the rule: %d %s", r.code, r.body)
	}
	wantProblem(t, "a bad rule", tg.api("POST", "/api/v1/policies", tok, map[string]string{"subject": "x", "object": "nope", "actions": "read", "effect": "allow"}), 422, "rule")
	wantProblem(t, "a bad action", tg.api("POST", "/api/v1/policies/explain", tok, map[string]string{"user": "juan", "action": "fly", "path": "/x"}), 422, "action")
}

// The audit query filters by user, client, action, result, time and path,
// pages with a cursor, and exports CSV.
func TestAPIAuditQueryAndCSV(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	c := tg.sftp("juan")
	for _, name := range []string{"a.pdf", "b.pdf", "c.pdf"} {
		f, _ := c.Create("/ACME/2026/" + name)
		f.Write([]byte("%PDF-1.4 " + name))
		f.Close()
	}
	c.Create("/ACME/2026/pedimento.pdf") // denied: no overwrite
	tok := tg.apiLogin("sys")
	r := tg.api("GET", "/api/v1/audit?user=juan&action=write&client=acme&limit=2", tok, nil)
	es, _ := r.json(t)["entries"].([]any)
	next, _ := r.json(t)["next_cursor"].(string)
	if r.code != 200 || len(es) != 2 || next == "" {
		t.Fatalf("first page: %d %s", r.code, r.body)
	}
	r2 := tg.api("GET", "/api/v1/audit?user=juan&action=write&client=acme&limit=2&cursor="+next, tok, nil)
	es2, _ := r2.json(t)["entries"].([]any)
	if len(es2) != 1 || es2[0].(map[string]any)["path"] != "/ACME/2026/a.pdf" {
		t.Errorf("second page: %s", r2.body)
	}
	den := tg.api("GET", "/api/v1/audit?result=denied&path=/dossiers/ACME/2026/pedimento.pdf", tok, nil).json(t)
	if es, _ := den["entries"].([]any); len(es) != 1 || es[0].(map[string]any)["action"] != "overwrite" {
		t.Errorf("denied rows on the path: %v", den)
	}
	if es, _ := tg.api("GET", "/api/v1/audit?client=BETA", tok, nil).json(t)["entries"].([]any); len(es) != 0 {
		t.Errorf("client BETA has no rows, got %d", len(es))
	}
	csvResp := tg.api("GET", "/api/v1/audit?user=juan&format=csv", tok, nil)
	rows, err := csv.NewReader(strings.NewReader(string(csvResp.body))).ReadAll()
	if err != nil || len(rows) < 5 || rows[0][0] != "id" || !strings.HasPrefix(csvResp.header.Get("Content-Type"), "text/csv") {
		t.Errorf("CSV export: %v, %d rows\n%s", err, len(rows), csvResp.body)
	}
	wantProblem(t, "a bad time", tg.api("GET", "/api/v1/audit?since=yesterday", tok, nil), 400, "since")
	wantProblem(t, "a bad result", tg.api("GET", "/api/v1/audit?result=maybe", tok, nil), 400, "result")
}

// Keys and passwords of users, and defender bans.
func TestAPIKeysPasswordsAndBans(t *testing.T) {
	tg := startGateway(t, "CUSTODIA_DEFENDER_MAX_FAILURES=2")
	tg.fixture()
	tok := tg.apiLogin("sys")
	r := tg.api("POST", "/api/v1/users/ana/password", tok, nil)
	pw, _ := r.json(t)["password"].(string)
	if r.code != 200 || pw == "" {
		t.Fatalf("reset a password: %d %s", r.code, r.body)
	}
	if conn, err := tg.dial("ana", pw); err != nil {
		t.Errorf("the reset password does not log in: %v", err)
	} else {
		conn.Close()
	}
	if _, err := tg.dial("ana", testPassword); err == nil {
		t.Error("the old password still logs in")
	}
	for range 2 {
		tg.dial("ana", "wrong password")
	}
	bans, _ := tg.api("GET", "/api/v1/bans", tok, nil).json(t)["bans"].([]any)
	if len(bans) != 1 || bans[0].(map[string]any)["address"] != "127.0.0.1" {
		t.Fatalf("bans after two failures: %v", bans)
	}
	if r := tg.api("DELETE", "/api/v1/bans/127.0.0.1", tok, nil); r.code != 204 {
		t.Fatalf("lift the ban: %d %s", r.code, r.body)
	}
	conn, err := tg.dial("ana", pw)
	if err != nil {
		t.Fatalf("after the ban was lifted: %v", err)
	}
	conn.Close()
	wantProblem(t, "a ban that is not there", tg.api("DELETE", "/api/v1/bans/127.0.0.9", tok, nil), 404, "addr")
	_ = gosftp.ErrSSHFxPermissionDenied
}

// /metrics counts logins, operations and bytes by protocol, live sessions,
// bans and decision latency.
func TestAPIMetrics(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	c := tg.sftp("juan")
	f, _ := c.Create("/ACME/2026/m.pdf")
	f.Write([]byte("%PDF-1.4 12345"))
	f.Close()
	c.Create("/ACME/2026/pedimento.pdf") // denied
	tg.dial("juan", "wrong password")
	r := tg.api("GET", "/metrics", "", nil)
	if r.code != 200 {
		t.Fatalf("/metrics: %d", r.code)
	}
	body := string(r.body)
	for _, want := range []string{
		`custodia_logins_total{protocol="sftp",result="ok"} 1`,
		`custodia_logins_total{protocol="sftp",result="failed"} 1`,
		`custodia_operations_total{action="write",protocol="sftp",result="ok"} 1`,
		`custodia_operations_total{action="overwrite",protocol="sftp",result="denied"} 1`,
		`custodia_bytes_total{direction="in",protocol="sftp"} 14`,
		`custodia_sessions_active 1`,
		`custodia_defender_bans 0`,
		`custodia_authz_decision_seconds_count`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
