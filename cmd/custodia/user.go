package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oaq/custodia/account"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
)

func (a *app) userCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "manage users"}
	cmd.AddCommand(a.userAddCmd(), a.userListCmd(), a.userPasswdCmd(),
		a.userStatusCmd("disable", store.StatusDisabled), a.userStatusCmd("enable", store.StatusActive),
		a.userDeleteCmd(), a.userLetterCmd(), a.userKeyCmd())
	return cmd
}

func (a *app) userKeyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "key", Short: "add or remove a user's SSH keys"}
	var keyFile string
	add := &cobra.Command{
		Use: "add NAME --key FILE", Short: "attach the SSH public key in FILE", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(keyFile)
			if err != nil {
				return fmt.Errorf("--key: %w", err)
			}
			key, err := gateway.ParseKeyFile(data)
			if err != nil {
				return fmt.Errorf("--key %s: %w", keyFile, err)
			}
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			err = a.accounts(st).AddKey(cmd.Context(), a.actor(), args[0], key)
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("the key %s is already registered", key.Fingerprint)
			}
			if err != nil {
				return userErr(args[0], err)
			}
			fmt.Fprintf(a.out, "key %s added to %s\n", key.Fingerprint, args[0])
			return nil
		},
	}
	add.Flags().StringVar(&keyFile, "key", "", "SSH public key file (required)")
	add.MarkFlagRequired("key")
	remove := &cobra.Command{
		Use: "remove NAME FINGERPRINT", Short: "detach a key (SHA256:…); the user's live sessions end", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			if err := a.accounts(st).RemoveKey(cmd.Context(), a.actor(), args[0], args[1]); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("user %q has no key %s (or no such user)", args[0], args[1])
				}
				return err
			}
			fmt.Fprintf(a.out, "key %s removed from %s\n", args[1], args[0])
			return nil
		},
	}
	cmd.AddCommand(add, remove)
	return cmd
}

// readPassword reads one line from stdin and checks its strength.
func (a *app) readPassword() (string, error) {
	line, err := bufio.NewReader(a.in).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("--password-stdin: no password on standard input")
	}
	pw := strings.TrimRight(line, "\r\n")
	if err := gateway.CheckPasswordStrength(pw); err != nil {
		return "", err
	}
	return pw, nil
}

func (a *app) userAddCmd() *cobra.Command {
	var role, dept, expires string
	var clients, keyFiles, cidrs []string
	var pwStdin bool
	cmd := &cobra.Command{
		Use:   "add NAME --role ROLE [--client ID]... [--department DEPT] [--key FILE]... [--password-stdin]",
		Short: "add a user; without --password-stdin and --key a strong password is generated and printed once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			if err := store.ValidUserName(name); err != nil {
				return err
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			r, err := store.ParseRole(role)
			if err != nil {
				return err
			}
			nu := store.NewUser{Name: name, Role: r}
			if err := a.assignments(ctx, st, &nu, dept, clients); err != nil {
				return err
			}
			if err := userAccess(&nu, cidrs, expires, keyFiles); err != nil {
				return err
			}
			var generated string
			switch {
			case pwStdin:
				pw, err := a.readPassword()
				if err != nil {
					return err
				}
				if nu.PasswordHash, err = gateway.HashPassword(pw); err != nil {
					return err
				}
			case len(nu.Keys) == 0:
				generated = gateway.GeneratePassword()
				if nu.PasswordHash, err = gateway.HashPassword(generated); err != nil {
					return err
				}
			}
			if _, err := a.accounts(st).CreateUser(ctx, a.actor(), nu); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return fmt.Errorf("user %q or one of its keys already exists", name)
				}
				return err
			}
			fmt.Fprintf(a.out, "user %s added (role %s)\n", name, r)
			if generated != "" {
				fmt.Fprintf(a.out, "password: %s\n", generated)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&role, "role", "", "client, correspondent, staff, manager, publisher or admin (required)")
	f.StringVar(&dept, "department", "", "department of a staff member or manager")
	f.StringArrayVar(&clients, "client", nil, "client account id (repeatable) for a client or correspondent")
	f.StringArrayVar(&keyFiles, "key", nil, "SSH public key file (repeatable)")
	f.BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input")
	f.StringArrayVar(&cidrs, "allow-cidr", nil, "only allow logins from this address range (repeatable)")
	f.StringVar(&expires, "expires", "", "refuse logins from this RFC 3339 time on")
	cmd.MarkFlagRequired("role")
	return cmd
}

