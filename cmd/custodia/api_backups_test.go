package main

import (
	"strings"
	"testing"
)

// Restore requests through the admin API: an admin records one for a
// user; a manager approves it by their own password, never the
// requester, never a manager of another department; clients of the
// dossiers need a configured approver.
func TestAPIRestoreRequestAndApproval(t *testing.T) {
	idFile, pub := backupKeys(t)
	tg := Start(t, "CUSTODIA_BACKUP_RECIPIENTS="+pub, "CUSTODIA_BACKUP_CLIENT_APPROVERS=lucia")
	tg.Fixture()
	tg.addUser("olga", "--role", "manager", "--department", "operaciones")
	tg.addUser("lucia", "--role", "manager", "--department", "administracion")
	dep := firstField(tg.must("", "backup", "run", "departments"))
	dos := firstField(tg.must("", "backup", "run", "dossiers"))
	tok := tg.APILogin("sys")

	bs := tg.API("GET", "/api/v1/backups", tok, nil)
	if bs.Code != 200 || !strings.Contains(string(bs.Body), dep) || !strings.Contains(string(bs.Body), dos) {
		t.Fatalf("GET /api/v1/backups: %d %s", bs.Code, bs.Body)
	}
	WantProblem(t, "no reason", tg.API("POST", "/api/v1/restores", tok,
		map[string]string{"backup": dep, "path": "/departments/operaciones"}), 422, "")
	WantProblem(t, "every department", tg.API("POST", "/api/v1/restores", tok,
		map[string]string{"backup": dep, "path": "/departments", "reason": "x"}), 422, "")
	WantProblem(t, "unknown backup", tg.API("POST", "/api/v1/restores", tok,
		map[string]string{"backup": "nope", "path": "/departments/operaciones", "reason": "x"}), 404, "")
	WantProblem(t, "unknown requester", tg.API("POST", "/api/v1/restores", tok,
		map[string]string{"backup": dep, "path": "/departments/operaciones", "reason": "x", "requester": "nadie"}), 422, "requester")

	r := tg.API("POST", "/api/v1/restores", tok, map[string]string{"backup": dep, "path": "/departments/operaciones/",
		"reason": "archivo sobrescrito", "requester": "ana"})
	if r.Code != 201 {
		t.Fatalf("request: %d %s", r.Code, r.Body)
	}
	req := r.JSON(t)["id"].(string)
	approve := func(who, pw string) APIResp {
		return tg.API("POST", "/api/v1/restores/"+req+"/approve", tok, map[string]string{"manager": who, "password": pw})
	}
	WantProblem(t, "wrong password", approve("olga", "wrong-password-123"), 403, "password")
	WantProblem(t, "another department's manager", approve("mario", Password), 403, "")
	WantProblem(t, "not a manager", approve("ana", Password), 403, "")
	WantProblem(t, "unknown request", tg.API("POST", "/api/v1/restores/r-nope/approve", tok,
		map[string]string{"manager": "olga", "password": Password}), 404, "")
	if r := approve("olga", Password); r.Code != 200 || r.JSON(t)["status"] != "approved" || r.JSON(t)["approver"] != "olga" {
		t.Fatalf("olga's approval: %d %s", r.Code, r.Body)
	}
	WantProblem(t, "approved twice", approve("olga", Password), 409, "")
	tg.must("", "backup", "restore", "run", req, "--identity", idFile)
	if l := tg.API("GET", "/api/v1/restores", tok, nil); !strings.Contains(string(l.Body), `"status":"restored"`) {
		t.Errorf("GET /api/v1/restores after the run: %s", l.Body)
	}

	// A dossier: only a manager named in backup.client_approvers.
	r = tg.API("POST", "/api/v1/restores", tok, map[string]string{"backup": dos, "path": "/dossiers/ACME", "reason": "auditoría"})
	if r.Code != 201 || r.JSON(t)["requester"] != "sys" {
		t.Fatalf("dossier request: %d %s", r.Code, r.Body)
	}
	req = r.JSON(t)["id"].(string)
	WantProblem(t, "a manager not in client_approvers", approve("olga", Password), 403, "")
	if r := approve("lucia", Password); r.Code != 200 {
		t.Fatalf("lucia's approval: %d %s", r.Code, r.Body)
	}
}
