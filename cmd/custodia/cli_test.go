package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckConfigReportsEveryProblemByKey(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, "CUSTODIA_SFTP_LISTEN=off")
	file := filepath.Join(t.TempDir(), "custodia.toml")
	os.WriteFile(file, []byte("log_level = \"loud\"\ncolour = \"blue\"\n[sftp]\nidle_timeout = \"soon\"\n"), 0o600)
	out, err := cli(tg, "", "check-config", "--config", file)
	if err == nil {
		t.Fatalf("check-config accepted a bad file:\n%s", out)
	}
	_, err = cli(tg, "", "check-config")
	if err != nil {
		t.Fatalf("check-config refused the defaults: %v", err)
	}
	bad := append(append([]string(nil), tg.Environ...), "CUSTODIA_WEBDAV_LISTEN=nowhere", "CUSTODIA_DEFENDER_MAX_FAILURES=many")
	out2, err := runWith(bad, "check-config")
	if err == nil {
		t.Fatal("check-config accepted bad environment values")
	}
	for _, want := range []string{"webdav.listen (CUSTODIA_WEBDAV_LISTEN)", "defender.max_failures (CUSTODIA_DEFENDER_MAX_FAILURES)"} {
		if !strings.Contains(out2, want) {
			t.Errorf("check-config does not name %s:\n%s", want, out2)
		}
	}
	out3, _ := runWith([]string{"CUSTODIA_DATA_DIR=" + tg.DataDir}, "check-config", "--config", writeTOML(t, "log_level = \"loud\"\n[sftp]\nlisten = \"x\"\nmax_auth_tries = 0\n"))
	for _, want := range []string{"log_level", "sftp.listen", "sftp.max_auth_tries"} {
		if !strings.Contains(out3, want) {
			t.Errorf("check-config reports problems one at a time: %s missing from\n%s", want, out3)
		}
	}
}

func writeTOML(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(p, []byte(body), 0o600)
	return p
}

func runWith(environ []string, args ...string) (string, error) {
	var out strings.Builder
	root := newRoot(strings.NewReader(""), &out, &out, environ)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestCLIRefusesBadInput(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, "CUSTODIA_SFTP_LISTEN=off")
	tg.Fixture()
	keyFile := filepath.Join(t.TempDir(), "bad.pub")
	os.WriteFile(keyFile, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n"), 0o600)
	cases := []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"user", "add", "x", "--role", "wizard"}, "unknown role"},
		{"", []string{"user", "add", "x", "--role", "staff", "--department", "marketing"}, "unknown department"},
		{"", []string{"user", "add", "x", "--role", "client", "--client", "NOPE"}, "unknown client"},
		{"", []string{"user", "add", "x", "--role", "client"}, "--client: role client needs at least one client"},
		{"short\n", []string{"user", "add", "x", "--role", "admin", "--password-stdin"}, "too short"},
		{"\n", []string{"user", "add", "x", "--role", "admin", "--password-stdin"}, "empty"},
		{"alllowercaseletters\n", []string{"user", "add", "x", "--role", "admin", "--password-stdin"}, "too weak"},
		{"", []string{"user", "add", "x", "--role", "admin", "--key", keyFile}, "private key"},
		{"", []string{"user", "add", "ANA", "--role", "admin"}, "already exists"},
		{"", []string{"user", "disable", "ghost"}, "unknown user"},
		{"", []string{"client", "add", "../x", "--name", "x"}, "only letters"},
		{"", []string{"client", "add", "acme", "--name", "again"}, "already exists"},
		{"", []string{"policy", "test", "ana", "fly", "/x"}, "unknown action"},
		{"", []string{"policy", "add", "staff", "/x/**/{client}", "read", "allow"}, "placeholder"},
		{"", []string{"audit", "--limit", "0"}, "--limit"},
	}
	for _, c := range cases {
		out, err := cli(tg, c.stdin, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("custodia %s: err %v, want an error mentioning %q\n%s", strings.Join(c.args, " "), err, c.want, out)
		}
	}
	if out := must(tg, "", "user", "list"); strings.Contains(out, "\nx\t") || strings.HasPrefix(out, "x\t") {
		t.Errorf("a refused user add left a user behind:\n%s", out)
	}
}
