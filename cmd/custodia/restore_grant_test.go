package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// restoreFixture starts a gateway with backups on, the fixture's users,
// olga (manager of operaciones) and lucia (approver of client folders),
// and one full backup of the departments and of the clients.
func restoreFixture(t *testing.T, env ...string) (tg *testkit.Gateway, idFile, deps, clients string) {
	t.Helper()
	idFile, pub := backupKeys(t)
	tg = startGateway(t, append([]string{"CUSTODIA_BACKUP_RECIPIENTS=" + pub, "CUSTODIA_BACKUP_CLIENT_APPROVERS=lucia", anyApproverAge}, env...)...)
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "olga", Role: store.RoleManager, Department: "operaciones"})
	tg.AddUser(store.NewUser{Name: "lucia", Role: store.RoleManager, Department: "administracion"})
	tg.Put("departments/operaciones/interno.txt", "pedimentos internos")
	tg.Put("departments/operaciones/privado/nomina.txt", "nómina")
	deps = firstField(must(tg, "", "backup", "run", "departments"))
	clients = firstField(must(tg, "", "backup", "run", "clients"))
	return tg, idFile, deps, clients
}

// sftpOnceGranted logs user in until their view mounts /restores/<id>
// (the server sees the CLI's new rules within its 2 s policy poll).
func sftpOnceGranted(t *testing.T, tg *testkit.Gateway, user, id string) *gosftp.Client {
	t.Helper()
	for range 60 {
		conn, err := tg.Dial(user, testkit.Password)
		if err != nil {
			t.Fatalf("%s cannot log in: %v", user, err)
		}
		c, err := gosftp.NewClient(conn)
		if err == nil {
			if _, err = c.Stat("/restores/" + id); err == nil {
				t.Cleanup(func() { c.Close(); conn.Close() })
				return c
			}
			c.Close()
		}
		conn.Close()
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never sees /restores/%s", user, id)
	return nil
}

// The scenario: a client of ACME asks for Operaciones' folder
// (the README's old example) and is refused, through the CLI and the API;
// a staff member of Operaciones may ask, and once a manager approved, reads
// only what their role shows there; a client asking for their own folder
// gets its PDFs, not the internal notes beside them.
func TestRestoreGrantsOnlyWhatTheRequesterMayRead(t *testing.T) {
	t.Parallel()
	tg, idFile, deps, clients := restoreFixture(t)
	// A rule that hides a folder from the staff of every department.
	must(tg, "", "policy", "add", "staff", "/departments/operaciones/privado/**", "list|read", "deny")

	for _, c := range []struct{ who, path, why string }{
		{"carla", "/departments/operaciones", "a client, for a department's folder"},
		{"tomas", "/departments/operaciones", "the staff of trafico, for Operaciones' folder"},
		{"carla", "/clients/BETA", "a client, for another client's folder"},
		{"juan", "/clients/ACME", "a correspondent, who cannot read the client's PDFs"},
	} {
		backupID := deps
		if strings.HasPrefix(c.path, "/clients") {
			backupID = clients
		}
		out, err := cli(tg, "", "backup", "restore", "request", backupID, "--path", c.path, "--reason", "x", "--as", c.who)
		if err == nil || !strings.Contains(err.Error(), "may not read") {
			t.Errorf("%s: the request was not refused as unreadable: %v %s", c.why, err, out)
		}
	}
	tok := tg.APILogin("sys")
	testkit.WantProblem(t, "a client, for a department's folder, through the API", tg.API("POST", "/api/v1/restores", tok,
		map[string]string{"backup": deps, "path": "/departments/operaciones", "reason": "x", "requester": "carla"}), 403, "")
	if l := must(tg, "", "backup", "restore", "list"); strings.TrimSpace(l) != "" {
		t.Fatalf("refused requests were recorded:\n%s", l)
	}

	// Staff of Operaciones: everything of the department but the hidden folder.
	req := strings.TrimSpace(must(tg, "", "backup", "restore", "request", deps, "--path", "/departments/operaciones",
		"--reason", "se sobrescribió el reporte", "--as", "ana"))
	must(tg, testkit.Password+"\n", "backup", "restore", "approve", req, "--as", "olga", "--password-stdin")
	must(tg, "", "backup", "restore", "run", req, "--identity", idFile)
	ana := sftpOnceGranted(t, tg, "ana", req)
	base := "/restores/" + req + "/departments/operaciones"
	if got := string(readSFTP(t, ana, base+"/interno.txt")); got != "pedimentos internos" {
		t.Errorf("ana reads her department's restored file as %q", got)
	}
	if _, err := ana.Stat(base + "/privado/nomina.txt"); err == nil {
		t.Error("ana sees a restored file her rules hide in the original")
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "files", "restores", req, "departments", "operaciones", "privado")); err == nil {
		t.Error("a folder the requester may not read was restored")
	}

	// A client of ACME, for their own folder: its PDFs only.
	req = strings.TrimSpace(must(tg, "", "backup", "restore", "request", clients, "--path", "/clients/ACME",
		"--reason", "borré una factura", "--as", "carla"))
	must(tg, testkit.Password+"\n", "backup", "restore", "approve", req, "--as", "lucia", "--password-stdin")
	must(tg, "", "backup", "restore", "run", req, "--identity", idFile)
	carla := sftpOnceGranted(t, tg, "carla", req)
	base = "/restores/" + req + "/clients/ACME/2026"
	if got := string(readSFTP(t, carla, base+"/factura.pdf")); got != "%PDF-1.4 factura" {
		t.Errorf("carla reads her restored PDF as %q", got)
	}
	fis, err := carla.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range fis {
		names = append(names, fi.Name())
	}
	if !slices.Equal(names, []string{"factura.pdf"}) {
		t.Errorf("carla lists %q in her restored folder, want only the PDF", names)
	}
	if _, err := carla.Stat(base + "/notas.txt"); err == nil {
		t.Error("a client sees a restored .txt that clients never see")
	}
}

