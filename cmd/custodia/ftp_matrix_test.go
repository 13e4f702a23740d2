package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/jlaffaye/ftp"
)

// applyFTP performs one row of the role matrix over FTPS.
func applyFTP(c *ftp.ServerConn, r matrixRow) error {
	switch r.op {
	case "ls":
		_, err := c.List(r.vpath)
		return err
	case "stat":
		_, err := c.GetEntry(r.vpath)
		return err
	case "get":
		resp, err := c.Retr(r.vpath)
		if err != nil {
			return err
		}
		_, err = io.ReadAll(resp)
		if cerr := resp.Close(); err == nil {
			err = cerr
		}
		return err
	case "put":
		return c.Stor(r.vpath, strings.NewReader("%PDF-1.4 uploaded by "+r.user))
	case "mkdir":
		return c.MakeDir(r.vpath)
	case "rm":
		return c.Delete(r.vpath)
	case "rmdir":
		return c.RemoveDir(r.vpath)
	case "rename":
		return c.Rename(r.vpath, r.target)
	}
	return errors.New("unknown op " + r.op)
}

func TestRoleMatrixOverFTPS(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	clients := map[string]*ftp.ServerConn{}
	for _, r := range roleMatrix {
		c := clients[r.user]
		if c == nil {
			c = tg.ftp(r.user)
			clients[r.user] = c
		}
		if got := ftpOutcome(applyFTP(c, r)); got != r.want {
			t.Errorf("%s %s %s %s over FTPS: got %s, want %s", r.user, r.op, r.vpath, r.target, got, r.want)
		}
	}
	out := tg.must("", "audit", "--user", "juan", "--limit", "1000")
	if !strings.Contains(out, "ftp") || !strings.Contains(out, "overwrite\t/ACME/2026/pedimento.pdf") {
		t.Errorf("juan's denied overwrite over FTPS is not in the audit trail:\n%s", out)
	}
}

// A client sees only its PDFs in listings, as over SFTP.
func TestFTPSListingShowsOnlyWhatTheRoleMaySee(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	c := tg.ftp("carla")
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
