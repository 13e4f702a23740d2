package config

import "fmt"

// validate checks the keys of Limits beyond the connection counts.
func (l Limits) validate() Problems {
	var ps Problems
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	for key, n := range map[string]int{
		"limits.max_unauthenticated": l.MaxUnauthenticated, "limits.max_unauthenticated_per_ip": l.MaxUnauthenticatedPerIP,
		"limits.max_open_files_per_session": l.MaxOpenFilesPerSession, "limits.max_open_files_per_user": l.MaxOpenFilesPerUser,
		"limits.password_checks": l.PasswordChecks,
	} {
		if n < 0 {
			add(key, "%d: want 0 or more", n)
		}
	}
	if l.MaxConnections > 0 && l.MaxUnauthenticated > l.MaxConnections {
		add("limits.max_unauthenticated", "%d is more than limits.max_connections (%d)", l.MaxUnauthenticated, l.MaxConnections)
	}
	if l.MaxConnectionsPerIP > 0 && l.MaxUnauthenticatedPerIP > l.MaxConnectionsPerIP {
		add("limits.max_unauthenticated_per_ip", "%d is more than limits.max_connections_per_ip (%d)",
			l.MaxUnauthenticatedPerIP, l.MaxConnectionsPerIP)
	}
	ps = append(ps, positive("limits.login_timeout", l.LoginTimeout)...)
	ps = append(ps, positive("limits.password_wait", l.PasswordWait)...)
	return ps
}

// Unauthenticated returns the budgets of connections not logged in yet,
// in all and per address: the keys, or when 0 a quarter of the
// connection limit and half of the per-address one (at least 1: an office
// behind one NAT address opens several connections at once, e.g. at the
// start of the day); 0 is no limit.
func (l Limits) Unauthenticated() (total, perIP int) {
	total, perIP = l.MaxUnauthenticated, l.MaxUnauthenticatedPerIP
	if total == 0 && l.MaxConnections > 0 {
		total = max(1, l.MaxConnections/4)
	}
	if perIP == 0 && l.MaxConnectionsPerIP > 0 {
		perIP = max(1, l.MaxConnectionsPerIP/2)
	}
	return total, perIP
}
