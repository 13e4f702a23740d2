package main

import (
	"encoding/json"
	"os/user"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestRestoreFiledInAnotherNameSeparation: an admin (through the API) or
// the operator (on the command line, --as) who files a restore request
// in another user's name cannot have it approved by a manager they
// created; the request, its listing and its audit row say who filed it.
// A manager created by neither approves.
func TestRestoreFiledInAnotherNameSeparation(t *testing.T) {
	t.Parallel()
	_, pub := backupKeys(t)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	operator := "os:" + me.Username
	tg := startGateway(t, "CUSTODIA_BACKUP_RECIPIENTS="+pub, "CUSTODIA_BACKUP_APPROVER_MIN_AGE=1ms")
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "olga", Role: store.RoleManager, Department: "operaciones"}) // created by neither
	dep := firstField(must(tg, "", "backup", "run", "departments"))
	tok := tg.APILogin("sys")
	if r := tg.API("POST", "/api/v1/users", tok, map[string]any{"username": "suplente", "role": "manager",
		"department": "operaciones", "password": testkit.Password}); r.Code != 201 {
		t.Fatalf("sys creates a stand-in manager: %d %s", r.Code, r.Body)
	}
	addUser(tg, "sustituta", "--role", "manager", "--department", "operaciones") // by the operator

	refused := func(what, req, who, cause string) {
		t.Helper()
		a := tg.API("POST", "/api/v1/restores/"+req+"/approve", tok, map[string]string{"manager": who, "password": testkit.Password})
		testkit.WantProblem(t, what+" through the API", a, 403, "password")
		if out, err := cli(tg, testkit.Password+"\n", "backup", "restore", "approve", req, "--as", who, "--password-stdin"); err == nil {
			t.Errorf("%s approved on the command line: %s", what, out)
		}
		if row, ok := approvalRow(tg, who, req); !ok || row.Result != store.ResultDenied || !strings.Contains(row.Reason, cause) {
			t.Errorf("%s: the audit row of the refused approval does not say %q: %+v", what, cause, row)
		}
	}
	filedRow := func(req, filer, requester string) {
		t.Helper()
		for _, row := range tg.Audit(filer, 50) {
			if row.Action == "backup.restore.request" && row.VPath == req && row.Result == store.ResultOK &&
				strings.Contains(row.Reason, "requester "+requester+", filed by "+filer) {
				return
			}
		}
		t.Errorf("no audit row of %s filing %s for %s:\n%s", filer, req, requester, tg.AuditLog("", 50))
	}

	// sys files a request in ana's name; sys's stand-in cannot approve it.
	r := tg.API("POST", "/api/v1/restores", tok, map[string]string{"backup": dep, "path": "/departments/operaciones",
		"reason": "auditoría", "requester": "ana"})
	if r.Code != 201 {
		t.Fatalf("sys's request for ana: %d %s", r.Code, r.Body)
	}
	body := r.JSON(t)
	apiReq := body["id"].(string)
	if body["requester"] != "ana" || body["filed_by"] != "sys" {
		t.Errorf("the request says requester %v, filed by %v; want ana, sys", body["requester"], body["filed_by"])
	}
	filedRow(apiReq, "sys", "ana")
	refused("sys's stand-in, on a request sys filed for ana", apiReq, "suplente", "was created by sys, who filed restore")

	// The operator files one in ana's name; the operator's stand-in cannot approve it.
	cliReq := strings.TrimSpace(must(tg, "", "backup", "restore", "request", dep, "--path", "/departments/operaciones",
		"--reason", "auditoría", "--as", "ana"))
	filedRow(cliReq, operator, "ana")
	refused("the operator's stand-in, on a request the operator filed for ana", cliReq, "sustituta",
		"was created by "+operator+", who filed restore")

	// The listing shows who filed each, as text and as JSON.
	list := must(tg, "", "backup", "restore", "list")
	for _, want := range []string{apiReq + "\t" + dep + "\t/departments/operaciones\trequested\tana\tsys\t",
		cliReq + "\t" + dep + "\t/departments/operaciones\trequested\tana\t" + operator + "\t"} {
		if !strings.Contains(list, want) {
			t.Errorf("restore list does not show %q:\n%s", want, list)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(must(tg, "", "--json", "backup", "restore", "list")), "\n") {
		var q store.RestoreRequest
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			t.Fatalf("restore list --json: %v: %s", err, line)
		}
		if want := map[string]string{apiReq: "sys", cliReq: operator}[q.ID]; q.FiledBy != want {
			t.Errorf("restore list --json: %s filed by %q, want %q", q.ID, q.FiledBy, want)
		}
	}
	l := tg.API("GET", "/api/v1/restores", tok, nil)
	if l.Code != 200 || !strings.Contains(string(l.Body), `"filed_by":"sys"`) || !strings.Contains(string(l.Body), `"filed_by":"`+operator+`"`) {
		t.Errorf("GET /api/v1/restores does not show who filed each: %d %s", l.Code, l.Body)
	}

	// A manager created by neither approves both.
	for _, req := range []string{apiReq, cliReq} {
		if a := tg.API("POST", "/api/v1/restores/"+req+"/approve", tok, map[string]string{"manager": "olga", "password": testkit.Password}); a.Code != 200 {
			t.Errorf("olga's approval of %s: %d %s", req, a.Code, a.Body)
		}
	}
}
