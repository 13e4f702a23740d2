package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
	"golang.org/x/crypto/ssh"
)

// While serve runs, a command typed in a new terminal (no settings but
// the data dir) runs in the server, with the server's configuration: a
// backup uses the recipients given to serve; a letter names the ports the
// server listens on; disabling a user ends its live SFTP session at once.
func TestCommandsRunInTheServer(t *testing.T) {
	t.Parallel()
	_, pub := backupKeys(t)
	tg := startGateway(t, "CUSTODIA_BACKUP_RECIPIENTS="+pub, "CUSTODIA_ORGANIZATION=Agencia Aduanal Querétaro")
	tg.Fixture()
	terminal := []string{"CUSTODIA_DATA_DIR=" + tg.DataDir}

	if out, err := runWith(terminal, "backup", "run", "database"); err != nil || !strings.Contains(out, "\tok\t") {
		t.Errorf("backup run from a terminal without the server's settings: %v\n%s", err, out)
	}
	if n := testkit.Metric(t, tg, "custodia_backup_runs_total", `job="database",kind="full",result="ok"`); n != 1 {
		t.Errorf("the server's metrics counted %v database backups, want the one run from the terminal", n)
	}
	if out, err := runWith(terminal, "check-config"); err != nil || strings.Contains(out, "Querétaro") {
		t.Errorf("check-config runs where it is typed, with that terminal's configuration: %v\n%s", err, out)
	}

	c := tg.SFTP("ana")
	if _, err := c.ReadDir("/operaciones"); err != nil {
		t.Fatal(err)
	}
	if out, err := runWith(terminal, "user", "disable", "ana"); err != nil || !strings.Contains(out, "live session(s) of ana ended") {
		t.Fatalf("user disable ana: %v\n%s", err, out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := c.ReadDir("/operaciones"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ana's SFTP session still works after user disable")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := tg.Dial("ana", testkit.Password); err == nil {
		t.Error("ana logs in after user disable")
	}
}

// The socket is the owner's only: mode 0600 in the data dir, gone with
// the server; a command after the server stopped runs here.
func TestManagementSocketIsOwnerOnly(t *testing.T) {
	t.Parallel()
	tg, stop := testkit.RestartableWith(t, manager(), testkit.Env(t.TempDir()), true)
	sock := filepath.Join(tg.DataDir, "custodia.sock")
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the management socket %s: %v %v, want a socket with mode 0600", sock, fi, err)
	}
	stop()
	if out, err := cli(tg, "", "user", "list"); err != nil || !strings.HasPrefix(out, "admin\t") {
		t.Errorf("user list with the server stopped: %v\n%s", err, out)
	}
}

// Changes made with the command line are audited like the API's, naming
// the operating-system account that made them, with a server running or
// not.
func TestCommandLineChangesAreAudited(t *testing.T) {
	t.Parallel()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	actor := "os:" + me.Username
	tg, stop := testkit.RestartableWith(t, manager(), testkit.Env(t.TempDir()), true)
	tg.Fixture()
	must(tg, "", "client", "add", "gamma", "--name", "Gamma SA") // in the server
	must(tg, "", "user", "disable", "ana")
	must(tg, "", "policy", "add", "staff", "/departments/trafico/**", "read", "allow")
	stop()
	must(tg, "", "user", "enable", "ana") // here, under the lock
	must(tg, "", "user", "delete", "tomas")
	out := must(tg, "", "audit", "--user", actor) // the server is stopped: the command reads the store
	for _, want := range []string{"\tcli\t-\tadmin.client.create\t/api/v1/clients/GAMMA\t", "\tadmin.user.update\t/api/v1/users/ana\t",
		"\tadmin.user.delete\t/api/v1/users/tomas\t", "\tadmin.policy.add\t/api/v1/policies\t"} {
		if !strings.Contains(out, want) {
			t.Errorf("the audit trail of %s lacks %q:\n%s", actor, want, out)
		}
	}
	if n := strings.Count(out, "admin.user.update\t/api/v1/users/ana"); n != 2 {
		t.Errorf("ana's disable and enable wrote %d rows, want 2:\n%s", n, out)
	}
}

// A manager signing an approval on the command line goes through the one
// password check every approval uses: a wrong password is a failed auth
// row for the approval (protocol cli), not a login, and counts towards the
// server's defender like a failed login.
func TestCommandLineSignaturesAreAuthenticated(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, "CUSTODIA_DEFENDER_MAX_FAILURES=2")
	tg.Fixture()
	for range 2 {
		out, err := cli(tg, "not-the-password\n", "backup", "restore", "approve", "r-x", "--as", "mario", "--password-stdin")
		if err == nil || !strings.Contains(err.Error(), "r-x: not found") { // whatever the password: no oracle
			t.Fatalf("an approval signed with a wrong password: %v\n%s", err, out)
		}
	}
	log := tg.AuditLog("mario", 100)
	if n := strings.Count(log, "\tcli\t-\tauth\t-\tbackup.restore.approve\t0\t-\tfailed\t"); n != 2 ||
		!strings.Contains(log, "wrong password") || strings.Contains(log, "\tlogin\t") {
		t.Errorf("two wrong signatures wrote %d failed cli auth rows, want 2 naming the cause and no login:\n%s", n, log)
	}
	if !strings.Contains(log, "address banned") {
		t.Errorf("the defender did not count the wrong signatures:\n%s", log)
	}
	// The right password is refused too once the defender banned the
	// command line's attempts.
	if _, err := cli(tg, testkit.Password+"\n", "backup", "restore", "approve", "r-x", "--as", "mario", "--password-stdin"); err == nil {
		t.Error("an approval after the ban succeeded")
	}
	if log := tg.AuditLog("mario", 100); !strings.Contains(log, "failed\tpassword: address banned by the defender") {
		t.Errorf("the right password after the ban is not a failed auth row:\n%s", log)
	}
}

