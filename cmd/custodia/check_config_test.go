package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigReportsTypeErrorsWithOtherMistakes: a duration written
// as a number no longer stops check-config at the first error: it is
// reported with its key, next to every other mistake in the file.
func TestCheckConfigReportsTypeErrorsWithOtherMistakes(t *testing.T) {
	t.Parallel()
	file := configFile(t, "log_level = \"loud\"\n[sftp]\nidle_timeout = 5\nlisten = \"x\"\n[defender]\nmax_failures = \"five\"\n")
	out, err := runWith([]string{"CUSTODIA_DATA_DIR=" + t.TempDir(), file}, "check-config")
	if err == nil {
		t.Fatalf("check-config accepted a file with four mistakes:\n%s", out)
	}
	for _, want := range []string{
		`sftp.idle_timeout (CUSTODIA_SFTP_IDLE_TIMEOUT): want a duration in quotes`,
		`defender.max_failures (CUSTODIA_DEFENDER_MAX_FAILURES): want a whole number`,
		`log_level (CUSTODIA_LOG_LEVEL): "loud"`,
		`sftp.listen (CUSTODIA_SFTP_LISTEN): "x"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config does not report %q:\n%s", want, out)
		}
	}
}

// TestCheckConfigTimeZoneScheduleIsAProblem: a backup schedule with a
// time-zone prefix (which makes robfig/cron panic when nothing follows
// it) is a problem naming the key, with a non-zero exit; never a panic.
func TestCheckConfigTimeZoneScheduleIsAProblem(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"TZ=UTC 0 3 * * *", "TZ=UTC", "CRON_TZ=America/Mexico_City"} {
		t.Run(expr, func(t *testing.T) {
			t.Parallel()
			file := configFile(t, "[backup.jobs.clients]\nfull = \""+expr+"\"\n")
			out, err := runWith([]string{"CUSTODIA_DATA_DIR=" + t.TempDir(), file}, "check-config")
			want := `backup.jobs.clients.full: "` + expr + `": want a cron expression such as "0 2 * * *": a time zone`
			if err == nil || !strings.Contains(out, want) {
				t.Errorf("check-config (err %v) does not say %q:\n%s", err, want, out)
			}
		})
	}
}

// TestCheckConfigRefusesBackupsInsideFiles: backup archives inside the
// files tree could be deleted by staff through a protocol, so a backup.dir
// there is refused however it is written: absolute, relative, through a
// symlink, or with a ".." after one. Next to it is fine.
func TestCheckConfigRefusesBackupsInsideFiles(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	files := filepath.Join(data, "files")
	if err := os.MkdirAll(filepath.Join(files, "departments", "operaciones"), 0o750); err != nil {
		t.Fatal(err)
	}
	links := t.TempDir()
	if err := os.Symlink(files, filepath.Join(links, "a-files")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(files, "departments", "operaciones"), filepath.Join(links, "a-dept")); err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, filepath.Join(files, "departments", "respaldos"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, dir string
		refused   bool
	}{
		{"the default", "", false},
		{"a folder beside files", filepath.Join(data, "files-backups"), false},
		{"the files tree itself", files, true},
		{"a department's folder", filepath.Join(files, "departments", "operaciones", "respaldos"), true},
		{"a relative path into files", rel, true},
		{"a path through a symlink to files", filepath.Join(links, "a-files", "respaldos"), true},
		{"a '..' after a symlink into files", filepath.Join(links, "a-dept") + "/../../respaldos", true},
		{"a lexical '..' out of files", filepath.Join(files, "..", "respaldos"), false},
	} {
		env := []string{"CUSTODIA_DATA_DIR=" + data}
		if c.dir != "" {
			env = append(env, "CUSTODIA_BACKUP_DIR="+c.dir)
		}
		out, err := runWith(env, "check-config")
		if got := err != nil && strings.Contains(out, "backup.dir (CUSTODIA_BACKUP_DIR):") && strings.Contains(out, "inside the files tree"); got != c.refused {
			t.Errorf("backup.dir as %s (%s): refused %v, want %v: %v\n%s", c.what, c.dir, got, c.refused, err, out)
		}
	}
}

// TestCheckConfigWarnsSFTPLoginTimeoutOverLimits: an SFTP login timeout
// above limits.login_timeout cannot take effect (the limits close the
// connection first): check-config says so, naming both keys, and still
// accepts the configuration.
func TestCheckConfigWarnsSFTPLoginTimeoutOverLimits(t *testing.T) {
	t.Parallel()
	file := configFile(t, "[sftp]\nlogin_timeout = \"2m\"\n")
	out, err := runWith([]string{"CUSTODIA_DATA_DIR=" + t.TempDir(), file}, "check-config")
	if err != nil {
		t.Fatalf("check-config refused a configuration that only deserves a warning: %v\n%s", err, out)
	}
	if !strings.Contains(out, "warning: sftp.login_timeout (CUSTODIA_SFTP_LOGIN_TIMEOUT): 2m0s has no effect beyond limits.login_timeout (30s)") {
		t.Errorf("check-config does not warn that sftp.login_timeout exceeds limits.login_timeout:\n%s", out)
	}
	out, err = runWith([]string{"CUSTODIA_DATA_DIR=" + t.TempDir(), file, "CUSTODIA_LIMITS_LOGIN_TIMEOUT=2m"}, "check-config")
	if err != nil || strings.Contains(out, "warning:") {
		t.Errorf("check-config with both timeouts at 2m: %v\n%s", err, out)
	}
}
