package ftp_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/jlaffaye/ftp"

	"github.com/oaq/custodia/internal/testkit"
)

// applyFTP performs one row of the role matrix over FTPS.
func applyFTP(c *ftp.ServerConn, r testkit.MatrixRow) error {
	switch r.Op {
	case "ls":
		_, err := c.List(r.VPath)
		return err
	case "stat":
		_, err := c.GetEntry(r.VPath)
		return err
	case "get":
		resp, err := c.Retr(r.VPath)
		if err != nil {
			return err
		}
		_, err = io.ReadAll(resp)
		if cerr := resp.Close(); err == nil {
			err = cerr
		}
		return err
	case "put":
		return c.Stor(r.VPath, strings.NewReader("%PDF-1.4 uploaded by "+r.User))
	case "mkdir":
		return c.MakeDir(r.VPath)
	case "rm":
		return c.Delete(r.VPath)
	case "rmdir":
		return c.RemoveDir(r.VPath)
	case "rename":
		return c.Rename(r.VPath, r.Target)
	}
	return errors.New("unknown op " + r.Op)
}

func TestRoleMatrixOverFTPS(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	clients := map[string]*ftp.ServerConn{}
	for _, r := range testkit.RoleMatrix() {
		c := clients[r.User]
		if c == nil {
			c = tg.FTP(r.User)
			clients[r.User] = c
		}
		if got := testkit.FTPOutcome(applyFTP(c, r)); got != r.Want {
			t.Errorf("%s %s %s %s over FTPS: got %s, want %s", r.User, r.Op, r.VPath, r.Target, got, r.Want)
		}
	}
	out := tg.AuditLog("juan", 1000)
	if !strings.Contains(out, "ftp") || !strings.Contains(out, "overwrite\t/ACME/2026/pedimento.pdf") {
		t.Errorf("juan's denied overwrite over FTPS is not in the audit trail:\n%s", out)
	}
}

// A client sees only its PDFs in listings, as over SFTP.
func TestFTPSListingShowsOnlyWhatTheRoleMaySee(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.FTP("carla")
	entries, err := c.List("/ACME/2026")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "factura.pdf" {
		t.Errorf("carla's listing of /ACME/2026 is %v, want only factura.pdf", names)
	}
	names, err = c.NameList("/")
	if err != nil || strings.Join(names, ",") != "ACME" {
		t.Errorf("carla's NLST / is %v (%v), want ACME", names, err)
	}
	var buf bytes.Buffer
	resp, err := c.Retr("/ACME/2026/factura.pdf")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(&buf, resp)
	resp.Close()
	if buf.String() != "%PDF-1.4 factura" {
		t.Errorf("carla downloaded %q", buf.String())
	}
}
