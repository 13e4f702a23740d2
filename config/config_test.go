package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/config"
)

// writeConfig writes a TOML file in t.TempDir() and returns its name.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "custodia.toml")
	if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// problemKeys returns the keys err names, or fails when err is no Problems.
func problemKeys(t *testing.T, err error) []string {
	t.Helper()
	var ps config.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Load returned %v (%T), want config.Problems", err, err)
	}
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	return keys
}

func TestDefaultsLoadWithNoFile(t *testing.T) {
	t.Parallel()
	c, err := config.Load("", []string{"HOME=/root", "PATH=/bin"})
	if err != nil {
		t.Fatalf("the defaults do not load with no file and no CUSTODIA_ variable: %v", err)
	}
	if ps := config.Default().Validate(); len(ps) > 0 {
		t.Errorf("the defaults do not validate: %v", ps)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"sftp.listen", c.SFTP.Listen, ":2022"},
		{"ftp.listen", c.FTP.Listen, ":2121"},
		{"ftp.implicit_listen", c.FTP.ImplicitListen, config.Off},
		{"ftp.tls", c.FTP.TLS, config.TLSRequired},
		{"webdav.listen", c.WebDAV.Listen, ":8443"},
		{"web.listen", c.Web.Listen, ":8444"},
		{"web.idle_timeout", c.Web.IdleTimeout.Duration, 15 * time.Minute},
		{"web.max_session", c.Web.MaxSession.Duration, 8 * time.Hour},
		{"admin.listen", c.Admin.Listen, "127.0.0.1:8080"},
		{"defender.enabled", c.Defender.Enabled, true},
		{"defender.max_failures", c.Defender.MaxFailures, 5},
		{"defender.window", c.Defender.Window.Duration, 5 * time.Minute},
		{"defender.ban_time", c.Defender.BanTime.Duration, 15 * time.Minute},
		{"sftp.login_timeout", c.SFTP.LoginTimeout.Duration, 30 * time.Second},
		{"departments", strings.Join(c.Departments, ","), "operaciones,comercializacion,trafico,administracion,recursos-humanos"},
		{"db file", c.DBFile(), filepath.Join("custodia-data", "custodia.db")},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("with no file, %s is %v, want %v.", ck.what, ck.got, ck.want)
		}
	}
	if len(c.Backup.Jobs) == 0 {
		t.Errorf("with no file there are no backup jobs; the seed policy's jobs are the defaults.")
	}
}

func TestEnvOverridesFileAndDefaults(t *testing.T) {
	t.Parallel()
	file := writeConfig(t, `
organization = "OAQ"
[sftp]
listen = "127.0.0.1:2200"
idle_timeout = "20m"
`)
	c, err := config.Load(file, []string{
		"CUSTODIA_SFTP_LISTEN=127.0.0.1:0",
		"CUSTODIA_DEFENDER_WINDOW=90s",
		"CUSTODIA_DEFENDER_ENABLED=false",
		"CUSTODIA_LIMITS_MAX_CONNECTIONS=7",
		"CUSTODIA_DEPARTMENTS=operaciones, trafico",
		"CUSTODIA_FTP_PASSIVE_PORTS=30000-30009",
		"SFTP_LISTEN=:1", // not ours: ignored
	})
	if err != nil {
		t.Fatalf("loading a file with environment overrides: %v", err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"sftp.listen (env over file)", c.SFTP.Listen, "127.0.0.1:0"},
		{"sftp.idle_timeout (file over default)", c.SFTP.IdleTimeout.Duration, 20 * time.Minute},
		{"organization (file)", c.Organization, "OAQ"},
		{"defender.window (env)", c.Defender.Window.Duration, 90 * time.Second},
		{"defender.enabled (env)", c.Defender.Enabled, false},
		{"limits.max_connections (env)", c.Limits.MaxConnections, 7},
		{"departments (env, comma-separated)", strings.Join(c.Departments, "|"), "operaciones|trafico"},
		{"ftp.listen (default)", c.FTP.Listen, ":2121"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s is %v, want %v.", ck.what, ck.got, ck.want)
		}
	}
	if r, err := c.FTP.PassiveRange(); err != nil || r != [2]int{30000, 30009} {
		t.Errorf("ftp.passive_ports 30000-30009 parses as %d-%d, %v.", r[0], r[1], err)
	}
	if got := config.EnvName("limits.max_connections_per_ip"); got != "CUSTODIA_LIMITS_MAX_CONNECTIONS_PER_IP" {
		t.Errorf("EnvName(limits.max_connections_per_ip) = %s.", got)
	}
}

