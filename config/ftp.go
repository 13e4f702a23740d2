package config

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

func (c Config) validateTLS() Problems {
	var ps Problems
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		ps = append(ps, Problem{"tls.cert", "set both tls.cert and tls.key, or neither (a certificate is then generated)"})
	}
	for key, f := range map[string]string{"tls.cert": c.TLS.Cert, "tls.key": c.TLS.Key} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			ps = append(ps, Problem{key, fmt.Sprintf("%q cannot be read", f)})
		}
	}
	return ps
}

func (c Config) validateFTP() Problems {
	var ps Problems
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	switch c.FTP.TLS {
	case TLSRequired, TLSOptional:
	case TLSOff:
		if Enabled(c.FTP.ImplicitListen) {
			add("ftp.implicit_listen", "implicit FTPS needs TLS: set ftp.tls to required or optional, or implicit_listen to off")
		}
	default:
		add("ftp.tls", "%q: want required, optional or off", c.FTP.TLS)
	}
	ports, err := c.FTP.PassiveRange()
	if err != nil {
		add("ftp.passive_ports", "%v", err)
	}
	if public, err := c.FTP.PublicPassiveRange(); err != nil {
		add("ftp.public_passive_ports", "%v", err)
	} else if public[1] > 0 && (ports[1] == 0 || public[1]-public[0] != ports[1]-ports[0]) {
		add("ftp.public_passive_ports", "%q: set ftp.passive_ports too, with as many ports (each public port announces the passive port in the same place)", c.FTP.PublicPassivePorts)
	}
	if c.FTP.PublicHost != "" {
		if a, err := netip.ParseAddr(c.FTP.PublicHost); err != nil || !a.Is4() {
			add("ftp.public_host", "%q: want an IPv4 address (PASV replies carry IPv4 only)", c.FTP.PublicHost)
		}
	}
	if c.FTP.IdleTimeout.Duration < time.Second {
		add("ftp.idle_timeout", "must be at least 1s")
	}
	return ps
}

// PassiveRange parses passive_ports into its first and last port, both
// included: "" is {0, 0}, any free port.
func (f FTP) PassiveRange() ([2]int, error) { return portRange(f.PassivePorts) }

// PublicPassiveRange parses public_passive_ports as PassiveRange does:
// "" is {0, 0}, the passive ports themselves.
func (f FTP) PublicPassiveRange() ([2]int, error) { return portRange(f.PublicPassivePorts) }

func portRange(s string) ([2]int, error) {
	if s == "" {
		return [2]int{}, nil
	}
	lo, hi, ok := strings.Cut(s, "-")
	start, err1 := strconv.Atoi(strings.TrimSpace(lo))
	end, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if !ok || err1 != nil || err2 != nil || start < 1024 || end > 65535 || start > end {
		return [2]int{}, fmt.Errorf("%q: want a range like 30000-30099 within 1024-65535", s)
	}
	return [2]int{start, end}, nil
}
