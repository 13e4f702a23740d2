package server_test

import (
	"errors"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestS3FilesTimes: with the files on S3, a client's change of a file's
// times (pkg/sftp setstat on a path and on an open upload, FTP MFMT,
// OpenSSH `sftp put -p`) answers success and stores nothing with
// storage.s3.times = "ignore" (the default), with no audit row; with
// "refuse" it answers unsupported. Either way a user without the right to
// change the file is denied, and the object keeps the time it was put.
func TestS3FilesTimes(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"ignore", "refuse"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			s3 := testkit.StartS3(t)
			env := s3.StorageEnv("custodia-files", "gw")
			if mode == "refuse" { // "ignore" is the default
				env = append(env, "CUSTODIA_STORAGE_S3_TIMES=refuse")
			}
			tg := testkit.Start(t, env...)
			g := &s3Gateway{Gateway: tg, s3: s3, bucket: "custodia-files", prefix: "gw/"}
			tg.AddClient("ACME", "Acme SA de CV")
			tg.AddUser(store.NewUser{Name: "juan", Role: store.RoleCorrespondent, Clients: []string{"ACME"}})
			checkS3Times(t, g, mode)
		})
	}
}

func checkS3Times(t *testing.T, g *s3Gateway, mode string) {
	ignore := mode == "ignore"
	when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	g.AddUser(store.NewUser{Name: "ana", Role: store.RoleStaff, Department: "operaciones"})
	sc := g.SFTP("ana")
	restoreWrite(t, sc, "/operaciones/a.docx", []byte("a"))
	outcome := func(what string, err error, unsupported func(error) bool) {
		t.Helper()
		switch {
		case ignore && err != nil:
			t.Errorf("%s with times ignored answered %v, want success", what, err)
		case !ignore && !unsupported(err):
			t.Errorf("%s with times refused answered %v, want unsupported", what, err)
		}
	}
	sftpUnsupported := func(err error) bool {
		var se *gosftp.StatusError
		return errors.As(err, &se) && se.FxCode() == gosftp.ErrSSHFxOpUnsupported
	}
	outcome("an SFTP setstat of times", sc.Chtimes("/operaciones/a.docx", when, when), sftpUnsupported)

	// On an upload still open (a setstat naming the file being written).
	f, err := sc.Create("/operaciones/b.docx")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("b"))
	outcome("an SFTP setstat of times on an open upload", sc.Chtimes("/operaciones/b.docx", when, when), sftpUnsupported)
	if err := f.Close(); err != nil {
		t.Fatalf("the upload whose times were set: %v", err)
	}

	fc := g.FTP("ana")
	ftpErr := fc.SetTime("/operaciones/a.docx", when)
	outcome("an FTP MFMT", ftpErr, func(err error) bool {
		var te *textproto.Error
		return errors.As(err, &te) && te.Code >= 500 && strings.Contains(te.Msg, "not supported")
	})

	// OpenSSH's put -p sets the times (and modes) of what it uploaded.
	sftpBin, err := exec.LookPath("sftp")
	sshKey, pub := newOpenSSHKey(t)
	if err == nil && sshKey != "" {
		g.AddUser(store.NewUser{Name: "luis", Role: store.RoleStaff, Department: "operaciones", Keys: []store.NewKey{pub}})
		out := openSSHBatch(t, g, sftpBin, sshKey, "luis", "put -p "+localFile(t, "kept.docx", "c", when)+" /operaciones/kept.docx\n")
		bad := strings.Contains(out, "setstat") // "remote fsetstat: Operation unsupported"
		if ignore && bad {
			t.Errorf("OpenSSH sftp put -p with times ignored reported an error:\n%s", out)
		}
		if !ignore && !bad {
			t.Errorf("OpenSSH sftp put -p with times refused reported no error:\n%s", out)
		}
		if got, err := g.object(t, "/departments/operaciones/kept.docx"); err != nil || got != "c" {
			t.Errorf("the file put with put -p reads %q, %v", got, err)
		}
	} else {
		t.Log("OpenSSH sftp or ssh-keygen is not installed: put -p not tried")
	}

	// Whatever the mode, what a user may not change is denied.
	restoreWrite(t, g.SFTP("juan"), "/ACME/x.pdf", []byte("%PDF-1.4 x"))
	if err := g.SFTP("juan").Chtimes("/ACME/x.pdf", when, when); !errors.Is(err, os.ErrPermission) {
		t.Errorf("a correspondent's setstat of times answered %v, want permission denied", err)
	}

	for _, name := range []string{"a.docx", "b.docx"} {
		if fi, err := g.SFTP("ana").Stat("/operaciones/" + name); err != nil || fi.ModTime().Year() == 2020 {
			t.Errorf("%s shows the time a client set (%v, %v): the object keeps the time it was put", name, fi, err)
		}
	}
	rows := g.Audit("", 200)
	if ignore && slices.ContainsFunc(rows, func(e store.AuditEntry) bool { return e.Action == "chtimes" && e.User != "juan" }) {
		t.Errorf("ignored time changes were audited:\n%s", g.AuditLog("", 200))
	}
}

// newOpenSSHKey makes an ed25519 key pair with ssh-keygen, when it is
// installed: the private key's file, and the public key to give a user.
func newOpenSSHKey(t *testing.T) (string, store.NewKey) {
	t.Helper()
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		return "", store.NewKey{}
	}
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	k, err := gateway.ParseKeyFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	return key, k
}

// localFile writes a local file dated when, for an upload.
func localFile(t *testing.T, name, content string, when time.Time) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, when, when); err != nil {
		t.Fatal(err)
	}
	return p
}

// openSSHBatch runs OpenSSH sftp as user with key on the batch commands,
// and returns what it printed.
func openSSHBatch(t *testing.T, g *s3Gateway, sftpBin, key, user, commands string) string {
	t.Helper()
	batch := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(batch, []byte(commands), 0o600); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(g.SFTPAddr)
	out, _ := exec.Command(sftpBin, "-b", batch, "-i", key, "-P", port,
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
		"-o", "IdentitiesOnly=yes", user+"@127.0.0.1").CombinedOutput()
	return string(out)
}