// Credentials do not outlive the change that should end them: a password
// reset or a disable on the command line revokes the user's admin API
// tokens, and enabling the account brings none back.
func TestCommandLineChangesEndAdminTokens(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "sys2", Role: store.RoleAdmin})
	works := func(tok string) bool {
		t.Helper()
		return tg.API("GET", "/api/v1/users", tok, nil).Code == 200
	}
	tok := tg.APILogin("sys2")
	if !works(tok) {
		t.Fatal("a fresh token does not work")
	}
	must(tg, "", "user", "disable", "sys2")
	must(tg, "", "user", "enable", "sys2")
	if works(tok) {
		t.Error("a token from before a disable works again after enable")
	}
	tok = tg.APILogin("sys2")
	must(tg, testkit.Password+"\n", "user", "passwd", "sys2", "--password-stdin")
	if works(tok) {
		t.Error("a token from before a password reset still works")
	}
}

// A start that fails (a port in use) creates no admin and shows no
// password: the first admin comes once every listener is bound.
func TestFailedStartCreatesNoAdmin(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	env := testkit.Env(dir, "CUSTODIA_ADMIN_LISTEN="+busy.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // serve stops then if it ever starts
	defer cancel()
	var out bytes.Buffer
	root := newRoot(strings.NewReader(""), &out, &out, env)
	root.SetArgs([]string{"serve"})
	if err := root.ExecuteContext(ctx); err == nil || !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Fatalf("serve with the admin port in use: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "password") {
		t.Errorf("a failed start printed a password:\n%s", out.String())
	}
	if got, err := runWith(env, "user", "list"); err != nil || strings.TrimSpace(got) != "" {
		t.Errorf("after a failed start, user list: %v\n%s", err, got)
	}
}

// Keys and bans have commands of their own, carried out by the server:
// a key added from a terminal logs in at once; a removed one ends the
// session it opened; the defender's bans are listed and lifted.
func TestKeyAndBanCommands(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, "CUSTODIA_DEFENDER_MAX_FAILURES=2")
	tg.Fixture()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "k.pub")
	os.WriteFile(pub, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600)
	terminal := []string{"CUSTODIA_DATA_DIR=" + tg.DataDir}
	wd, _ := os.Getwd()
	rel, _ := filepath.Rel(wd, pub) // a relative path is the terminal's, not the server's
	if out, err := runWith(terminal, "user", "key", "add", "pub", "--key", rel); err != nil {
		t.Fatalf("user key add: %v\n%s", err, out)
	}
	conn, err := ssh.Dial("tcp", tg.SFTPAddr, &ssh.ClientConfig{User: "pub", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("the added key does not log in: %v", err)
	}
	defer conn.Close()
	fp := ssh.FingerprintSHA256(signer.PublicKey())
	testkit.WaitFor(t, 5*time.Second, "pub's session is not listed", func() bool {
		return slices.ContainsFunc(tg.Server.Core().Sessions(), func(s gateway.SessionInfo) bool { return s.User == "pub" })
	})
	out, err := runWith(terminal, "user", "key", "remove", "pub", fp)
	if err != nil || !strings.Contains(out, "removed") {
		t.Fatalf("user key remove: %v\n%s", err, out)
	}
	if _, _, err := conn.SendRequest("keepalive@openssh.com", true, nil); err == nil {
		deadline := time.Now().Add(5 * time.Second)
		for err == nil && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			_, _, err = conn.SendRequest("keepalive@openssh.com", true, nil)
		}
		if err == nil {
			t.Error("the session opened with a removed key still runs")
		}
	}

	for range 2 {
		tg.Dial("ana", "wrong")
	}
	out, err = runWith(terminal, "ban", "list")
	if err != nil || !strings.HasPrefix(out, "127.0.0.1\t127.0.0.1/32\t") {
		t.Fatalf("ban list after two failures (want the address, then the network it covers): %v\n%s", err, out)
	}
	if out, err := runWith(terminal, "ban", "lift", "127.0.0.1"); err != nil || !strings.Contains(out, "lifted") {
		t.Fatalf("ban lift: %v\n%s", err, out)
	}
	if c, err := tg.Dial("ana", testkit.Password); err != nil {
		t.Errorf("ana cannot log in after the ban was lifted: %v", err)
	} else {
		c.Close()
	}
	if out, err := runWith(terminal, "ban", "lift", "127.0.0.1"); err == nil {
		t.Errorf("lifting a ban that is not there succeeded:\n%s", out)
	}
}
