package config

import "fmt"

// Warnings lists settings that load but cannot do what they say, because
// another setting acts first. They do not stop the gateway; check-config
// reports them.
func (c Config) Warnings() Problems {
	var ps Problems
	if s, l := c.SFTP.LoginTimeout.Duration, c.Limits.LoginTimeout.Duration; l > 0 && s > l {
		ps = append(ps, Problem{"sftp.login_timeout", fmt.Sprintf(
			"%v has no effect beyond limits.login_timeout (%v), which closes a connection not logged in first: raise limits.login_timeout too",
			s, l)})
	}
	return ps
}
