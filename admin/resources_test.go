package admin_test

import (
	"encoding/csv"
	"strings"
	"testing"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
)

func TestAPIHealthReadyAndDocument(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := tg.API("GET", p, "", nil); r.Code != 200 {
			t.Errorf("%s: %d %s", p, r.Code, r.Body)
		}
	}
	r := tg.API("GET", "/api/v1/openapi.json", "", nil)
	if r.Code != 200 || r.JSON(t)["openapi"] == nil {
		t.Errorf("openapi.json: %d %.200s", r.Code, r.Body)
	}
}

// explain answers like `custodia policy test`; rules added through the API
// take effect at once.
func TestAPIPoliciesAndExplain(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tok := tg.APILogin("sys")
	q := map[string]string{"user": "juan", "action": "read", "path": "/dossiers/ACME/2026/pedimento.pdf"}
	if d := tg.API("POST", "/api/v1/policies/explain", tok, q).JSON(t); d["result"] != "deny" {
		t.Errorf("explain before the rule: %v", d)
	}
	rule := map[string]string{"subject": "user:juan", "object": "/dossiers/{client}/**", "actions": "read", "effect": "allow"}
	if r := tg.API("POST", "/api/v1/policies", tok, rule); r.Code != 201 {
		t.Fatalf("add a rule: %d %s", r.Code, r.Body)
	}
	d := tg.API("POST", "/api/v1/policies/explain", tok, q).JSON(t)
	if d["result"] != "allow" || !strings.Contains(d["rule"].(string), "user:juan") {
		t.Errorf("explain after the rule: %v", d)
	}
	if _, err := tg.SFTP("juan").Open("/ACME/2026/pedimento.pdf"); err != nil {
		t.Errorf("the added rule does not let juan read over SFTP: %v", err)
	}
	testkit.WantProblem(t, "a duplicate rule", tg.API("POST", "/api/v1/policies", tok, rule), 409, "rule")
	if r := tg.API("DELETE", "/api/v1/policies", tok, rule); r.Code != 204 {
		t.Errorf("remove the rule: %d %s", r.Code, r.Body)
	}
	testkit.WantProblem(t, "a bad rule", tg.API("POST", "/api/v1/policies", tok, map[string]string{"subject": "x", "object": "nope", "actions": "read", "effect": "allow"}), 422, "rule")
	testkit.WantProblem(t, "a bad action", tg.API("POST", "/api/v1/policies/explain", tok, map[string]string{"user": "juan", "action": "fly", "path": "/x"}), 422, "action")
}

// The audit query filters by user, client, action, result, time and path,
// pages with a cursor, and exports CSV.
func TestAPIAuditQueryAndCSV(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.SFTP("juan")
	for _, name := range []string{"a.pdf", "b.pdf", "c.pdf"} {
		f, _ := c.Create("/ACME/2026/" + name)
		f.Write([]byte("%PDF-1.4 " + name))
		f.Close()
	}
	c.Create("/ACME/2026/pedimento.pdf") // denied: no overwrite
	tok := tg.APILogin("sys")
	r := tg.API("GET", "/api/v1/audit?user=juan&action=write&client=acme&limit=2", tok, nil)
	es, _ := r.JSON(t)["entries"].([]any)
	next, _ := r.JSON(t)["next_cursor"].(string)
	if r.Code != 200 || len(es) != 2 || next == "" {
		t.Fatalf("first page: %d %s", r.Code, r.Body)
	}
	r2 := tg.API("GET", "/api/v1/audit?user=juan&action=write&client=acme&limit=2&cursor="+next, tok, nil)
	es2, _ := r2.JSON(t)["entries"].([]any)
	if len(es2) != 1 || es2[0].(map[string]any)["path"] != "/ACME/2026/a.pdf" {
		t.Errorf("second page: %s", r2.Body)
	}
	den := tg.API("GET", "/api/v1/audit?result=denied&path=/dossiers/ACME/2026/pedimento.pdf", tok, nil).JSON(t)
	if es, _ := den["entries"].([]any); len(es) != 1 || es[0].(map[string]any)["action"] != "overwrite" {
		t.Errorf("denied rows on the path: %v", den)
	}
	if es, _ := tg.API("GET", "/api/v1/audit?client=BETA", tok, nil).JSON(t)["entries"].([]any); len(es) != 0 {
		t.Errorf("client BETA has no rows, got %d", len(es))
	}
	csvResp := tg.API("GET", "/api/v1/audit?user=juan&format=csv", tok, nil)
	rows, err := csv.NewReader(strings.NewReader(string(csvResp.Body))).ReadAll()
	if err != nil || len(rows) < 5 || rows[0][0] != "id" || !strings.HasPrefix(csvResp.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("CSV export: %v, %d rows\n%s", err, len(rows), csvResp.Body)
	}
	testkit.WantProblem(t, "a bad time", tg.API("GET", "/api/v1/audit?since=yesterday", tok, nil), 400, "since")
	testkit.WantProblem(t, "a bad result", tg.API("GET", "/api/v1/audit?result=maybe", tok, nil), 400, "result")
}

// Keys and passwords of users, and defender bans.
func TestAPIKeysPasswordsAndBans(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_MAX_FAILURES=2")
	tg.Fixture()
	tok := tg.APILogin("sys")
	r := tg.API("POST", "/api/v1/users/ana/password", tok, nil)
	pw, _ := r.JSON(t)["password"].(string)
	if r.Code != 200 || pw == "" {
		t.Fatalf("reset a password: %d %s", r.Code, r.Body)
	}
	if conn, err := tg.Dial("ana", pw); err != nil {
		t.Errorf("the reset password does not log in: %v", err)
	} else {
		conn.Close()
	}
	if _, err := tg.Dial("ana", testkit.Password); err == nil {
		t.Error("the old password still logs in")
	}
	for range 2 {
		tg.Dial("ana", "wrong password")
	}
	bans, _ := tg.API("GET", "/api/v1/bans", tok, nil).JSON(t)["bans"].([]any)
	if len(bans) != 1 || bans[0].(map[string]any)["address"] != "127.0.0.1" {
		t.Fatalf("bans after two failures: %v", bans)
	}
	if r := tg.API("DELETE", "/api/v1/bans/127.0.0.1", tok, nil); r.Code != 204 {
		t.Fatalf("lift the ban: %d %s", r.Code, r.Body)
	}
	conn, err := tg.Dial("ana", pw)
	if err != nil {
		t.Fatalf("after the ban was lifted: %v", err)
	}
	conn.Close()
	testkit.WantProblem(t, "a ban that is not there", tg.API("DELETE", "/api/v1/bans/127.0.0.9", tok, nil), 404, "addr")
	_ = gosftp.ErrSSHFxPermissionDenied
}

// /metrics counts logins, operations and bytes by protocol, live sessions,
// bans and decision latency.
func TestAPIMetrics(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.SFTP("juan")
	f, _ := c.Create("/ACME/2026/m.pdf")
	f.Write([]byte("%PDF-1.4 12345"))
	f.Close()
	c.Create("/ACME/2026/pedimento.pdf") // denied
	tg.Dial("juan", "wrong password")
	r := tg.API("GET", "/metrics", "", nil)
	if r.Code != 200 {
		t.Fatalf("/metrics: %d", r.Code)
	}
	body := string(r.Body)
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