// userAccess fills what limits a new user's logins, from the flags: the
// address ranges, the expiry and the SSH keys.
func userAccess(nu *store.NewUser, cidrs []string, expires string, keyFiles []string) error {
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return fmt.Errorf("--allow-cidr %q: want an address range such as 10.0.0.0/8", c)
		}
		nu.AllowedCIDRs = append(nu.AllowedCIDRs, p.Masked())
	}
	if expires != "" {
		t, err := time.Parse(time.RFC3339, expires)
		if err != nil {
			return fmt.Errorf("--expires %q: want an RFC 3339 time such as 2027-01-31T23:59:59Z", expires)
		}
		nu.ExpiresAt = &t
	}
	for _, f := range keyFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("--key %s: %w", f, err)
		}
		key, err := gateway.ParseKeyFile(data)
		if err != nil {
			return fmt.Errorf("--key %s: %w", f, err)
		}
		nu.Keys = append(nu.Keys, key)
	}
	return nil
}

// assignments checks the department and client ids against the role,
// naming the flag at fault.
func (a *app) assignments(ctx context.Context, st *store.Store, nu *store.NewUser, dept string, clients []string) error {
	ids, err := st.CheckAssignments(ctx, nu.Role, dept, clients, a.cfg.Departments)
	var fe *store.FieldError
	if errors.As(err, &fe) {
		flag := map[string]string{"department": "--department", "clients": "--client"}[fe.Field]
		return fmt.Errorf("%s: %s", flag, fe.Msg)
	}
	if err != nil {
		return err
	}
	nu.Department, nu.Clients = dept, ids
	return nil
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func (a *app) userListCmd() *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "list users", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			users, err := st.ListUsers(cmd.Context())
			if err != nil {
				return err
			}
			for _, u := range users {
				dept, clients := orDash(u.Department), orDash(strings.Join(u.Clients, ","))
				info, err := st.Info(cmd.Context(), u)
				if err != nil {
					return err
				}
				usedBytes, usedFiles := usageText(u.Used, u.Quota)
				a.printRow(info, u.Name, u.Role, dept, clients, u.Status, u.CreatedAt.UTC().Format(time.RFC3339), fmtTime(u.LastLoginAt),
					usedBytes, usedFiles)
			}
			return nil
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) userPasswdCmd() *cobra.Command {
	var pwStdin bool
	cmd := &cobra.Command{
		Use: "passwd NAME [--password-stdin]", Short: "set a new password (generated and printed once without --password-stdin)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			pw := gateway.GeneratePassword()
			if pwStdin {
				if pw, err = a.readPassword(); err != nil {
					return err
				}
			}
			hash, err := gateway.HashPassword(pw)
			if err != nil {
				return err
			}
			n, err := a.accounts(st).SetPassword(cmd.Context(), a.actor(), args[0], hash, !pwStdin)
			if err != nil {
				return userErr(args[0], err)
			}
			a.endedSessions(args[0], n)
			fmt.Fprintf(a.out, "password of %s changed\n", args[0])
			if !pwStdin {
				fmt.Fprintf(a.out, "password: %s\n", pw)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input")
	return cmd
}

// accounts is the account service over st, with the server's live
// sessions when the command runs in the server (with no server running
// there are none).
func (a *app) accounts(st *store.Store) *account.Service {
	svc := &account.Service{Store: st}
	if a.srv != nil {
		svc.Sessions = a.srv.Core()
	}
	return svc
}

// actor is who the audit rows of the command's changes name.
func (a *app) actor() account.Actor { return account.Actor{Name: a.operator(), Protocol: "cli"} }

// endedSessions says how many live sessions of name a change ended.
func (a *app) endedSessions(name string, n int) {
	if n > 0 {
		fmt.Fprintf(a.err, "custodia: %d live session(s) of %s ended\n", n, name)
	}
}

func userErr(name string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("unknown user %q", name)
	}
	return err
}

func (a *app) userStatusCmd(verb string, s store.Status) *cobra.Command {
	return &cobra.Command{
		Use: verb + " NAME", Short: verb + " a user", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			n, err := a.accounts(st).SetStatus(cmd.Context(), a.actor(), args[0], s)
			if err != nil {
				return userErr(args[0], err)
			}
			a.endedSessions(args[0], n)
			fmt.Fprintf(a.out, "user %s %sd\n", args[0], verb)
			return nil
		},
	}
}

func (a *app) userDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use: "delete NAME", Short: "delete a user and its keys (the audit trail keeps its rows)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			n, err := a.accounts(st).Delete(cmd.Context(), a.actor(), args[0], map[string]string{"username": args[0]})
			if err != nil {
				return userErr(args[0], err)
			}
			a.endedSessions(args[0], n)
			fmt.Fprintf(a.out, "user %s deleted\n", args[0])
			return nil
		},
	}
}
