package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
)

// Notify configures the e-mail that tells a client's contacts of the PDFs
// published for it: one digest per client per interval, with a link to
// the portal and never the files. Off while smtp is empty.
type Notify struct {
	SMTP     string `toml:"smtp"`     // host:port of the mail relay, spoken to with STARTTLS (always); empty: no e-mail
	From     string `toml:"from"`     // the sender, e.g. "OAQ Portal <portal@oaq.mx>"
	Username string `toml:"username"` // SMTP AUTH PLAIN user; empty: no AUTH
	// Password of Username; set it through CUSTODIA_NOTIFY_PASSWORD or
	// password_file rather than the file. check-config never prints it.
	Password     string   `toml:"password"`
	PasswordFile string   `toml:"password_file"` // a file holding the password (a trailing newline is dropped)
	SMTPCA       string   `toml:"smtp_ca"`       // PEM file of the CAs that sign the relay's certificate; empty: the system's
	Interval     Duration `toml:"interval"`      // one digest per client per interval at most; default 15m
	PortalURL    string   `toml:"portal_url"`    // the link in the e-mail; empty: https://<public_host>:<web.listen's port>/
}

// NotifyOn reports whether e-mail notifications are configured.
func (c Config) NotifyOn() bool { return c.Notify.SMTP != "" }

// PortalURL is the portal link the e-mail carries: notify.portal_url,
// else https://<public_host>:<port of web.listen>/; "" when neither can
// be made (no public_host, or the portal off or on no fixed port).
func (c Config) PortalURL() string {
	if c.Notify.PortalURL != "" {
		return c.Notify.PortalURL
	}
	if c.PublicHost == "" || !Enabled(c.Web.Listen) {
		return ""
	}
	_, port, err := net.SplitHostPort(c.Web.Listen)
	if err != nil || port == "" || port == "0" {
		return ""
	}
	return "https://" + net.JoinHostPort(c.PublicHost, port) + "/"
}

func (c Config) validateNotify() Problems {
	var ps Problems
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	n := c.Notify
	ps = append(ps, positive("notify.interval", n.Interval)...)
	if n.PortalURL != "" {
		if u, err := url.Parse(n.PortalURL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			add("notify.portal_url", "%q: want an https URL such as https://portal.oaq.mx:8444/", n.PortalURL)
		}
	}
	if !c.NotifyOn() {
		return ps
	}
	if host, port, err := net.SplitHostPort(n.SMTP); err != nil || host == "" {
		add("notify.smtp", "%q: want host:port of the mail relay, e.g. smtp.oaq.mx:587", n.SMTP)
	} else if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		add("notify.smtp", "%q: port must be a number from 1 to 65535", n.SMTP)
	}
	if a, err := mail.ParseAddress(n.From); err != nil || n.From == "" {
		add("notify.from", "%q: want the sender's address, e.g. portal@oaq.mx or \"Portal OAQ <portal@oaq.mx>\"", n.From)
	} else if a.Address == "" {
		add("notify.from", "%q: no address", n.From)
	}
	if n.Password != "" && n.PasswordFile != "" {
		add("notify.password_file", "set notify.password or notify.password_file, not both")
	}
	if n.PasswordFile != "" {
		if _, err := os.ReadFile(n.PasswordFile); err != nil {
			add("notify.password_file", "%q cannot be read", n.PasswordFile)
		}
	}
	if (n.Password != "" || n.PasswordFile != "") && n.Username == "" {
		add("notify.username", "a password is set but no username to log in with")
	}
	if n.SMTPCA != "" {
		if _, err := os.ReadFile(n.SMTPCA); err != nil {
			add("notify.smtp_ca", "%q cannot be read", n.SMTPCA)
		}
	}
	if c.PortalURL() == "" {
		add("notify.portal_url", "empty, and no public_host (with the portal on a fixed web.listen port) to make it from: the e-mail needs the portal's address")
	}
	return ps
}
