package ftp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
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

// TestPassiveHandshakeBeforeTransferCommand: the server takes a passive
// data connection and completes its TLS handshake as soon as the client
// opens it, before the STOR that will use it arrives, so that the
// handshake overlaps the opening of the file (curl opens the data
// connection, then sends STOR). The upload that follows is complete.
func TestPassiveHandshakeBeforeTransferCommand(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.AddUser(store.NewUser{Name: "early", Role: store.RoleAdmin})
	r := tg.RawFTPConn(tg.FTPAddr, false)
	r.Login("early")
	dc, _ := r.Passive()
	defer dc.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := dc.(*tls.Conn).HandshakeContext(ctx); err != nil {
		t.Fatalf("the data connection's TLS handshake did not complete before STOR: %v", err)
	}
	r.Expect(150, "STOR /departments/operaciones/early.txt")
	body := []byte("sent on a data connection handshaken before its STOR\n")
	if _, err := dc.Write(body); err != nil {
		t.Fatal(err)
	}
	dc.Close()
	if code, msg := r.Reply(); code != 226 {
		t.Fatalf("upload: %d %s", code, msg)
	}
	got, err := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/early.txt"))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("the uploaded file holds %q (%v), want %q", got, err, body)
	}
}
