package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/oaq/custodia/store"
)

func (a *app) auditCmd() *cobra.Command {
	var user string
	var since time.Duration
	var limit int
	cmd := &cobra.Command{
		Use: "audit [--user U] [--since DURATION] [--limit N]", Short: "print the audit trail, oldest first",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 {
				return fmt.Errorf("--limit %d: want at least 1", limit)
			}
			if since < 0 {
				return fmt.Errorf("--since %s: want a positive duration", since)
			}
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			q := store.AuditQuery{User: user, Limit: limit}
			if since > 0 {
				q.Since = time.Now().Add(-since)
			}
			rows, err := st.QueryAudit(cmd.Context(), q)
			if err != nil {
				return err
			}
			for _, r := range rows {
				a.printRow(r, fieldsOf(r.Fields())...)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "only this user's rows")
	f.DurationVar(&since, "since", 0, "only rows newer than this, e.g. 24h")
	f.IntVar(&limit, "limit", 100, "at most this many of the newest rows")
	return cmd
}

func fieldsOf(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
