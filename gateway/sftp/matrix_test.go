package sftp_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
)

// apply performs one row's operation over SFTP.
func apply(c *gosftp.Client, r testkit.MatrixRow) error {
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

func TestRoleMatrixOverSFTP(t *testing.T) {
	t.Parallel()
	if len(testkit.RoleMatrix()) < 40 {
		t.Fatalf("the role matrix has %d rows, want at least 40", len(testkit.RoleMatrix()))
	}
	tg := testkit.Start(t)
	tg.Fixture()
	clients := map[string]*gosftp.Client{}
	for _, r := range testkit.RoleMatrix() {
		c := clients[r.User]
		if c == nil {
			c = tg.SFTP(r.User)
			clients[r.User] = c
		}
		if got := testkit.SFTPOutcome(apply(c, r)); got != r.Want {
			t.Errorf("%s %s %s %s: got %s, want %s", r.User, r.Op, r.VPath, r.Target, got, r.Want)
		}
	}
	// Denials are audited with their reason.
	out := tg.AuditLog("juan", 1000)
	if !strings.Contains(out, "overwrite\t/ACME/2026/pedimento.pdf") || !strings.Contains(out, "denied\tno rule allows it") {
		t.Errorf("juan's denied overwrite is not in the audit trail:\n%s", out)
	}
}
