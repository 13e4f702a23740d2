package ftp_test

import (
	"testing"
	"time"

	"github.com/oaq/custodia/gateway/ftp"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestPassiveReplyIsPaced: curl 7.88 waits 1 s before opening the data
// connection when the reply to EPSV or PASV arrives within microseconds of
// the command (see passive.go), so every such reply comes no sooner than
// ftp.PassivePace after its command.
func TestPassiveReplyIsPaced(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.AddUser(store.NewUser{Name: "pace", Role: store.RoleAdmin})
	r := tg.RawFTPConn(tg.FTPAddr, false)
	r.Login("pace")
	for i := range 10 {
		cmd, want := "EPSV", 229
		if i%2 == 1 {
			cmd, want = "PASV", 227
		}
		start := time.Now()
		code, msg := r.Cmd("%s", cmd)
		took := time.Since(start)
		if code != want {
			t.Fatalf("%s: %d %s", cmd, code, msg)
		}
		if took < ftp.PassivePace {
			t.Errorf("the reply to %s came %s after it, before the %s curl needs", cmd, took, ftp.PassivePace)
		}
	}
}