// A grant ends after backup.restore_grant_ttl: the server removes the
// requester's rules, marks the request expired and audits it; the
// request showed when it would expire.
func TestRestoreGrantExpires(t *testing.T) {
	t.Parallel()
	tg, idFile, deps, _ := restoreFixture(t, "CUSTODIA_BACKUP_RESTORE_GRANT_TTL=2s")
	req := strings.TrimSpace(must(tg, "", "backup", "restore", "request", deps, "--path", "/departments/operaciones",
		"--reason", "x", "--as", "ana"))
	must(tg, testkit.Password+"\n", "backup", "restore", "approve", req, "--as", "olga", "--password-stdin")
	must(tg, "", "backup", "restore", "run", req, "--identity", idFile)
	q, err := tg.Store().RestoreRequestByID(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if d := q.ExpiresAt.Sub(q.RestoredAt); d != 2*time.Second {
		t.Errorf("the grant expires %v after the run, want 2s", d)
	}
	if l := must(tg, "", "backup", "restore", "list"); !strings.Contains(l, "\t"+q.ExpiresAt.UTC().Format(time.RFC3339)+"\t") {
		t.Errorf("restore list does not show the expiry %s:\n%s", q.ExpiresAt, l)
	}
	if p := must(tg, "", "policy", "list"); !strings.Contains(p, "user:ana, /restores/"+req+"/**") {
		t.Fatalf("no grant after the run:\n%s", p)
	}

	deadline := time.Now().Add(15 * time.Second)
	for {
		q, err = tg.Store().RestoreRequestByID(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if q.Status == store.RestoreExpired || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if q.Status != store.RestoreExpired {
		t.Fatalf("15 s after a 2 s grant the request is %s", q.Status)
	}
	if p := must(tg, "", "policy", "list"); strings.Contains(p, "user:ana") {
		t.Errorf("the expired grant's rules are still there:\n%s", p)
	}
	if _, err := tg.SFTP("ana").Stat("/restores/" + req); err == nil {
		t.Error("ana still sees the restore after her grant expired")
	}
	if a := tg.AuditLog("ana", 20); !strings.Contains(a, "\tbackup.restore.expire\t") {
		t.Errorf("no audit row for the expiry:\n%s", a)
	}
}

// A pending request is rejected by the manager who approves it (not by
// another), cancelled by its requester or an admin (not by anyone else),
// and the API answers a new request with what it stored.
func TestRestoreRejectAndCancel(t *testing.T) {
	t.Parallel()
	tg, _, deps, _ := restoreFixture(t)
	request := func() string {
		t.Helper()
		return strings.TrimSpace(must(tg, "", "backup", "restore", "request", deps, "--path", "/departments/operaciones",
			"--reason", "x", "--as", "ana"))
	}
	signed := func(verb, req, who string) (string, error) {
		return cli(tg, testkit.Password+"\n", "backup", "restore", verb, req, "--as", who, "--password-stdin", "--note", "no")
	}

	req := request()
	if out, err := signed("reject", req, "mario"); err == nil {
		t.Errorf("the manager of trafico rejected a restore of operaciones: %s", out)
	}
	if out, err := signed("cancel", req, "tomas"); err == nil {
		t.Errorf("a staff member who did not ask cancelled the request: %s", out)
	}
	if out, err := signed("reject", req, "olga"); err != nil || !strings.Contains(out, "\trejected\t") {
		t.Fatalf("olga's rejection: %v %s", err, out)
	}
	if out, err := signed("approve", req, "olga"); err == nil {
		t.Errorf("a rejected request was approved: %s", out)
	}

	req = request()
	if out, err := signed("cancel", req, "ana"); err != nil || !strings.Contains(out, "\tcancelled\t") {
		t.Fatalf("ana cancelling her own request: %v %s", err, out)
	}

	tok := tg.APILogin("sys")
	r := tg.API("POST", "/api/v1/restores", tok, map[string]string{"backup": deps, "path": "/departments/operaciones",
		"reason": "x", "requester": "ana"})
	if r.Code != 201 {
		t.Fatalf("POST /api/v1/restores: %d %s", r.Code, r.Body)
	}
	body := r.JSON(t)
	created, err := time.Parse(time.RFC3339Nano, body["created_at"].(string))
	if body["status"] != store.RestoreRequested || err != nil || time.Since(created) > time.Minute || time.Since(created) < 0 {
		t.Errorf("POST /api/v1/restores answered status %v created_at %v, want the stored request", body["status"], body["created_at"])
	}
	id := body["id"].(string)
	if r := tg.API("POST", "/api/v1/restores/"+id+"/cancel", tok, map[string]string{"note": "ya no"}); r.Code != 200 ||
		r.JSON(t)["status"] != store.RestoreCancelled || r.JSON(t)["closed_by"] != "sys" {
		t.Fatalf("cancel through the API: %d %s", r.Code, r.Body)
	}
	testkit.WantProblem(t, "cancelled twice", tg.API("POST", "/api/v1/restores/"+id+"/cancel", tok, nil), 409, "")
	id = tg.API("POST", "/api/v1/restores", tok, map[string]string{"backup": deps, "path": "/departments/operaciones",
		"reason": "x", "requester": "ana"}).JSON(t)["id"].(string)
	if r := tg.API("POST", "/api/v1/restores/"+id+"/reject", tok, nil); r.Code != 200 || r.JSON(t)["status"] != store.RestoreRejected {
		t.Fatalf("reject through the API: %d %s", r.Code, r.Body)
	}
	audit := tg.AuditLog("", 60)
	for _, step := range []string{"backup.restore.reject", "backup.restore.cancel", "admin.restore.cancel", "admin.restore.reject"} {
		if !strings.Contains(audit, "\t"+step+"\t") {
			t.Errorf("no audit row for %s", step)
		}
	}
}
