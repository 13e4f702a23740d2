package admin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestAPIAuditFiltersEveryResult: the audit filter takes every result the
// store writes, infected included (an upload the antivirus refused, here
// EICAR through a real clamd); an unknown one is a problem naming them.
func TestAPIAuditFiltersEveryResult(t *testing.T) {
	t.Parallel()
	cd := testkit.StartClamd(t)
	tg := testkit.Start(t, cd.ClamdEnv())
	tg.Fixture()
	f, err := tg.SFTP("juan").Create("/ACME/2026/virus.pdf")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(testkit.EICAR))
	if err := f.Close(); err == nil {
		t.Fatal("the antivirus let EICAR in")
	}
	tok := tg.APILogin("sys")
	var r testkit.APIResp
	testkit.WaitFor(t, 10*time.Second, "an infected row through GET /api/v1/audit?result=infected", func() bool {
		r = tg.API("GET", "/api/v1/audit?result=infected&user=juan", tok, nil)
		es, _ := r.JSON(t)["entries"].([]any)
		return r.Code == 200 && len(es) == 1 && es[0].(map[string]any)["result"] == string(store.ResultInfected) &&
			strings.Contains(es[0].(map[string]any)["reason"].(string), testkit.EICARSignature)
	})
	for _, res := range store.Results {
		if r := tg.API("GET", "/api/v1/audit?result="+string(res), tok, nil); r.Code != 200 {
			t.Errorf("result=%s: %d %s", res, r.Code, r.Body)
		}
	}
	bad := tg.API("GET", "/api/v1/audit?result=maybe", tok, nil)
	testkit.WantProblem(t, "an unknown result", bad, 400, "result")
	if !strings.Contains(string(bad.Body), "infected") {
		t.Errorf("the problem does not name every result: %s", bad.Body)
	}
}

// TestOpenAPIAuditResultsAreTheStores: the document lists the results the
// filter takes, which are the store's.
func TestOpenAPIAuditResultsAreTheStores(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	doc := tg.API("GET", "/api/v1/openapi.json", "", nil).JSON(t)
	params := doc["paths"].(map[string]any)["/api/v1/audit"].(map[string]any)["get"].(map[string]any)["parameters"].([]any)
	var got []string
	for _, p := range params {
		if p := p.(map[string]any); p["name"] == "result" {
			for _, v := range p["schema"].(map[string]any)["enum"].([]any) {
				got = append(got, v.(string))
			}
		}
	}
	var want []string
	for _, r := range store.Results {
		want = append(want, string(r))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("the OpenAPI document's audit results are %q, want the store's %q", got, want)
	}
}
