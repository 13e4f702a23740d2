package main

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	gosftp "github.com/pkg/sftp"
)

// MatrixRow is one expectation of the role matrix: what a user gets for
// an operation on a virtual path, and the authz request behind it.
type MatrixRow struct {
	User   string
	Op     string // ls, stat, get, put, mkdir, rm, rmdir, rename
	VPath  string
	Target string // rename only
	Want   string // ok, denied, notfound
	Action string // for `policy test`
	SPath  string // storage path for `policy test`
}

// RoleMatrix runs in order: earlier rows create what later rows see.
var RoleMatrix = []MatrixRow{
	{"carla", "ls", "/ACME/2026", "", "ok", "list", "/clients/ACME/2026/"},
	{"carla", "get", "/ACME/2026/factura.pdf", "", "ok", "read", "/clients/ACME/2026/factura.pdf"},
	{"carla", "get", "/ACME/2026/notas.txt", "", "notfound", "read", "/clients/ACME/2026/notas.txt"},
	{"carla", "stat", "/ACME/2026/notas.txt", "", "notfound", "list", "/clients/ACME/2026/notas.txt"},
	{"carla", "put", "/ACME/2026/new.pdf", "", "denied", "write", "/clients/ACME/2026/new.pdf"},
	{"carla", "rm", "/ACME/2026/factura.pdf", "", "denied", "delete", "/clients/ACME/2026/factura.pdf"},
	{"carla", "mkdir", "/ACME/2027", "", "denied", "mkdir", "/clients/ACME/2027/"},
	{"carla", "ls", "/BETA", "", "notfound", "list", "/clients/BETA/"},
	{"carla", "rename", "/ACME/2026/factura.pdf", "/ACME/2026/f2.pdf", "denied", "rename", "/clients/ACME/2026/factura.pdf"},
	{"juan", "ls", "/ACME", "", "ok", "list", "/dossiers/ACME/"},
	{"juan", "put", "/ACME/2026/nuevo.pdf", "", "ok", "write", "/dossiers/ACME/2026/nuevo.pdf"},
	{"juan", "put", "/ACME/2026/pedimento.pdf", "", "denied", "overwrite", "/dossiers/ACME/2026/pedimento.pdf"},
	{"juan", "get", "/ACME/2026/pedimento.pdf", "", "denied", "read", "/dossiers/ACME/2026/pedimento.pdf"},
	{"juan", "rm", "/ACME/2026/pedimento.pdf", "", "denied", "delete", "/dossiers/ACME/2026/pedimento.pdf"},
	{"juan", "rename", "/ACME/2026/pedimento.pdf", "/ACME/2026/p2.pdf", "denied", "rename", "/dossiers/ACME/2026/pedimento.pdf"},
	{"juan", "mkdir", "/ACME/2027", "", "ok", "mkdir", "/dossiers/ACME/2027/"},
	{"juan", "rmdir", "/ACME/2027", "", "denied", "delete", "/dossiers/ACME/2027/"},
	{"juan", "ls", "/BETA", "", "notfound", "list", "/dossiers/BETA/"},
	{"juan", "put", "/BETA/x.pdf", "", "notfound", "write", "/dossiers/BETA/x.pdf"},
	{"ana", "ls", "/operaciones", "", "ok", "list", "/departments/operaciones/"},
	{"ana", "get", "/operaciones/reporte.xlsx", "", "ok", "read", "/departments/operaciones/reporte.xlsx"},
	{"ana", "put", "/operaciones/nuevo.docx", "", "ok", "write", "/departments/operaciones/nuevo.docx"},
	{"ana", "put", "/operaciones/setup.exe", "", "denied", "write", "/departments/operaciones/setup.exe"},
	{"ana", "put", "/operaciones/reporte.xlsx", "", "ok", "overwrite", "/departments/operaciones/reporte.xlsx"},
	{"ana", "rename", "/operaciones/nuevo.docx", "/operaciones/final.docx", "ok", "rename", "/departments/operaciones/nuevo.docx"},
	{"ana", "rm", "/operaciones/final.docx", "", "ok", "delete", "/departments/operaciones/final.docx"},
	{"ana", "get", "/dossiers/ACME/2026/pedimento.pdf", "", "ok", "read", "/dossiers/ACME/2026/pedimento.pdf"},
	{"ana", "put", "/dossiers/ACME/2026/z.pdf", "", "denied", "write", "/dossiers/ACME/2026/z.pdf"},
	{"ana", "ls", "/trafico", "", "notfound", "list", "/departments/trafico/"},
	{"tomas", "get", "/trafico/guia.docx", "", "ok", "read", "/departments/trafico/guia.docx"},
	{"tomas", "ls", "/dossiers", "", "notfound", "list", "/dossiers/"},
	{"tomas", "put", "/trafico/song.MP3", "", "denied", "write", "/departments/trafico/song.MP3"},
	{"mario", "put", "/trafico/plan.docx", "", "ok", "write", "/departments/trafico/plan.docx"},
	{"mario", "rm", "/trafico/plan.docx", "", "ok", "delete", "/departments/trafico/plan.docx"},
	{"mario", "get", "/operaciones/reporte.xlsx", "", "notfound", "read", "/departments/operaciones/reporte.xlsx"},
	{"pub", "ls", "/BETA", "", "ok", "list", "/clients/BETA/"},
	{"pub", "put", "/BETA/2026.pdf", "", "ok", "write", "/clients/BETA/2026.pdf"},
	{"pub", "put", "/ACME/2026/factura.pdf", "", "ok", "overwrite", "/clients/ACME/2026/factura.pdf"},
	{"pub", "put", "/ACME/x.txt", "", "denied", "write", "/clients/ACME/x.txt"},
	{"pub", "rm", "/ACME/2026/factura.pdf", "", "denied", "delete", "/clients/ACME/2026/factura.pdf"},
	{"pub", "mkdir", "/BETA/2027", "", "ok", "mkdir", "/clients/BETA/2027/"},
	{"sys", "get", "/clients/ACME/2026/notas.txt", "", "ok", "read", "/clients/ACME/2026/notas.txt"},
	{"sys", "put", "/departments/trafico/tool.exe", "", "ok", "write", "/departments/trafico/tool.exe"},
	{"sys", "rm", "/departments/trafico/tool.exe", "", "ok", "delete", "/departments/trafico/tool.exe"},
	{"sys", "mkdir", "/dossiers/BETA/nuevo", "", "ok", "mkdir", "/dossiers/BETA/nuevo/"},
	{"sys", "rename", "/dossiers/BETA/x.pdf", "/clients/BETA/x.pdf", "ok", "rename", "/dossiers/BETA/x.pdf"},
}

