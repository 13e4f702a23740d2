package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// run runs a custodia command in-process with environ, as a new terminal
// would, and returns everything it printed.
func run(environ []string, stdin string, args ...string) (string, error) {
	var out bytes.Buffer
	root := newRoot(strings.NewReader(stdin), &out, &out, environ)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// A typo in --data names a folder with no store: every command but serve
// and init says where it looked, and creates nothing there.
func TestCommandsNeedADataDir(t *testing.T) {
	t.Parallel()
	typo := filepath.Join(t.TempDir(), "custodia-dta")
	for _, args := range [][]string{
		{"user", "list"}, {"client", "add", "ACME", "--name", "Acme"}, {"policy", "list"}, {"audit"},
		{"backup", "list"}, {"user", "add", "x", "--role", "admin"},
	} {
		out, err := run(nil, "", append([]string{"--data", typo}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "no custodia data dir at "+typo) || !strings.Contains(err.Error(), "--data") {
			t.Errorf("custodia %s on a folder without a store: err %v, want one naming %s and how to point elsewhere\n%s",
				strings.Join(args, " "), err, typo, out)
		}
		if _, err := os.Stat(typo); err == nil {
			t.Fatalf("custodia %s created %s", strings.Join(args, " "), typo)
		}
	}
}

// A second serve on a data dir in use exits at once naming the lock and
// the pid that holds it; init refuses too; once the first stops, serve
// starts again.
func TestOneServerPerDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tg, stop := testkit.RestartableWith(t, manager(), testkit.Env(dir), true)
	_, err := testkit.StartServer(testkit.Env(dir), &bytes.Buffer{})
	lock := filepath.Join(dir, "custodia.lock")
	if err == nil || !strings.Contains(err.Error(), lock) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("a second server on %s: err %v, want one naming %s and pid %d", dir, err, lock, os.Getpid())
	}
	if out, err := run(tg.Environ, "", "init"); err == nil || !strings.Contains(err.Error(), lock) {
		t.Errorf("init while serve runs: err %v, want the lock named\n%s", err, out)
	}
	stop()
	testkit.RestartableWith(t, manager(), testkit.Env(dir), false)
}

// init makes a data dir ready: store, keys, the first admin's password
// printed once; a second init changes nothing and prints no password.
func TestInitMakesADataDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nuevo")
	env := []string{"CUSTODIA_DATA_DIR=" + dir}
	out, err := run(env, "", "init")
	if err != nil || !strings.Contains(out, "created the first user, admin, with password: ") {
		t.Fatalf("init: %v\n%s", err, out)
	}
	for _, f := range []string{"custodia.db", "keys/ssh_host_ed25519_key", "keys/tls.crt", "keys/tls.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("init left no %s: %v", f, err)
		}
	}
	if out, err := run(env, "", "user", "list"); err != nil || !strings.HasPrefix(out, "admin\tadmin") {
		t.Errorf("user list after init: %v\n%s", err, out)
	}
	if out, err := run(env, "", "init"); err != nil || strings.Contains(out, "password") {
		t.Errorf("a second init: %v, and it printed\n%s", err, out)
	}
}

// Every command resolves the same configuration: custodia.toml in the
// data dir when nothing else names a file, and check-config says which
// file and which variables it used.
func TestCommandsReadTheDataDirsConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if out, err := run([]string{"CUSTODIA_DATA_DIR=" + dir}, "", "init"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "custodia.toml")
	if err := os.WriteFile(file, []byte("organization = \"Agencia Aduanal Querétaro\"\n[sftp]\nlisten = \"127.0.0.1:2299\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run([]string{"CUSTODIA_DATA_DIR=" + dir, "CUSTODIA_LOG_LEVEL=warn", "HOME=/root"}, "", "check-config")
	if err != nil {
		t.Fatalf("check-config: %v\n%s", err, out)
	}
	for _, want := range []string{"# file: " + file, "# environment: CUSTODIA_DATA_DIR CUSTODIA_LOG_LEVEL\n",
		"organization = Agencia Aduanal Querétaro", "sftp.listen = 127.0.0.1:2299", "log_level = warn"} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config does not say %q:\n%s", want, out)
		}
	}
	// --data names the same dir: the same file is read.
	out, err = run(nil, "", "--data", dir, "check-config")
	if err != nil || !strings.Contains(out, "sftp.listen = 127.0.0.1:2299") {
		t.Errorf("check-config --data %s did not read %s: %v\n%s", dir, file, err, out)
	}
	// A file named on the command line wins.
	other := filepath.Join(t.TempDir(), "otra.toml")
	os.WriteFile(other, []byte("[sftp]\nlisten = \"127.0.0.1:2300\"\n"), 0o600)
	out, err = run([]string{"CUSTODIA_DATA_DIR=" + dir}, "", "--config", other, "check-config")
	if err != nil || !strings.Contains(out, "sftp.listen = 127.0.0.1:2300") || !strings.Contains(out, "# file: "+other) {
		t.Errorf("check-config --config %s: %v\n%s", other, err, out)
	}
}
