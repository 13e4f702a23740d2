package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/letter"
)

// LetterEndpoints are the ways into the server that cfg describes, as a
// credential letter names them: each listener's address, with its host
// replaced by host (--host, or the API request's) when given, else by
// public_host when set, else for listeners on every interface by
// machine, this machine's name, which must be one clients can resolve
// and reach (not a short name without a domain, not loopback:
// letter.ErrHost); and the fingerprints of the keys `custodia serve`
// created (never created here). warn hears what is left out and why.
func LetterEndpoints(cfg config.Config, host, machine string, warn func(string)) (letter.Endpoints, error) {
	var e letter.Endpoints
	replace := host != ""
	if replace {
		if err := config.CheckHost(host); err != nil {
			return e, fmt.Errorf("%w: host %w", letter.ErrHost, err)
		}
	} else if cfg.PublicHost != "" {
		host, replace = cfg.PublicHost, true
	}
	addr := func(key, listen string) (string, error) {
		h, port, err := net.SplitHostPort(listen)
		if err != nil {
			return "", fmt.Errorf("%s %q: %w", key, listen, err)
		}
		if port == "0" {
			return "", fmt.Errorf("%s %q: port 0 is any free port, which a letter cannot name; set a fixed port", key, listen)
		}
		switch {
		case replace:
			h = host
		case h == "" || net.ParseIP(h).IsUnspecified():
			if err := reachable(machine); err != nil {
				return "", fmt.Errorf("%w: %s listens on every interface, and %v; set public_host (CUSTODIA_PUBLIC_HOST) "+
					"to the name or address clients connect to, or name the host for this letter", letter.ErrHost, key, err)
			}
			h = machine
		}
		return net.JoinHostPort(h, port), nil
	}
	var err error
	if config.Enabled(cfg.SFTP.Listen) {
		if e.SFTP, err = addr("sftp.listen", cfg.SFTP.Listen); err != nil {
			return e, err
		}
		if e.HostKeyFingerprint, err = HostKeyFingerprint(cfg); err != nil {
			return e, err
		}
	}
	if config.Enabled(cfg.FTP.Listen) {
		if cfg.FTP.TLS == config.TLSOff {
			warn("ftp.tls is off: the letter leaves FTP out, as it would carry the password in clear text")
		} else if e.FTPS, err = addr("ftp.listen", cfg.FTP.Listen); err != nil {
			return e, err
		}
	}
	if config.Enabled(cfg.WebDAV.Listen) {
		if cfg.WebDAV.TLS == config.TLSOff {
			warn("webdav.tls is off: the letter leaves the mapped drive out, as its address is the reverse proxy's")
		} else {
			hp, err := addr("webdav.listen", cfg.WebDAV.Listen)
			if err != nil {
				return e, err
			}
			e.WebDAV = "https://" + strings.TrimSuffix(hp, ":443") + "/"
		}
	}
	if config.Enabled(cfg.Web.Listen) {
		hp, err := addr("web.listen", cfg.Web.Listen)
		if err != nil {
			return e, err
		}
		e.Portal = "https://" + strings.TrimSuffix(hp, ":443") + "/"
	}
	if e.FTPS != "" || e.WebDAV != "" || e.Portal != "" {
		if e.TLSFingerprint, err = TLSFingerprint(cfg); err != nil {
			return e, err
		}
	}
	return e, nil
}

// reachable says why clients could not resolve or reach a machine named
// name, or nil.
func reachable(name string) error {
	lower := strings.ToLower(strings.TrimSuffix(name, "."))
	switch {
	case name == "":
		return errors.New("this machine's name is unknown")
	case net.ParseIP(name) != nil && net.ParseIP(name).IsLoopback(),
		lower == "localhost", strings.HasSuffix(lower, ".localhost"), lower == "localhost.localdomain":
		return fmt.Errorf("this machine's name %q is a loopback address", name)
	case config.CheckHost(name) != nil:
		return fmt.Errorf("this machine's name %q is not a host name", name)
	case net.ParseIP(name) == nil && !strings.Contains(name, "."):
		return fmt.Errorf("this machine's name %q is a short name without a domain, which other machines cannot resolve", name)
	}
	return nil
}

// HostKeyFingerprint reads the SSH host key `custodia serve` uses; it
// never creates one, as a key made here would not be the one served.
func HostKeyFingerprint(cfg config.Config) (string, error) {
	file := HostKeyFile(cfg)
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no SSH host key at %s yet: start `custodia serve` once first, so that it creates it", file)
	}
	if err != nil {
		return "", fmt.Errorf("sftp host key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return "", fmt.Errorf("sftp host key %s: %w", file, err)
	}
	return ssh.FingerprintSHA256(signer.PublicKey()), nil
}

// TLSFingerprint reads the certificate the TLS front ends serve: tls.cert,
// or the generated one in the keys dir. It never generates one.
func TLSFingerprint(cfg config.Config) (string, error) {
	certFile, keyFile := cfg.TLS.Cert, cfg.TLS.Key
	generated := certFile == ""
	if generated {
		certFile, keyFile = filepath.Join(cfg.KeysDir(), "tls.crt"), filepath.Join(cfg.KeysDir(), "tls.key")
		for _, f := range []string{certFile, keyFile} {
			if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("no TLS certificate at %s yet: start `custodia serve` once first, so that it creates it", f)
			}
		}
	}
	// With both files named, LoadCertificate reads them and generates nothing.
	cert, err := gateway.LoadCertificate(certFile, keyFile, "")
	if err != nil {
		return "", err
	}
	if generated && time.Now().After(cert.Leaf.NotAfter) {
		return "", fmt.Errorf("the TLS certificate %s expired on %s: restart `custodia serve`, which replaces it, then write the letter",
			certFile, cert.Leaf.NotAfter.Format(time.DateOnly))
	}
	return gateway.Fingerprint(cert.Certificate), nil
}

// LetterEndpointsFor are the running server's, for a letter naming host
// ("": public_host, or this machine's name): the addresses its listeners
// really have.
func (s *Server) LetterEndpointsFor(host string) (letter.Endpoints, error) {
	machine, _ := os.Hostname() // unknown: "", which reachable refuses
	live := s.cfg
	for _, l := range []struct {
		name string
		dst  *string
	}{{"sftp", &live.SFTP.Listen}, {"ftp", &live.FTP.Listen}, {"webdav", &live.WebDAV.Listen}, {"web", &live.Web.Listen}} {
		if addr := s.Addr(l.name); addr != "" {
			*l.dst = addr
		}
	}
	return LetterEndpoints(live, host, machine, func(msg string) { s.log.Info(msg) })
}
