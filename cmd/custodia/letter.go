package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/admin"
	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
)

func (a *app) userLetterCmd() *cobra.Command {
	var file, host string
	var force bool
	cmd := &cobra.Command{
		Use:   "letter NAME -o FILE [--host NAME] [--force]",
		Short: "set a new generated password and write it, with how to connect, in a PDF credential letter",
		Long: `letter sets a new generated password for the user and writes it only into a
one-page PDF letter in Spanish, with the server addresses, how to connect and
the SSH and TLS fingerprints to check on the first connection. The previous
password stops working. Nothing secret is printed. The fingerprints are read
from the keys custodia serve created, so it must have started once.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.UserByName(ctx, args[0])
			if err != nil {
				return userErr(args[0], err)
			}
			if host == "" {
				if host, err = os.Hostname(); err != nil {
					return fmt.Errorf("--host: this machine's name is unknown (%w); name the server with --host", err)
				}
			}
			l, err := a.letterFor(u, host, cmd.Flags().Changed("host"))
			if err != nil {
				return err
			}
			l.Password = gateway.GeneratePassword()
			pdf, err := admin.RenderLetter(l)
			if err != nil {
				return err
			}
			hash, err := gateway.HashPassword(l.Password)
			if err != nil {
				return err
			}
			// A file is written before the password changes, and removed if
			// the change fails, so a new password is never lost. Standard
			// output cannot be taken back: it gets the letter afterwards.
			msg, dest := a.out, file
			if file == "-" {
				msg, dest = a.err, "standard output"
			} else if err := writeLetterFile(file, pdf, force); err != nil {
				return err
			}
			if err := st.SetPasswordHash(ctx, u.Name, hash); err != nil {
				if file != "-" {
					os.Remove(file)
				}
				return userErr(u.Name, err)
			}
			if file == "-" {
				if _, err := a.out.Write(pdf); err != nil {
					return fmt.Errorf("the password of %s changed, but the letter was not written: %w", u.Name, err)
				}
			}
			if err := st.Audit(context.WithoutCancel(ctx), store.AuditEntry{
				User: u.Name, Role: u.Role, Protocol: "cli", Action: "letter", Result: store.ResultOK,
				Reason: "password reset; the new one is only in the letter",
			}); err != nil {
				return fmt.Errorf("letter for %s written to %s, but not audited: %w", u.Name, dest, err)
			}
			if u.Status != store.StatusActive {
				fmt.Fprintf(a.err, "custodia: user %s is %s; the letter's password works after: custodia user enable %s\n",
					u.Name, u.Status, u.Name)
			}
			fmt.Fprintf(msg, "letter for %s written to %s; the previous password no longer works\n", u.Name, dest)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "output", "o", "", "PDF file to create, mode 0600 (- for standard output); required")
	f.StringVar(&host, "host", "", "server name for the letter's addresses (default: this machine's name for listeners on every interface; set, it replaces every listener's host)")
	f.BoolVar(&force, "force", false, "replace FILE if it exists")
	cmd.MarkFlagRequired("output")
	return cmd
}

// letterFor fills a letter, without the password, from the configuration
// and the keys custodia serve created: the addresses the user's role can
// use and the fingerprints of the front ends named.
func (a *app) letterFor(u *store.User, host string, hostSet bool) (admin.Letter, error) {
	if host == "" || strings.ContainsAny(host, " /@[]") {
		return admin.Letter{}, fmt.Errorf("--host %q: want a host name or an IP address", host)
	}
	l := admin.Letter{
		Organization: a.cfg.Organization, Username: u.Name, Role: string(u.Role), Date: time.Now(),
	}
	addr := func(key, listen string) (string, error) {
		h, port, err := net.SplitHostPort(listen)
		if err != nil {
			return "", fmt.Errorf("%s %q: %w", key, listen, err)
		}
		if port == "0" {
			return "", fmt.Errorf("%s %q: port 0 is any free port, which a letter cannot name; set a fixed port", key, listen)
		}
		if hostSet || h == "" || net.ParseIP(h).IsUnspecified() {
			h = host
		}
		return net.JoinHostPort(h, port), nil
	}
	var err error
	c := a.cfg
	if config.Enabled(c.SFTP.Listen) {
		if l.SFTP, err = addr("sftp.listen", c.SFTP.Listen); err != nil {
			return l, err
		}
		if l.HostKeyFingerprint, err = a.hostKeyFingerprint(); err != nil {
			return l, err
		}
	}
	if config.Enabled(c.FTP.Listen) {
		if c.FTP.TLS == config.TLSOff {
			fmt.Fprintln(a.err, "custodia: ftp.tls is off: the letter leaves FTP out, as it would carry the password in clear text")
		} else if l.FTPS, err = addr("ftp.listen", c.FTP.Listen); err != nil {
			return l, err
		}
	}
	if config.Enabled(c.WebDAV.Listen) && (u.Role.HasDepartment() || u.Role == store.RoleAdmin) {
		if c.WebDAV.TLS == config.TLSOff {
			fmt.Fprintln(a.err, "custodia: webdav.tls is off: the letter leaves the mapped drive out, as its address is the reverse proxy's")
		} else {
			hp, err := addr("webdav.listen", c.WebDAV.Listen)
			if err != nil {
				return l, err
			}
			l.WebDAV = "https://" + strings.TrimSuffix(hp, ":443") + "/"
		}
	}
	if l.SFTP == "" && l.FTPS == "" && l.WebDAV == "" {
		return l, errors.New("the letter would name no way in: sftp.listen and ftp.listen are off (or ftp.tls is)")
	}
	if l.FTPS != "" || l.WebDAV != "" {
		if l.TLSFingerprint, err = a.tlsFingerprint(); err != nil {
			return l, err
		}
	}
	return l, nil
}

// hostKeyFingerprint reads the SSH host key custodia serve uses; it never
// creates one, as a key made here would not be the one served.
func (a *app) hostKeyFingerprint() (string, error) {
	file := a.cfg.SFTP.HostKey
	if file == "" {
		file = filepath.Join(a.cfg.KeysDir(), "ssh_host_ed25519_key") // as startSFTP
	}
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

// tlsFingerprint reads the certificate the TLS front ends serve: tls.cert,
// or the generated one in the keys dir. It never generates one.
func (a *app) tlsFingerprint() (string, error) {
	certFile, keyFile := a.cfg.TLS.Cert, a.cfg.TLS.Key
	generated := certFile == ""
	if generated {
		certFile, keyFile = filepath.Join(a.cfg.KeysDir(), "tls.crt"), filepath.Join(a.cfg.KeysDir(), "tls.key")
		for _, f := range []string{certFile, keyFile} {
			if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("no TLS certificate at %s yet: start `custodia serve` once first, so that it creates it", f)
			}
		}
	}
	// With both files named, LoadCertificate reads them and generates nothing.
	cert, _, err := gateway.LoadCertificate(certFile, keyFile, "")
	if err != nil {
		return "", err
	}
	if generated && time.Now().After(cert.Leaf.NotAfter) {
		return "", fmt.Errorf("the TLS certificate %s expired on %s: restart `custodia serve`, which replaces it, then write the letter",
			certFile, cert.Leaf.NotAfter.Format(time.DateOnly))
	}
	return gateway.Fingerprint(cert), nil
}

// writeLetterFile writes a letter with mode 0600: a new file, or with force
// a replacement renamed into place, so an existing file's mode, owner and
// links are not kept.
func writeLetterFile(file string, pdf []byte, force bool) error {
	write := func(f *os.File) error {
		_, err := f.Write(pdf)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	if !force {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; use --force to replace it", file)
		}
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			os.Remove(file)
			return fmt.Errorf("write %s: %w", file, err)
		}
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(file), ".letter-*.pdf")
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := os.Rename(f.Name(), file); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
