package config

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/oaq/custodia/internal/schedule"
)

// Backup configures the backup jobs, where their archives go and who may
// approve restores.
type Backup struct {
	// Recipients are the age public keys (age1…) archives are encrypted
	// to; the gateway never holds a key that decrypts them.
	Recipients []string `toml:"recipients"`
	Dir        string   `toml:"dir"` // local target; default <data>/backups
	// ClientApprovers are the managers who approve restores of client
	// folders (/clients, /dossiers); a department's own manager approves
	// restores of its folder.
	ClientApprovers []string `toml:"client_approvers"`
	// RestoreGrantTTL is how long a requester may read their restored
	// files; then the grant is removed. Default 720h (30 days).
	RestoreGrantTTL Duration `toml:"restore_grant_ttl"`
	// ApproverMinAge is how old a manager's account must be to approve a
	// restore (separation of duties: no stand-in manager made for the
	// occasion). Default 168h (7 days); 0 turns the rule off.
	ApproverMinAge Duration `toml:"approver_min_age"`
	// TimeZone is the calendar of the schedules and retention (an IANA
	// name such as America/Mexico_City); empty: the server's local time.
	// Gateways sharing a database must agree on it, or each counts other
	// due times: set it on every one.
	TimeZone  string                    `toml:"time_zone"`
	SFTP      BackupSFTP                `toml:"sftp"`
	S3        BackupS3                  `toml:"s3"`
	Jobs      map[string]Job            `toml:"-"`    // the defaults, merged with the file's [backup.jobs.NAME]
	JobTables map[string]toml.Primitive `toml:"jobs"` // as read, before merging
}

// BackupSFTP is the off-site target: an SFTP server reached with a key,
// whose host key is pinned.
type BackupSFTP struct {
	Address string `toml:"address"` // host:port; empty: no off-site target
	User    string `toml:"user"`
	Key     string `toml:"key"`      // private key file (OpenSSH format)
	HostKey string `toml:"host_key"` // the server's public key, as in known_hosts: "ssh-ed25519 AAAA…"
	Dir     string `toml:"dir"`      // folder on the server
}

// Job is one backup job: a source, when it runs, and how many of its
// backups are kept.
type Job struct {
	// Source is "database" or a storage folder such as /dossiers or
	// /departments/operaciones.
	Source      string `toml:"source"`
	Full        string `toml:"full"`        // cron expression of full runs; "off": none
	Incremental string `toml:"incremental"` // cron expression of incremental runs; "" or "off": none
	KeepDaily   int    `toml:"keep_daily"`  // the newest backup of each of the last N days
	KeepMonthly int    `toml:"keep_monthly"`
	KeepYearly  int    `toml:"keep_yearly"`
}

// DefaultJobs are DESIGN.md's: the seed policy's backup rules.
func DefaultJobs() map[string]Job {
	return map[string]Job{
		"database":    {Source: "database", Full: "30 1 * * *", KeepDaily: 30},
		"dossiers":    {Source: "/dossiers", Full: "0 2 1 * *", Incremental: "0 2 * * *", KeepDaily: 30, KeepMonthly: 60},
		"clients":     {Source: "/clients", Full: "0 3 1 * *", KeepMonthly: 60},
		"departments": {Source: "/departments", Full: "0 4 * * 0", Incremental: "0 4 * * *", KeepDaily: 30},
	}
}

// BackupDir is the local backup target.
func (c Config) BackupDir() string {
	if c.Backup.Dir != "" {
		return c.Backup.Dir
	}
	return filepath.Join(c.DataDir, "backups")
}

// mergeJobs lays the file's job tables over the defaults: a key the file
// sets replaces the default's, the others stay.
func (c *Config) mergeJobs(md toml.MetaData) Problems {
	var ps Problems
	jobs := DefaultJobs()
	for name, prim := range c.Backup.JobTables {
		j := jobs[name]
		if err := md.PrimitiveDecode(prim, &j); err != nil {
			ps = append(ps, Problem{Key: "backup.jobs." + name, Msg: err.Error()})
			continue
		}
		jobs[name] = j
	}
	c.Backup.Jobs = jobs
	return ps
}

