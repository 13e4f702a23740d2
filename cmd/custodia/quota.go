package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/store"
)

// usageText is an account's usage against its quota, as list commands
// print it in two columns: bytes/quota-bytes and files/quota-files, "-"
// for no limit.
func usageText(u store.Usage, q store.Limit) (bytes, files string) {
	lim := func(n int64) string {
		if n == 0 {
			return "-"
		}
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprintf("%d/%s", u.Bytes, lim(q.Bytes)), fmt.Sprintf("%d/%s", u.Files, lim(q.Files))
}

func (a *app) quotaCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "quota", Short: "set quotas and reconcile usage with the files"}
	var bytes, files string
	// limit is the quota the flags ask for, over old.
	limit := func(cmd *cobra.Command, old store.Limit) (store.Limit, error) {
		if !cmd.Flags().Changed("bytes") && !cmd.Flags().Changed("files") {
			return old, errors.New("give --bytes, --files or both")
		}
		q := old
		if cmd.Flags().Changed("bytes") {
			n, err := config.ParseSize(bytes)
			if err != nil {
				return q, fmt.Errorf("--bytes: %w", err)
			}
			q.Bytes = n
		}
		if cmd.Flags().Changed("files") {
			n, err := strconv.ParseInt(files, 10, 64)
			if err != nil || n < 0 {
				return q, fmt.Errorf("--files: %q is not 0 (no limit) or a positive count", files)
			}
			q.Files = n
		}
		return q, nil
	}
	user := &cobra.Command{
		Use: "user NAME --bytes SIZE --files N", Short: "set a user's quota (0: no limit)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			u, err := st.UserByName(cmd.Context(), args[0])
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no user %q", args[0])
			}
			if err != nil {
				return err
			}
			q, err := limit(cmd, u.Quota)
			if err != nil {
				return err
			}
			if u, err = a.accounts(st).SetUserQuota(cmd.Context(), a.actor(), u.Name, q); err != nil {
				return err
			}
			b, n := usageText(u.Used, u.Quota)
			fmt.Fprintf(a.out, "user %s quota: bytes %s, files %s\n", store.Printable(u.Name), b, n)
			return nil
		},
	}
	client := &cobra.Command{
		Use: "client ID --bytes SIZE --files N", Short: "set a client account's quota (0: no limit)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := store.NormalizeClientID(args[0])
			if err != nil {
				return err
			}
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			c, err := st.ClientByID(cmd.Context(), id)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no client %q", id)
			}
			if err != nil {
				return err
			}
			q, err := limit(cmd, c.Quota)
			if err != nil {
				return err
			}
			if err := a.accounts(st).SetClientQuota(cmd.Context(), a.actor(), id, q); err != nil {
				return err
			}
			b, n := usageText(c.Used, q)
			fmt.Fprintf(a.out, "client %s quota: bytes %s, files %s\n", store.Printable(id), b, n)
			return nil
		},
	}
	for _, c := range []*cobra.Command{user, client} {
		c.Flags().StringVar(&bytes, "bytes", "0", "bytes quota: a size like 10GiB; 0 is no limit")
		c.Flags().StringVar(&files, "files", "0", "file-count quota; 0 is no limit")
	}
	scan := &cobra.Command{
		Use: "scan", Short: "recount every account's usage from the files and fix what differs", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			state, err := a.openAll(cmd.Context())
			if err != nil {
				return err
			}
			diffs, err := state.Files.ScanUsage(cmd.Context(), state.Store)
			if err != nil {
				return err
			}
			for _, d := range diffs {
				a.printRow(d, d.Kind, d.Name, fmt.Sprintf("%d/%d", d.Was.Bytes, d.Was.Files),
					fmt.Sprintf("%d/%d", d.Is.Bytes, d.Is.Files))
			}
			if !a.asJSON {
				fmt.Fprintf(a.err, "custodia: %d difference(s) fixed\n", len(diffs))
			}
			return nil
		},
	}
	cmd.AddCommand(user, client, scan)
	return cmd
}
