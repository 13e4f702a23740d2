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
	tg := startGateway(t, "CUSTODIA_BACKUP_RECIPIENTS="+pub, "CUSTODIA_BACKUP_CLIENT_APPROVERS=lucia")
	tg.fixture()
	tg.addUser("olga", "--role", "manager", "--department", "operaciones")
	tg.addUser("lucia", "--role", "manager", "--department", "administracion")
	dep := firstField(tg.must("", "backup", "run", "departments"))
	dos := firstField(tg.must("", "backup", "run", "dossiers"))
	tok := tg.apiLogin("sys")

	bs := tg.api("GET", "/api/v1/backups", tok, nil)
	if bs.code != 200 || !strings.Contains(string(bs.body), dep) || !strings.Contains(string(bs.body), dos) {
		t.Fatalf("GET /api/v1/backups: %d %s", bs.code, bs.body)
	}
	wantProblem(t, "no reason", tg.api("POST", "/api/v1/restores", tok,
		map[string]string{"backup": dep, "path": "/departments/operaciones"}), 422, "")
	wantProblem(t, "every department", tg.api("POST", "/api/v1/restores", tok,
		map[string]string{"backup": dep, "path": "/departments", "reason": "x"}), 422, "")
	wantProblem(t, "unknown backup", tg.api("POST", "/api/v1/restores", tok,
		map[string]string{"backup": "nope", "path": "/departments/operaciones", "reason": "x"}), 404, "")
	wantProblem(t, "unknown requester", tg.api("POST", "/api/v1/restores", tok,
		map[string]string{"backup": dep, "path": "/departments/operaciones", "reason": "x", "requester": "nadie"}), 422, "requester")

	r := tg.api("POST", "/api/v1/restores", tok, map[string]string{"backup": dep, "path": "/departments/operaciones/",
		"reason": "archivo sobrescrito", "requester": "ana"})
	if r.code != 201 {
		t.Fatalf("request: %d %s", r.code, r.body)
	}
	req := r.json(t)["id"].(string)
	approve := func(who, pw string) apiResp {
		return tg.api("POST", "/api/v1/restores/"+req+"/approve", tok, map[string]string{"manager": who, "password": pw})
	}
	wantProblem(t, "wrong password", approve("olga", "wrong-password-123"), 403, "password")
	wantProblem(t, "another department's manager", approve("mario", testPassword), 403, "")
	wantProblem(t, "not a manager", approve("ana", testPassword), 403, "")
	wantProblem(t, "unknown request", tg.api("POST", "/api/v1/restores/r-nope/approve", tok,
		map[string]string{"manager": "olga", "password": testPassword}), 404, "")
	if r := approve("olga", testPassword); r.code != 200 || r.json(t)["status"] != "approved" || r.json(t)["approver"] != "olga" {
		t.Fatalf("olga's approval: %d %s", r.code, r.body)
	}
	wantProblem(t, "approved twice", approve("olga", testPassword), 409, "")
	tg.must("", "backup", "restore", "run", req, "--identity", idFile)
	if l := tg.api("GET", "/api/v1/restores", tok, nil); !strings.Contains(string(l.body), `"status":"restored"`) {
		t.Errorf("GET /api/v1/restores after the run: %s", l.body)
	}

	// A dossier: only a manager named in backup.client_approvers.
	r = tg.api("POST", "/api/v1/restores", tok, map[string]string{"backup": dos, "path": "/dossiers/ACME", "reason": "auditoría"})
	if r.code != 201 || r.json(t)["requester"] != "sys" {
		t.Fatalf("dossier request: %d %s", r.code, r.body)
	}
	req = r.json(t)["id"].(string)
	wantProblem(t, "a manager not in client_approvers", approve("olga", testPassword), 403, "")
	if r := approve("lucia", testPassword); r.code != 200 {
		t.Fatalf("lucia's approval: %d %s", r.code, r.body)
	}
}
