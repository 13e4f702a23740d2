package main

import (
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// Restore requests through the admin API: an admin records one for a
// user; a manager approves it by their own password, never the
// requester, never a manager of another department; clients of the
// dossiers need a configured approver.
func TestAPIRestoreRequestAndApproval(t *testing.T) {
	t.Parallel()
	idFile, pub := backupKeys(t)
	tg := startGateway(t, "CUSTODIA_BACKUP_RECIPIENTS="+pub, "CUSTODIA_BACKUP_CLIENT_APPROVERS=lucia", anyApproverAge)
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "olga", Role: store.RoleManager, Department: "operaciones"})
	tg.AddUser(store.NewUser{Name: "lucia", Role: store.RoleManager, Department: "administracion"})
	dep := firstField(must(tg, "", "backup", "run", "departments"))
	dos := firstField(must(tg, "", "backup", "run", "dossiers"))
	tok := tg.APILogin("sys")

	bs := tg.API("GET", "/api/v1/backups", tok, nil)
	if bs.Code != 200 || !strings.Contains(string(bs.Body), dep) || !strings.Contains(string(bs.Body), dos) {
		t.Fatalf("GET /api/v1/backups: %d %s", bs.Code, bs.Body)
	}
	testkit.WantProblem(t, "no reason", tg.API("POST", "/api/v1/restores", tok,
		map[string]string{"backup": dep, "path": "/departments/operaciones"}), 422, "")
	testkit.WantProblem(t, "every department", tg.API("POST", "/api/v1/restores", tok,
		map[string]string{"backup": dep, "path": "/departments", "reason": "x"}), 422, "")
	testkit.WantProblem(t, "unknown backup", tg.API("POST", "/api/v1/restores", tok,
		map[string]string{"backup": "nope", "path": "/departments/operaciones", "reason": "x"}), 404, "")
	testkit.WantProblem(t, "unknown requester", tg.API("POST", "/api/v1/restores", tok,
		map[string]string{"backup": dep, "path": "/departments/operaciones", "reason": "x", "requester": "nadie"}), 422, "requester")

	r := tg.API("POST", "/api/v1/restores", tok, map[string]string{"backup": dep, "path": "/departments/operaciones/",
		"reason": "archivo sobrescrito", "requester": "ana"})
	if r.Code != 201 {
		t.Fatalf("request: %d %s", r.Code, r.Body)
	}
	req := r.JSON(t)["id"].(string)
	approve := func(who, pw string) testkit.APIResp {
		return tg.API("POST", "/api/v1/restores/"+req+"/approve", tok, map[string]string{"manager": who, "password": pw})
	}
	testkit.WantProblem(t, "wrong password", approve("olga", "wrong-password-123"), 403, "password")
	testkit.WantProblem(t, "another department's manager", approve("mario", testkit.Password), 403, "")
	testkit.WantProblem(t, "not a manager", approve("ana", testkit.Password), 403, "")
	testkit.WantProblem(t, "unknown request", tg.API("POST", "/api/v1/restores/r-nope/approve", tok,
		map[string]string{"manager": "olga", "password": testkit.Password}), 404, "")
	if r := approve("olga", testkit.Password); r.Code != 200 || r.JSON(t)["status"] != "approved" || r.JSON(t)["approver"] != "olga" {
		t.Fatalf("olga's approval: %d %s", r.Code, r.Body)
	}
	testkit.WantProblem(t, "approved twice", approve("olga", testkit.Password), 409, "")
	must(tg, "", "backup", "restore", "run", req, "--identity", idFile)
	if l := tg.API("GET", "/api/v1/restores", tok, nil); !strings.Contains(string(l.Body), `"status":"restored"`) {
		t.Errorf("GET /api/v1/restores after the run: %s", l.Body)
	}

	// A dossier: only a manager named in backup.client_approvers.
	r = tg.API("POST", "/api/v1/restores", tok, map[string]string{"backup": dos, "path": "/dossiers/ACME", "reason": "auditoría"})
	if r.Code != 201 || r.JSON(t)["requester"] != "sys" {
		t.Fatalf("dossier request: %d %s", r.Code, r.Body)
	}
	req = r.JSON(t)["id"].(string)
	testkit.WantProblem(t, "a manager not in client_approvers", approve("olga", testkit.Password), 403, "")
	if r := approve("lucia", testkit.Password); r.Code != 200 {
		t.Fatalf("lucia's approval: %d %s", r.Code, r.Body)
	}
}
