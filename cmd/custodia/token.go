package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oaq/custodia/account"
	"github.com/oaq/custodia/store"
)

func (a *app) tokenCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "admin API keys: create (with a scope), list, revoke"}
	cmd.AddCommand(a.tokenCreateCmd(), a.tokenListCmd(), a.tokenRevokeCmd())
	return cmd
}

// tokenCreateCmd makes an API key. The scope has no default: a key is a
// credential handed to a program, and whoever hands it over says what it
// may do (metrics for Prometheus, read for reports, admin for scripts
// that change things) rather than getting a full admin credential, or a
// read key that can read the audit trail, without asking for it.
func (a *app) tokenCreateCmd() *cobra.Command {
	var user, scope, expires string
	cmd := &cobra.Command{
		Use:   "create NAME --user ADMIN --scope metrics|read|admin [--expires TIME]",
		Short: "make an API key that acts as the admin ADMIN within its scope; the key is printed once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if strings.TrimSpace(name) == "" || len(name) > 100 {
				return errors.New("NAME: name the key (1 to 100 characters), e.g. the program that uses it")
			}
			sc, err := store.ParseScope(scope)
			if err != nil {
				return fmt.Errorf("--scope: %w: metrics gets only /metrics, read the GET endpoints, admin everything", err)
			}
			if user == "" {
				return errors.New("--user ADMIN: the admin account the key acts as (it stops working with that account)")
			}
			var exp *time.Time
			if expires != "" {
				t, err := time.Parse(time.RFC3339, expires)
				if err != nil {
					return fmt.Errorf("--expires %q: want an RFC 3339 time such as 2027-01-31T23:59:59Z", expires)
				}
				if !t.After(time.Now()) {
					return fmt.Errorf("--expires %s: must be in the future", expires)
				}
				exp = &t
			}
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			k, secret, err := a.accounts(st).CreateAPIKey(cmd.Context(), a.actor(), name, user, sc, exp)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("--user %s: no such user", user)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.err, "custodia: API key %d (%s, scope %s) for %s; it is shown only now:\n", k.ID, k.Name, k.Scope, k.User)
			fmt.Fprintln(a.out, secret)
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the admin the key acts as (required)")
	cmd.Flags().StringVar(&scope, "scope", "", "metrics (only /metrics), read (GET endpoints) or admin (everything); required")
	cmd.Flags().StringVar(&expires, "expires", "", "the key stops working at this RFC 3339 time")
	return cmd
}

func (a *app) tokenListCmd() *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "list API keys: id, name, user, scope, created, expires, revoked", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			ts, err := st.ListTokens(cmd.Context(), store.TokenAPIKey)
			if err != nil {
				return err
			}
			for _, t := range ts {
				k := account.ViewKey(t)
				a.printRow(k, k.ID, k.Name, k.User, k.Scope, k.CreatedAt.UTC().Format(time.RFC3339),
					fmtTime(k.ExpiresAt), fmtTime(k.RevokedAt))
			}
			return nil
		},
	}
}

func (a *app) tokenRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use: "revoke ID", Short: "end an API key at once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("ID %q: want the number token list shows", args[0])
			}
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			if _, err := a.accounts(st).RevokeAPIKey(cmd.Context(), a.actor(), id); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no API key %d", id)
				}
				return err
			}
			fmt.Fprintf(a.out, "API key %d revoked\n", id)
			return nil
		},
	}
}
