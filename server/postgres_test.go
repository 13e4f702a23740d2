package server_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// A whole gateway runs on PostgreSQL: logins over SFTP, an upload and its
// download, their audit rows and outbox event, and a policy added and
// removed through the admin API that takes effect on the open session
// (hot reload from the policy revision in the database).
func TestGatewayOnPostgres(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.PostgresEnv(t))
	if !tg.Store().Postgres() {
		t.Fatal("CUSTODIA_DATABASE_URL=postgres://… did not put the store on PostgreSQL")
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "custodia.db")); err == nil {
		t.Error("a gateway on PostgreSQL made a SQLite database in its data dir")
	}
	tg.Fixture()

	const body = "informe de operaciones"
	ana := tg.SFTP("ana")
	f, err := ana.Create("/operaciones/informe.docx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("upload over SFTP on PostgreSQL: %v", err)
	}
	r, err := ana.Open("/operaciones/informe.docx")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(got) != body {
		t.Fatalf("download reads %q, %v; want %q", got, err, body)
	}
	var wrote, read bool
	for _, e := range tg.Audit("ANA", 20) {
		switch {
		case e.Action == "write" && e.VPath == "/operaciones/informe.docx" && e.SHA256 == sha256Hex(body) && e.Bytes == int64(len(body)):
			wrote = true
		case e.Action == "read" && e.VPath == "/operaciones/informe.docx" && e.Result == store.ResultOK:
			read = true
		}
	}
	if !wrote || !read {
		t.Errorf("ana's audit rows on PostgreSQL (write %v, read %v):\n%s", wrote, read, tg.AuditLog("ana", 20))
	}
	if n := outboxFor(t, tg.Store(), "/operaciones/informe.docx"); n["upload.completed"] != 1 {
		t.Errorf("the outbox holds %v for the upload, want one upload.completed", n)
	}

	// A correspondent may not download; a rule added through the API lets
	// juan's open session read, and its removal stops it again.
	juan := tg.SFTP("juan")
	canRead := func() bool {
		f, err := juan.Open("/ACME/2026/pedimento.pdf")
		if err != nil {
			return false
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		return err == nil && strings.HasPrefix(string(b), "%PDF")
	}
	if canRead() {
		t.Fatal("juan reads a dossier before any rule lets him")
	}
	tok := tg.APILogin("sys")
	rule := map[string]string{"subject": "user:juan", "object": "/dossiers/{client}/**", "actions": "read", "effect": "allow"}
	if r := tg.API("POST", "/api/v1/policies", tok, rule); r.Code != 201 {
		t.Fatalf("add a rule: %d %s", r.Code, r.Body)
	}
	if !canRead() {
		t.Error("the rule added through the API does not let juan's session read on PostgreSQL")
	}
	testkit.WantProblem(t, "the same rule again", tg.API("POST", "/api/v1/policies", tok, rule), 409, "rule")
	if r := tg.API("DELETE", "/api/v1/policies", tok, rule); r.Code != 204 {
		t.Fatalf("remove the rule: %d %s", r.Code, r.Body)
	}
	if canRead() {
		t.Error("juan still reads after the rule was removed")
	}
	if rows := tg.Audit("juan", 50); len(rows) == 0 {
		t.Error("juan's logins left no audit rows")
	}
}