// TestSeveralMistakesAllReported: every mistake of a file and of the
// environment is reported at once, each under its key.
func TestSeveralMistakesAllReported(t *testing.T) {
	t.Parallel()
	file := writeConfig(t, `
log_level = "loud"
departments = ["operaciones", "Trafico", "operaciones"]
colour = "blue"
[sftp]
listen = "nope"
max_auth_tries = 0
[ftp]
listen = "127.0.0.1:70000"
tls = "sometimes"
public_host = "::1"
[limits]
max_connections = -1
`)
	_, err := config.Load(file, []string{"CUSTODIA_ADMIN_TOKEN_TTL=soon", "CUSTODIA_WEBDAV_DESKTOP_FILES=keep"})
	keys := problemKeys(t, err)
	for _, want := range []string{
		"log_level", "departments", "colour", "sftp.listen", "sftp.max_auth_tries", "ftp.listen", "ftp.tls",
		"ftp.public_host", "limits.max_connections", "admin.token_ttl", "webdav.desktop_files",
	} {
		if !slices.Contains(keys, want) {
			t.Errorf("the mistake in %s is not reported; Load reported %q.", want, keys)
		}
	}
	msg := err.Error()
	for _, want := range []string{`"Trafico"`, `listed twice`, "unknown key", `port must be a number`, `"soon" is not a duration`,
		"CUSTODIA_SFTP_LISTEN"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the report does not say %q:\n%s", want, msg)
		}
	}
}

// TestDurationsAndPortsParse: durations in the file and listen addresses
// with ports 0 to 65535 load; a bad duration is named.
func TestDurationsAndPortsParse(t *testing.T) {
	t.Parallel()
	c, err := config.Load(writeConfig(t, `
[sftp]
listen = "[::1]:65535"
idle_timeout = "1h30m"
login_timeout = "45s"
[admin]
listen = "127.0.0.1:0"
token_ttl = "2h"
[webdav]
listen = "off"
`), nil)
	if err != nil {
		t.Fatalf("loading valid durations and ports: %v", err)
	}
	if c.SFTP.IdleTimeout.Duration != 90*time.Minute || c.SFTP.LoginTimeout.Duration != 45*time.Second ||
		c.Admin.TokenTTL.Duration != 2*time.Hour {
		t.Errorf("durations parse as %v, %v, %v; want 1h30m, 45s, 2h.", c.SFTP.IdleTimeout, c.SFTP.LoginTimeout, c.Admin.TokenTTL)
	}
	if config.Enabled(c.WebDAV.Listen) || !config.Enabled(c.SFTP.Listen) {
		t.Errorf("webdav.listen = off must disable the listener and sftp.listen enable its own.")
	}
	_, err = config.Load(writeConfig(t, "[sftp]\nidle_timeout = \"fifteen minutes\"\n"), nil)
	if err == nil || !strings.Contains(err.Error(), `"fifteen minutes" is not a duration`) {
		t.Errorf("a bad duration in the file gives %v, want it named.", err)
	}
	_, err = config.Load(writeConfig(t, "[sftp]\nidle_timeout = \"-5m\"\n"), nil)
	if keys := problemKeys(t, err); !slices.Contains(keys, "sftp.idle_timeout") {
		t.Errorf("a negative idle timeout is not reported: %q.", keys)
	}
}