// apply performs one row's operation over SFTP.
func apply(c *gosftp.Client, r MatrixRow) error {
	switch r.Op {
	case "ls":
		_, err := c.ReadDir(r.VPath)
		return err
	case "stat":
		_, err := c.Stat(r.VPath)
		return err
	case "get":
		f, err := c.Open(r.VPath)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.ReadAll(f)
		return err
	case "put":
		f, err := c.Create(r.VPath)
		if err != nil {
			return err
		}
		if _, err := f.Write([]byte("%PDF-1.4 uploaded by " + r.User)); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	case "mkdir":
		return c.Mkdir(r.VPath)
	case "rm":
		return c.Remove(r.VPath)
	case "rmdir":
		return c.RemoveDirectory(r.VPath)
	case "rename":
		return c.Rename(r.VPath, r.Target)
	}
	return errors.New("unknown op " + r.Op)
}

func Outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, os.ErrNotExist):
		return "notfound"
	case errors.Is(err, os.ErrPermission):
		return "denied"
	}
	return "error: " + err.Error()
}

func TestRoleMatrixOverSFTP(t *testing.T) {
	if len(RoleMatrix) < 40 {
		t.Fatalf("the role matrix has %d rows, want at least 40", len(RoleMatrix))
	}
	tg := Start(t)
	tg.Fixture()
	clients := map[string]*gosftp.Client{}
	for _, r := range RoleMatrix {
		c := clients[r.User]
		if c == nil {
			c = tg.SFTP(r.User)
			clients[r.User] = c
		}
		if got := Outcome(apply(c, r)); got != r.Want {
			t.Errorf("%s %s %s %s: got %s, want %s", r.User, r.Op, r.VPath, r.Target, got, r.Want)
		}
	}
	// Denials are audited with their reason.
	out := tg.must("", "audit", "--user", "juan", "--limit", "1000")
	if !strings.Contains(out, "overwrite\t/ACME/2026/pedimento.pdf") || !strings.Contains(out, "denied\tno rule allows it") {
		t.Errorf("juan's denied overwrite is not in the audit trail:\n%s", out)
	}
}

func TestRoleMatrixAgainstPolicyTest(t *testing.T) {
	tg := Start(t, "CUSTODIA_SFTP_LISTEN=off")
	tg.Fixture()
	for _, r := range RoleMatrix {
		out := tg.must("", "policy", "test", r.User, r.Action, r.SPath)
		want := "deny\t"
		if r.Want == "ok" {
			want = "allow\tp, "
		}
		if !strings.HasPrefix(out, want) {
			t.Errorf("policy test %s %s %s = %q, want a line starting %q", r.User, r.Action, r.SPath, out, want)
		}
	}
}