// JobNames lists the jobs in order.
func (b Backup) JobNames() []string {
	names := make([]string, 0, len(b.Jobs))
	for n := range b.Jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Scheduled reports whether a cron field turns runs on.
func Scheduled(expr string) bool { return expr != "" && expr != Off }

func (c Config) validateBackup() Problems {
	var ps Problems
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	if _, err := c.Backup.Location(); err != nil {
		add("backup.time_zone", "%q: want an IANA time zone name such as America/Mexico_City, or nothing for the server's local time", c.Backup.TimeZone)
	}
	for _, r := range c.Backup.Recipients {
		if !strings.HasPrefix(r, "age1") || strings.ContainsAny(r, " \t") {
			add("backup.recipients", "%q: want an age public key (age1…, from custodia backup keygen)", r)
		}
	}
	for _, d := range c.Departments {
		if d == "restores" {
			add("departments", "%q is the folder of restored backups: pick another name", d)
		}
	}
	for _, m := range c.Backup.ClientApprovers {
		if strings.TrimSpace(m) == "" {
			add("backup.client_approvers", "an empty name")
		}
	}
	if c.Backup.RestoreGrantTTL.Duration <= 0 {
		add("backup.restore_grant_ttl", "%s: want a positive duration such as 720h", c.Backup.RestoreGrantTTL)
	}
	if c.Backup.ApproverMinAge.Duration < 0 {
		add("backup.approver_min_age", "%s: want 0 or a positive duration such as 168h", c.Backup.ApproverMinAge)
	}
	if inside, err := within(c.FilesDir(), c.BackupDir()); err != nil {
		add("backup.dir", "%q: %v", c.BackupDir(), err)
	} else if inside {
		add("backup.dir", "%q is inside the files tree %s, where users (staff) could delete the archives: "+
			"put the backups elsewhere", c.BackupDir(), c.FilesDir())
	}
	ps = append(ps, c.validateBackupSFTP()...)
	ps = append(ps, c.validateBackupS3()...)
	for _, name := range c.Backup.JobNames() {
		ps = append(ps, validateJob(name, c.Backup.Jobs[name])...)
	}
	return ps
}

// validateBackupSFTP checks the off-site SFTP target, when one is set.
func (c Config) validateBackupSFTP() Problems {
	var ps Problems
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	s := c.Backup.SFTP
	if s.Address == "" {
		return nil
	}
	if err := checkListen(s.Address); err != nil || strings.HasPrefix(s.Address, ":") {
		add("backup.sftp.address", "%q: want host:port", s.Address)
	}
	if s.User == "" {
		add("backup.sftp.user", "the off-site target needs a user")
	}
	if s.Key == "" {
		add("backup.sftp.key", "the off-site target needs a private key file (key authentication only)")
	}
	if s.HostKey == "" {
		add("backup.sftp.host_key", "pin the server's host key (a known_hosts line's key: ssh-ed25519 AAAA…)")
	}
	return ps
}

// validateJob checks one backup job: its name, source, schedules and
// retention.
func validateJob(name string, j Job) Problems {
	var ps Problems
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	key := "backup.jobs." + name
	if !validDepartment(name) {
		add(key, "job name %q: use lower-case letters, digits and '-'", name)
	}
	if j.Source != "database" && (!strings.HasPrefix(j.Source, "/") || path.Clean(j.Source) != j.Source ||
		!(inArea(j.Source, "/clients") || inArea(j.Source, "/dossiers") || inArea(j.Source, "/departments"))) {
		add(key+".source", "%q: want database, or a storage folder under /clients, /dossiers or /departments", j.Source)
	}
	for field, expr := range map[string]string{"full": j.Full, "incremental": j.Incremental} {
		if Scheduled(expr) {
			_, err := schedule.Parse(expr)
			switch {
			case errors.Is(err, schedule.ErrNeverFires):
				add(key+"."+field, "%q %v", expr, err)
			case err != nil:
				add(key+"."+field, "%q: want a cron expression such as \"0 2 * * *\": %v", expr, err)
			}
		}
	}
	if j.Source == "database" && Scheduled(j.Incremental) {
		add(key+".incremental", "the database job takes full snapshots only")
	}
	if j.KeepDaily < 0 || j.KeepMonthly < 0 || j.KeepYearly < 0 {
		add(key, "keep_daily, keep_monthly and keep_yearly must be 0 or more")
	}
	if j.KeepDaily+j.KeepMonthly+j.KeepYearly == 0 {
		add(key, "keeps nothing: set keep_daily, keep_monthly or keep_yearly")
	}
	return ps
}

func inArea(p, area string) bool { return p == area || strings.HasPrefix(p, area+"/") }

// Location is the calendar TimeZone names (time.Local when empty).
func (b Backup) Location() (*time.Location, error) {
	if b.TimeZone == "" {
		return time.Local, nil
	}
	if strings.ContainsAny(b.TimeZone, ":") || strings.EqualFold(b.TimeZone, "local") {
		return nil, fmt.Errorf("backup.time_zone %q: not an IANA name", b.TimeZone)
	}
	return time.LoadLocation(b.TimeZone)
}