// TestTypeErrorsReportedPerKey: keys of the wrong type are each one
// problem naming the key, and do not hide the other keys' problems or
// the unknown keys; the keys around them are still read.
func TestTypeErrorsReportedPerKey(t *testing.T) {
	t.Parallel()
	file := writeConfig(t, `organization = "OAQ"
departments = "operaciones"
[sftp]
idle_timeout = 5
max_auth_tries = 0
[admin]
token_ttl = "2h"
[defender]
enabled = "yes"
ban_time = 30
color = "red"
[webdav]
listen = ":9443"
`)
	c, err := config.Load(file, nil)
	got := problemKeys(t, err)
	want := []string{"defender.ban_time", "defender.color", "defender.enabled", "departments", "sftp.idle_timeout", "sftp.max_auth_tries"}
	if !slices.Equal(got, want) {
		t.Errorf("problems at %q, want %q:\n%v", got, want, err)
	}
	if c.Organization != "OAQ" || c.Admin.TokenTTL.Duration != 2*time.Hour || c.WebDAV.Listen != ":9443" {
		t.Errorf("the well-typed keys were not all read: organization %q, admin.token_ttl %v, webdav.listen %q",
			c.Organization, c.Admin.TokenTTL, c.WebDAV.Listen)
	}
	if !strings.Contains(err.Error(), `sftp.idle_timeout (CUSTODIA_SFTP_IDLE_TIMEOUT): want a duration in quotes, like "30s" or "15m"`) {
		t.Errorf("the duration's problem does not say what to write:\n%v", err)
	}
}

// TestNotTOMLIsOneProblem: a file that does not parse is one problem
// naming the file and the line.
func TestNotTOMLIsOneProblem(t *testing.T) {
	t.Parallel()
	file := writeConfig(t, "[sftp\nlisten = \":22\"\n")
	_, err := config.Load(file, nil)
	if got := problemKeys(t, err); !slices.Equal(got, []string{"config"}) || !strings.Contains(err.Error(), file) {
		t.Errorf("a file that is not TOML: %v", err)
	}
}

// TestBackupScheduleWithTimeZoneIsAProblem: a time-zone prefix in a
// schedule is a problem naming the key, never a panic.
func TestBackupScheduleWithTimeZoneIsAProblem(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"TZ=UTC", "CRON_TZ=", "TZ=UTC 0 3 * * *"} {
		_, err := config.Load(writeConfig(t, "[backup.jobs.dossiers]\nincremental = \""+expr+"\"\n"), nil)
		if got := problemKeys(t, err); !slices.Equal(got, []string{"backup.jobs.dossiers.incremental"}) ||
			!strings.Contains(err.Error(), "time zone") {
			t.Errorf("schedule %q: %v", expr, err)
		}
	}
}

// TestPublicPassivePorts: ftp.public_passive_ports loads with as many
// ports as ftp.passive_ports, and is refused without them or with another
// count.
func TestPublicPassivePorts(t *testing.T) {
	t.Parallel()
	c, err := config.Load("", []string{"CUSTODIA_FTP_PASSIVE_PORTS=31000-31099", "CUSTODIA_FTP_PUBLIC_PASSIVE_PORTS=41000-41099"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.FTP.PublicPassiveRange(); err != nil || r != [2]int{41000, 41099} {
		t.Errorf("ftp.public_passive_ports 41000-41099 parses as %v, %v.", r, err)
	}
	for _, env := range [][]string{
		{"CUSTODIA_FTP_PUBLIC_PASSIVE_PORTS=41000-41099"},
		{"CUSTODIA_FTP_PASSIVE_PORTS=31000-31099", "CUSTODIA_FTP_PUBLIC_PASSIVE_PORTS=41000-41009"},
		{"CUSTODIA_FTP_PASSIVE_PORTS=31000-31099", "CUSTODIA_FTP_PUBLIC_PASSIVE_PORTS=80-179"},
	} {
		_, err := config.Load("", env)
		if keys := problemKeys(t, err); !slices.Contains(keys, "ftp.public_passive_ports") {
			t.Errorf("%q loads without a problem in ftp.public_passive_ports (%q).", env, keys)
		}
	}
}
