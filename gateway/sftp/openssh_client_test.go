package sftp_test

import (
	"net"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/internal/yardstick"
	"github.com/oaq/custodia/store"
)

// clientKey makes an ed25519 key in dir for OpenSSH's client and returns
// it with the key to give the user it logs in as.
func clientKey(tb testing.TB, dir string) (*yardstick.SSHKey, store.NewKey) {
	tb.Helper()
	key, err := yardstick.NewSSHKey(filepath.Join(dir, "id_ed25519"))
	if err != nil {
		tb.Fatal(err)
	}
	k, err := gateway.ParseKeyFile(key.AuthorizedKey)
	if err != nil {
		tb.Fatal(err)
	}
	return key, k
}

// sftpClient is OpenSSH's sftp logging in to tg's SFTP listener as user
// with key, its files in dir.
func sftpClient(tg *testkit.Gateway, user string, key *yardstick.SSHKey, dir string) *yardstick.SFTPClient {
	_, port, _ := net.SplitHostPort(tg.SFTPAddr)
	p, _ := strconv.Atoi(port)
	return &yardstick.SFTPClient{Port: p, User: user, Key: key.File, Dir: dir}
}

// processCPU is the CPU time (user and system) this process used so far:
// with OpenSSH's client in a process of its own, the in-process server's.
func processCPU() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(syscall.TimevalToNsec(u.Utime) + syscall.TimevalToNsec(u.Stime))
}
