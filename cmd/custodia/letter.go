package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/letter"
	"github.com/oaq/custodia/server"
	"github.com/oaq/custodia/store"
)

func (a *app) userLetterCmd() *cobra.Command {
	var file, host string
	var force, password bool
	cmd := &cobra.Command{
		Use:   "letter NAME -o FILE [--host NAME] [--password[=false]] [--force]",
		Short: "set a new generated password and write it, with how to connect, in a PDF credential letter",
		Long: `letter sets a new generated password for the user and writes it only into a
one-page PDF letter in Spanish, with the server addresses, how to connect and
the SSH and TLS fingerprints to check on the first connection. The previous
password stops working. Nothing secret is printed. The fingerprints are read
from the keys custodia serve created, so it must have started once.

An account that logs in with its SSH keys only (no password) gets a key
letter instead, which changes nothing: SFTP, its keys' fingerprints and the
host key. --password gives it a password letter (and a password);
--password=false writes a key letter for an account that has both.

The addresses name --host, else public_host, else, for listeners on every
interface, this machine's name, refused when clients could not resolve or
reach it (a short name without a domain, localhost).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if cmd.Flags().Changed("host") && host == "" {
				return errors.New("--host: empty; name the server clients connect to")
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			u, err := st.UserByName(ctx, args[0])
			if err != nil {
				return userErr(args[0], err)
			}
			keys, err := st.KeysOf(ctx, u.ID)
			if err != nil {
				return err
			}
			var asked *bool
			if cmd.Flags().Changed("password") {
				asked = &password
			}
			withPassword := letter.WantsPassword(u, len(keys), asked)
			l, err := a.letterOf(u, host, withPassword, keys)
			if err != nil {
				return err
			}
			pdf, err := letter.Render(l)
			if err != nil {
				return err
			}
			hash := ""
			if withPassword {
				if hash, err = gateway.HashPassword(l.Password); err != nil {
					return err
				}
			}
			return a.deliverLetter(ctx, st, sentLetter{user: u, pdf: pdf, hash: hash, file: file, force: force})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "output", "o", "", "PDF file to create, mode 0600 (- for standard output); required")
	f.StringVar(&host, "host", "", "server name or address for every one of the letter's addresses (default: public_host, else this machine's name for listeners on every interface)")
	f.BoolVar(&password, "password", false, "set a password and write it in the letter, also for an account that logs in with SSH keys only (=false: a key letter)")
	f.BoolVar(&force, "force", false, "replace FILE if it exists")
	cmd.MarkFlagRequired("output")
	return cmd
}

// sentLetter is a rendered letter on its way: to its file ("-": standard
// output), and with hash, the password hash it sets ("" for a key letter).
type sentLetter struct {
	user  *store.User
	pdf   []byte
	hash  string
	file  string
	force bool
}

// deliverLetter writes the letter, then sets its password and audits it.
func (a *app) deliverLetter(ctx context.Context, st *store.Store, l sentLetter) error {
	// A file is written before the password changes, and removed if
	// the change fails, so a new password is never lost. Standard
	// output cannot be taken back: it gets the letter afterwards.
	msg, dest := a.out, l.file
	if l.file == "-" {
		msg, dest = a.err, "standard output"
	} else if err := writeLetterFile(l.file, l.pdf, l.force); err != nil {
		return err
	}
	if l.hash != "" {
		n, err := a.accounts(st).SetPassword(ctx, a.actor(), l.user.Name, l.hash, true)
		if err != nil {
			if l.file != "-" {
				os.Remove(l.file)
			}
			return userErr(l.user.Name, err)
		}
		a.endedSessions(l.user.Name, n)
	}
	if l.file == "-" {
		if _, err := a.out.Write(l.pdf); err != nil {
			if l.hash == "" {
				return fmt.Errorf("the key letter of %s was not written: %w", l.user.Name, err)
			}
			return fmt.Errorf("the password of %s changed, but the letter was not written: %w", l.user.Name, err)
		}
	}
	reason, done := "password reset; the new one is only in the letter", "the previous password no longer works"
	if l.hash == "" {
		reason, done = "key letter; no password set", "it carries no password and changed nothing"
	}
	if err := st.Audit(context.WithoutCancel(ctx), store.AuditEntry{
		User: l.user.Name, Role: l.user.Role, Protocol: "cli", Action: "letter", Result: store.ResultOK, Reason: reason,
	}); err != nil {
		return fmt.Errorf("letter for %s written to %s, but not audited: %w", l.user.Name, dest, err)
	}
	if l.user.Status != store.StatusActive {
		fmt.Fprintf(a.err, "custodia: user %s is %s; the letter works after: custodia user enable %s\n",
			l.user.Name, l.user.Status, l.user.Name)
	}
	fmt.Fprintf(msg, "letter for %s written to %s; %s\n", l.user.Name, dest, done)
	return nil
}

// letterOf is u's letter naming the server as host (or public_host, or
// this machine's name): on the running server's ports in the server, on
// the configuration's otherwise; with a new generated password, or a key
// letter naming keys.
func (a *app) letterOf(u *store.User, host string, withPassword bool, keys []store.Key) (letter.Letter, error) {
	var e letter.Endpoints
	var err error
	if a.srv != nil {
		e, err = a.srv.LetterEndpointsFor(host)
	} else {
		machine, _ := os.Hostname() // unknown: "", which LetterEndpoints refuses if it needs it
		warn := func(msg string) { fmt.Fprintln(a.err, "custodia:", msg) }
		e, err = server.LetterEndpoints(a.cfg, host, machine, warn)
	}
	if errors.Is(err, letter.ErrHost) && host == "" {
		return letter.Letter{}, fmt.Errorf("%w (--host)", err)
	}
	if err != nil {
		return letter.Letter{}, err
	}
	l, err := letter.For(u, a.cfg.Organization, e)
	if err != nil {
		return l, err
	}
	if withPassword {
		l.Password = gateway.GeneratePassword()
		return l, nil
	}
	return l.WithKeys(keys)
}

// writeLetterFile writes a letter (or a receipt) with mode 0600: a new file, or with force
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
	if err := gateway.WriteFileAtomic(file, pdf, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}
