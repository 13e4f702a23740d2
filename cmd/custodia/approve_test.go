package main

import (
	"context"
	"os/user"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// approvalRow finds the newest backup.restore.approve row of who on req.
func approvalRow(tg *testkit.Gateway, who, req string) (store.AuditEntry, bool) {
	tg.T.Helper()
	rows := tg.Audit(who, 50)
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].Action == "backup.restore.approve" && rows[i].VPath == req {
			return rows[i], true
		}
	}
	return store.AuditEntry{}, false
}

// TestRestoreApprovalRefusalsIdentical: through the API and the command
// line, a refused approval is one answer whether the manager's password
// was wrong or right (of someone who may not approve); the causes are in
// the audit rows only.
func TestRestoreApprovalRefusalsIdentical(t *testing.T) {
	t.Parallel()
	_, pub := backupKeys(t)
	tg := startGateway(t, "CUSTODIA_BACKUP_RECIPIENTS="+pub, "CUSTODIA_DEFENDER_ENABLED=false", anyApproverAge)
	tg.Fixture()
	past := time.Now().Add(-time.Hour)
	tg.AddUser(store.NewUser{Name: "olga", Role: store.RoleManager, Department: "operaciones"})
	tg.AddUser(store.NewUser{Name: "dormida", Role: store.RoleManager, Department: "operaciones"})
	tg.AddUser(store.NewUser{Name: "vencida", Role: store.RoleManager, Department: "operaciones", ExpiresAt: &past})
	if err := tg.Store().SetStatus(context.Background(), "dormida", store.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	dep := firstField(must(tg, "", "backup", "run", "departments"))
	tok := tg.APILogin("sys")
	r := tg.API("POST", "/api/v1/restores", tok, map[string]string{"backup": dep, "path": "/departments/operaciones",
		"reason": "se borró un pedimento", "requester": "ana"})
	if r.Code != 201 {
		t.Fatalf("request: %d %s", r.Code, r.Body)
	}
	req := r.JSON(t)["id"].(string)
	cases := []struct{ what, who, password, cause string }{
		{"a wrong password", "olga", "not-her-password-1", "login failed: wrong password"},
		{"an unknown user", "nadie", testkit.Password, "login failed: unknown user"},
		{"a staff member's right password", "tomas", testkit.Password, "not an active manager"},
		{"the requester's right password", "ana", testkit.Password, "cannot also approve it"},
		{"another department's manager's right password", "mario", testkit.Password, `manages "trafico"`},
		{"a disabled manager's right password", "dormida", testkit.Password, "login failed: account disabled"},
		{"an expired manager's right password", "vencida", testkit.Password, "login failed: account expired"},
	}
	var api testkit.APIResp
	var cliErr string
	for i, c := range cases {
		a := tg.API("POST", "/api/v1/restores/"+req+"/approve", tok, map[string]string{"manager": c.who, "password": c.password})
		_, err := cli(tg, c.password+"\n", "backup", "restore", "approve", req, "--as", c.who, "--password-stdin")
		if err == nil {
			t.Fatalf("%s approved restore %s on the command line", c.what, req)
		}
		// The command line names the user it was given; nothing else differs.
		msg := strings.ReplaceAll(err.Error(), c.who, "WHO")
		if i == 0 {
			api, cliErr = a, msg
			testkit.WantProblem(t, c.what, a, 403, "password")
		} else {
			if a.Code != api.Code || string(a.Body) != string(api.Body) {
				t.Errorf("the API answers %s with %d %s, but %s with %d %s", c.what, a.Code, a.Body, cases[0].what, api.Code, api.Body)
			}
			if msg != cliErr {
				t.Errorf("the command line answers %s with %q, but %s with %q", c.what, msg, cases[0].what, cliErr)
			}
		}
		row, ok := approvalRow(tg, c.who, req)
		if !ok || row.Result != store.ResultDenied || !strings.Contains(row.Reason, c.cause) {
			t.Errorf("%s: the approval's audit row does not say %q: %+v", c.what, c.cause, row)
		}
	}
	if a := tg.API("POST", "/api/v1/restores/"+req+"/approve", tok, map[string]string{"manager": "olga", "password": testkit.Password}); a.Code != 200 {
		t.Errorf("olga's own approval after the refusals: %d %s", a.Code, a.Body)
	}
}

// TestRestoreApprovalSeparationOfDuties: an admin (or the operator) who
// asks for a restore cannot approve it with a manager they made, nor with
// any manager younger than backup.approver_min_age; the audit shows the
// request and the refused approval with its cause. A manager old enough
// and made by someone else approves.
func TestRestoreApprovalSeparationOfDuties(t *testing.T) {
	t.Parallel()
	_, pub := backupKeys(t)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	operator := "os:" + me.Username
	refused := func(tg *testkit.Gateway, what, req, who, cause string) {
		t.Helper()
		if out, err := cli(tg, testkit.Password+"\n", "backup", "restore", "approve", req, "--as", who, "--password-stdin"); err == nil {
			t.Errorf("%s approved: %s", what, out)
		}
		if row, ok := approvalRow(tg, who, req); !ok || row.Result != store.ResultDenied || !strings.Contains(row.Reason, cause) {
			t.Errorf("%s: the audit row of the refused approval does not say %q: %+v", what, cause, row)
		}
	}
	requested := func(tg *testkit.Gateway, req, requester string) {
		t.Helper()
		for _, row := range tg.Audit(requester, 50) {
			if row.Action == "backup.restore.request" && row.VPath == req && row.Result == store.ResultOK {
				return
			}
		}
		t.Errorf("no audit row of %s's request %s", requester, req)
	}

	// The default minimum age: a week.
	tg := startGateway(t, "CUSTODIA_BACKUP_RECIPIENTS="+pub)
	tg.Fixture()
	dep := firstField(must(tg, "", "backup", "run", "departments"))
	tok := tg.APILogin("sys")
	if r := tg.API("POST", "/api/v1/users", tok, map[string]any{"username": "suplente", "role": "manager",
		"department": "operaciones", "password": testkit.Password}); r.Code != 201 {
		t.Fatalf("sys creates a stand-in manager: %d %s", r.Code, r.Body)
	}
	addUser(tg, "nueva", "--role", "manager", "--department", "operaciones") // by the operator
	if u, err := tg.Store().UserByName(context.Background(), "suplente"); err != nil || u.CreatedBy != "sys" {
		t.Errorf("the API's user records no creator: %+v %v", u, err)
	}
	if u, err := tg.Store().UserByName(context.Background(), "nueva"); err != nil || u.CreatedBy != operator {
		t.Errorf("the command line's user records creator %q, want %q", u.CreatedBy, operator)
	}
	r := tg.API("POST", "/api/v1/restores", tok, map[string]string{"backup": dep, "path": "/departments/operaciones", "reason": "auditoría"})
	if r.Code != 201 {
		t.Fatalf("sys's request: %d %s", r.Code, r.Body)
	}
	req := r.JSON(t)["id"].(string)
	requested(tg, req, "sys")
	refused(tg, "a stand-in manager made by the requester", req, "suplente", "was created by sys, who asked for restore")
	a := tg.API("POST", "/api/v1/restores/"+req+"/approve", tok, map[string]string{"manager": "suplente", "password": testkit.Password})
	testkit.WantProblem(t, "the stand-in's approval through the API", a, 403, "password")
	refused(tg, "a manager made an hour ago by someone else", req, "nueva", "must be at least 168h0m0s old")

	// A minimum age the test can wait out: the creator rule still holds.
	tg = startGateway(t, "CUSTODIA_BACKUP_RECIPIENTS="+pub, "CUSTODIA_BACKUP_APPROVER_MIN_AGE=1ms")
	tg.Fixture()
	dep = firstField(must(tg, "", "backup", "run", "departments"))
	addUser(tg, "suplente", "--role", "manager", "--department", "operaciones") // by the operator
	tok = tg.APILogin("sys")
	if r := tg.API("POST", "/api/v1/users", tok, map[string]any{"username": "olga", "role": "manager",
		"department": "operaciones", "password": testkit.Password}); r.Code != 201 {
		t.Fatalf("sys creates olga: %d %s", r.Code, r.Body)
	}
	req = strings.TrimSpace(must(tg, "", "backup", "restore", "request", dep, "--path", "/departments/operaciones", "--reason", "auditoría"))
	requested(tg, req, operator)
	refused(tg, "the operator's stand-in manager, on the operator's request", req, "suplente", "was created by "+operator)
	// A manager cannot approve their own request.
	own := strings.TrimSpace(must(tg, "", "backup", "restore", "request", dep, "--path", "/departments/operaciones",
		"--reason", "mi carpeta", "--as", "olga"))
	refused(tg, "the requester herself", own, "olga", "asked for restore")
	// olga, made by sys, approves the operator's request.
	out := must(tg, testkit.Password+"\n", "backup", "restore", "approve", req, "--as", "olga", "--password-stdin")
	if !strings.Contains(out, "\tapproved\t") {
		t.Errorf("olga's approval: %s", out)
	}
	if row, ok := approvalRow(tg, "olga", req); !ok || row.Result != store.ResultOK {
		t.Errorf("olga's approval is not audited: %+v", row)
	}
}
