package admin_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestAPIQuotas: PATCH sets a user's and a client account's quota, a
// negative one is refused naming the field, and the user and client JSON
// show quota and usage after an upload.
func TestAPIQuotas(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tok := tg.APILogin("sys")
	if r := tg.API("PATCH", "/api/v1/users/juan", tok, map[string]any{"quota": map[string]int64{"bytes": 1 << 20, "files": 3}}); r.Code != 200 {
		t.Fatalf("set juan's quota: %d %s", r.Code, r.Body)
	}
	if r := tg.API("PATCH", "/api/v1/clients/ACME", tok, map[string]any{"quota": map[string]int64{"files": 9}}); r.Code != 200 {
		t.Fatalf("set ACME's quota: %d %s", r.Code, r.Body)
	}
	testkit.WantProblem(t, "a negative quota", tg.API("PATCH", "/api/v1/clients/ACME", tok, map[string]any{"quota": map[string]int64{"bytes": -1}}), 422, "quota")
	testkit.WantProblem(t, "an unknown client", tg.API("PATCH", "/api/v1/clients/NOPE", tok, map[string]any{"quota": map[string]int64{"files": 1}}), 404, "id")
	testkit.Upload(t, tg, "juan", "/ACME/q.pdf", "%PDF-1.4 quota") // 14 bytes

	var u struct {
		Quota store.Limit `json:"quota"`
		Used  store.Usage `json:"used"`
	}
	if err := json.Unmarshal(tg.API("GET", "/api/v1/users/juan", tok, nil).Body, &u); err != nil {
		t.Fatal(err)
	}
	if u.Quota != (store.Limit{Bytes: 1 << 20, Files: 3}) || u.Used != (store.Usage{Bytes: 14, Files: 1}) {
		t.Errorf("juan's JSON: quota %+v used %+v", u.Quota, u.Used)
	}
	var cs struct {
		Clients []struct {
			ID    string      `json:"id"`
			Quota store.Limit `json:"quota"`
			Used  store.Usage `json:"used"`
		} `json:"clients"`
	}
	if err := json.Unmarshal(tg.API("GET", "/api/v1/clients", tok, nil).Body, &cs); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs.Clients {
		if c.ID == "ACME" && (c.Quota != (store.Limit{Files: 9}) || c.Used != (store.Usage{Bytes: 14, Files: 1})) {
			t.Errorf("ACME's JSON: quota %+v used %+v", c.Quota, c.Used)
		}
	}
	audit := tg.AuditLog("sys", 20)
	for _, want := range []string{"admin.user.quota", "admin.client.quota"} {
		if !strings.Contains(audit, want) {
			t.Errorf("no %s audit row:\n%s", want, audit)
		}
	}
}
