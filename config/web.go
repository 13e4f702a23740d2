package config

import (
	"fmt"
	"time"
)

// Web configures the web portal: clients, correspondents, staff and
// managers in a browser, over HTTPS with the shared certificate.
type Web struct {
	Listen      string   `toml:"listen"`       // HTTPS: host:port or "off"
	IdleTimeout Duration `toml:"idle_timeout"` // a portal or console session unused this long ends
	MaxSession  Duration `toml:"max_session"`  // a portal or console session ends this long after its login, used or not
	ReadTimeout Duration `toml:"read_timeout"` // headers, and each wait for body bytes
}

func defaultWeb() Web {
	return Web{Listen: ":8444", IdleTimeout: Duration{15 * time.Minute}, MaxSession: Duration{8 * time.Hour},
		ReadTimeout: Duration{30 * time.Second}}
}

// validateWeb checks the portal's listener and session lifetimes.
func (c Config) validateWeb() Problems {
	var ps Problems
	if err := checkListen(c.Web.Listen); err != nil {
		ps = append(ps, Problem{"web.listen", err.Error()})
	}
	ps = append(ps, positive("web.idle_timeout", c.Web.IdleTimeout)...)
	ps = append(ps, positive("web.max_session", c.Web.MaxSession)...)
	ps = append(ps, positive("web.read_timeout", c.Web.ReadTimeout)...)
	if c.Web.IdleTimeout.Duration > 0 && c.Web.MaxSession.Duration > 0 && c.Web.IdleTimeout.Duration > c.Web.MaxSession.Duration {
		ps = append(ps, Problem{"web.idle_timeout", fmt.Sprintf("%s is longer than web.max_session (%s)",
			c.Web.IdleTimeout, c.Web.MaxSession)})
	}
	return ps
}
