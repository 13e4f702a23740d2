package sftp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

func TestLoginFailureMessagesIdentical(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_ENABLED=false")
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "off", Role: store.RoleStaff, Department: "trafico"})
	if err := tg.Store().SetStatus(context.Background(), "off", store.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	expired := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	tg.AddUser(store.NewUser{Name: "old", Role: store.RoleStaff, Department: "trafico", ExpiresAt: &expired})
	tg.AddUser(store.NewUser{Name: "far", Role: store.RoleStaff, Department: "trafico",
		AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}})
	causes := map[string][2]string{
		"unknown user":    {"nobody", testkit.Password},
		"wrong password":  {"ana", testkit.Password + "x"},
		"disabled user":   {"off", testkit.Password},
		"expired user":    {"old", testkit.Password},
		"address refused": {"far", testkit.Password},
	}
	var first string
	for cause, cred := range causes {
		_, err := tg.Dial(cred[0], cred[1])
		if err == nil {
			t.Fatalf("login with %s succeeded", cause)
		}
		msg := err.Error()
		if first == "" {
			first = msg
		}
		if msg != first {
			t.Errorf("login failure for %s answers %q, unlike %q", cause, msg, first)
		}
	}
	audit := tg.AuditLog("", 1000)
	for _, reason := range []string{"unknown user", "wrong password", "account disabled", "account expired", "not allowed"} {
		if !strings.Contains(audit, reason) {
			t.Errorf("the audit trail does not name the cause %q:\n%s", reason, audit)
		}
	}
	if strings.Contains(audit, testkit.Password) {
		t.Error("a password reached the audit trail")
	}
}

func TestDefenderBansAfterFailuresAndLetsBanExpire(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_MAX_FAILURES=3", "CUSTODIA_DEFENDER_BAN_TIME=1s")
	tg.Fixture()
	for range 3 {
		if _, err := tg.Dial("ana", "Wrong-password-123"); err == nil {
			t.Fatal("a wrong password logged in")
		}
	}
	if c, err := tg.Dial("ana", testkit.Password); err == nil {
		c.Close()
		t.Fatal("a banned address logged in with the right password")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := tg.Dial("ana", testkit.Password)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ban never expired: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if audit := tg.AuditLog("ana", 100); !strings.Contains(audit, "address banned") {
		t.Errorf("the ban is not in the audit trail:\n%s", audit)
	}
}

func TestAbortedUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c, nc := tg.RawSFTP("juan")
	f, err := c.Create("/ACME/2026/grande.pdf")
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 256<<10)
	rand.Read(chunk)
	for range 8 {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	nc.Close() // the client dies mid-transfer, without closing the file
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(tg.AuditLog("juan", 100), "transfer aborted") {
		if time.Now().After(deadline) {
			t.Fatal("the aborted upload was never audited as failed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "files/dossiers/ACME/2026/grande.pdf")); !os.IsNotExist(err) {
		t.Errorf("an aborted upload is visible at its target (stat err %v)", err)
	}
	left, _ := os.ReadDir(filepath.Join(tg.DataDir, "files/.incoming"))
	if len(left) != 0 {
		t.Errorf("an aborted upload left %d file(s) in .incoming", len(left))
	}
}

func TestCompletedUploadIsAuditedWithSizeAndSHA256(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.SFTP("juan")
	data := bytes.Repeat([]byte("pedimento "), 100_000)
	f, err := c.Create("/ACME/2026/lote.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(tg.DataDir, "files/dossiers/ACME/2026/lote.pdf"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the uploaded file on disk differs from what was sent (err %v)", err)
	}
	// sha256 of the data, computed independently
	want := testkit.SHA256Hex(data)
	audit := tg.AuditLog("juan", 100)
	if !strings.Contains(audit, "1000000\t"+want+"\tok") {
		t.Errorf("the audit trail lacks the upload's size and sha256 %s:\n%s", want, audit)
	}
}

func TestOnlyTheSFTPSubsystem(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	conn, err := tg.Dial("sys", testkit.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, try := range []func() error{
		func() error { s, _ := conn.NewSession(); defer s.Close(); return s.Run("id") },
		func() error { s, _ := conn.NewSession(); defer s.Close(); return s.Shell() },
		func() error { s, _ := conn.NewSession(); defer s.Close(); return s.RequestSubsystem("netconf") },
	} {
		if err := try(); err == nil {
			t.Error("the server accepted a shell, exec or another subsystem")
		}
	}
	if _, err := conn.Dial("tcp", "127.0.0.1:9"); err == nil {
		t.Error("the server opened a direct-tcpip forward")
	}
	if _, err := conn.Listen("tcp", "127.0.0.1:0"); err == nil {
		t.Error("the server accepted a remote port forward")
	}
}

func TestIdleConnectionIsClosed(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_SFTP_IDLE_TIMEOUT=300ms")
	tg.Fixture()
	c := tg.SFTP("ana")
	if _, err := c.ReadDir("/operaciones"); err != nil {
		t.Fatalf("a fresh session cannot list: %v", err)
	}
	time.Sleep(time.Second)
	if _, err := c.ReadDir("/operaciones"); err == nil {
		t.Error("a session idle for longer than sftp.idle_timeout still works")
	}
}
