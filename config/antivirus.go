package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/oaq/custodia/internal/clamd"
)

// Antivirus configures the scan of every upload by clamd before it
// becomes visible. With clamd empty nothing is scanned.
type Antivirus struct {
	// Clamd is where clamd listens: "unix:/run/clamav/clamd.ctl" or
	// "tcp:127.0.0.1:3310"; empty: no antivirus.
	Clamd string `toml:"clamd"`
	// Timeout bounds one scan, from the connection to the verdict.
	Timeout Duration `toml:"timeout"`
	// AllowUnscanned are the roles whose uploads are accepted when clamd
	// cannot scan them (unreachable, or a file over its StreamMaxLength);
	// every other role's are refused.
	AllowUnscanned []string `toml:"allow_unscanned"`
}

// roles are store.Role's values; config imports nothing of the store.
var roles = []string{"client", "correspondent", "staff", "manager", "publisher", "admin"}

func defaultAntivirus() Antivirus {
	return Antivirus{Timeout: Duration{2 * time.Minute}, AllowUnscanned: []string{"staff", "manager", "admin"}}
}

// Enabled says whether uploads are scanned.
func (a Antivirus) Enabled() bool { return a.Clamd != "" }

func (c Config) validateAntivirus() Problems {
	var ps Problems
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	if c.Antivirus.Clamd != "" {
		if _, _, err := clamd.ParseAddress(c.Antivirus.Clamd); err != nil {
			add("antivirus.clamd", "%v", err)
		}
	}
	ps = append(ps, positive("antivirus.timeout", c.Antivirus.Timeout)...)
	for _, r := range c.Antivirus.AllowUnscanned {
		if !slices.Contains(roles, r) {
			add("antivirus.allow_unscanned", "%q: not a role (want some of client, correspondent, staff, manager, publisher, admin)", r)
		}
	}
	return ps
}

// QuarantineDir holds the uploads the antivirus refused.
func (c Config) QuarantineDir() string { return filepath.Join(c.DataDir, "quarantine") }
