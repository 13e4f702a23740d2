package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configFile writes a TOML file and returns its CUSTODIA_CONFIG setting.
func configFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "custodia.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return "CUSTODIA_CONFIG=" + p
}

// Bad backup settings are refused by check-config, each naming its key;
// a job table changes only the keys it sets.
func TestBackupConfig(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, toml, want string }{
		{"recipient", "[backup]\nrecipients = [\"ssh-ed25519 AAAA\"]\n", `backup.recipients (CUSTODIA_BACKUP_RECIPIENTS): "ssh-ed25519 AAAA": want an age public key`},
		{"cron", "[backup.jobs.dossiers]\nincremental = \"every day\"\n", `backup.jobs.dossiers.incremental: "every day": want a cron expression`},
		{"source", "[backup.jobs.otro]\nsource = \"/etc\"\nfull = \"0 1 * * *\"\nkeep_daily = 3\n", `backup.jobs.otro.source: "/etc": want database, or a storage folder`},
		{"never fires", "[backup.jobs.clients]\nfull = \"0 0 30 2 *\"\n", `backup.jobs.clients.full: "0 0 30 2 *" never fires`},
		{"department named restores", "departments = [\"operaciones\", \"restores\"]\n", `"restores" is the folder of restored backups`},
		{"keeps nothing", "[backup.jobs.otro]\nsource = \"/clients\"\nfull = \"0 1 * * *\"\n", "backup.jobs.otro: keeps nothing"},
		{"unknown key", "[backup.jobs.clients]\nkeep_weekly = 4\n", "backup.jobs.clients.keep_weekly: unknown key"},
		{"incremental database", "[backup.jobs.database]\nincremental = \"0 * * * *\"\n", "the database job takes full snapshots only"},
		{"sftp without pin", "[backup.sftp]\naddress = \"respaldo.example.mx:22\"\nuser = \"c\"\nkey = \"/k\"\n", "backup.sftp.host_key (CUSTODIA_BACKUP_SFTP_HOST_KEY): pin the server's host key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := runWith([]string{"CUSTODIA_DATA_DIR=" + t.TempDir(), configFile(t, c.toml)}, "check-config")
			if err == nil || !strings.Contains(out, c.want) {
				t.Errorf("check-config (err %v) does not say %q:\n%s", err, c.want, out)
			}
		})
	}
	out, err := runWith([]string{"CUSTODIA_DATA_DIR=" + t.TempDir(), configFile(t, "[backup.jobs.dossiers]\nkeep_yearly = 10\nfull = \"off\"\n")}, "check-config")
	if err != nil {
		t.Fatalf("check-config: %v\n%s", err, out)
	}
	want := `backup.jobs.dossiers = source=/dossiers full="off" incremental="0 2 * * *" keep_daily=30 keep_monthly=60 keep_yearly=10`
	if !strings.Contains(out, want) {
		t.Errorf("the merged job is not %s:\n%s", want, out)
	}
}

// The CLI refuses backup commands it cannot carry out, with a clear error.
func TestBackupCLIErrors(t *testing.T) {
	t.Parallel()
	_, pub := backupKeys(t)
	noKeys := startGateway(t, "CUSTODIA_SFTP_LISTEN=off").Environ
	if out, err := runWith(noKeys, "backup", "run", "database"); err == nil || !strings.Contains(out+err.Error(), "backup keygen") {
		t.Errorf("a backup without recipients: %v %s", err, out)
	}
	tg := startGateway(t, "CUSTODIA_SFTP_LISTEN=off", "CUSTODIA_BACKUP_RECIPIENTS="+pub)
	tg.Fixture()
	withKeys := tg.Environ
	db := ""
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"backup", "run", "nope"}, `no backup job "nope"`},
		{[]string{"backup", "verify", "x"}, "--identity FILE"},
		{[]string{"backup", "verify", "x", "--identity", "/nonexistent"}, "--identity"},
		{[]string{"backup", "restore", "request", "nope", "--path", "/departments/operaciones", "--reason", "x"}, "not found"},
		{[]string{"backup", "restore", "approve", "r-x", "--as", "mario"}, "--password-stdin"},
		{[]string{"backup", "restore", "run", "r-x", "--identity", "/nonexistent"}, "--identity"},
	} {
		out, err := runWith(withKeys, c.args...)
		if err == nil || !strings.Contains(out+err.Error(), c.want) {
			t.Errorf("custodia %s: %v %s, want an error saying %q", strings.Join(c.args, " "), err, out, c.want)
		}
	}
	run := func(args ...string) string {
		out, err := runWith(withKeys, args...)
		if err != nil {
			t.Fatalf("custodia %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	db = firstField(run("backup", "run", "database"))
	out, err := runWith(withKeys, "backup", "restore", "request", db, "--path", "/departments/operaciones", "--reason", "x")
	if err == nil || !strings.Contains(out+err.Error(), "database snapshot") {
		t.Errorf("a restore request of the database: %v %s", err, out)
	}
	dep := firstField(run("backup", "run", "departments"))
	for _, p := range []string{"/departments", "/etc", "departments/operaciones", "/departments/../clients", "/clients/ACME"} {
		out, err := runWith(withKeys, "backup", "restore", "request", dep, "--path", p, "--reason", "x")
		if err == nil {
			t.Errorf("a restore request of %s was recorded: %s", p, out)
		}
	}
}
