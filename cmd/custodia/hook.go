package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/oaq/custodia/store"
)

// hookCmd shows the events hooks gave up on, skips the event a hook is
// stuck on, and asks for one more try of a dead letter.
func (a *app) hookCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "hook", Short: "event hooks: dead letters (events a hook gave up on), skip, retry"}
	dead := &cobra.Command{
		Use: "dead-letters [HOOK]", Short: "events the hooks gave up on, oldest first", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			hook := ""
			if len(args) == 1 {
				hook = args[0]
			}
			ds, err := st.DeadLetters(cmd.Context(), hook)
			if err != nil {
				return err
			}
			for _, d := range ds {
				retry := "-"
				if d.Retry {
					retry = "retry-pending"
				}
				a.printRow(d, d.Hook, d.Seq, d.EventID, d.Type, d.Attempts, d.DeadAt.UTC().Format(time.RFC3339), retry, d.LastError)
			}
			return nil
		},
	}
	skip := &cobra.Command{
		Use: "skip HOOK", Short: "give up on the event a hook is failing on now (it becomes a dead letter) and go on",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			seq, err := st.HookSkip(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "hook %s skipped event %d\n", store.Printable(args[0]), seq)
			return a.auditHookChange(cmd, "admin.hook.skip", args[0], seq)
		},
	}
	retry := &cobra.Command{
		Use: "retry HOOK SEQ", Short: "ask for one more try of a dead letter (made when the hook has nothing newer to deliver)",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			seq, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil || seq < 1 {
				return fmt.Errorf("seq %q: want the event's number from custodia hook dead-letters", args[1])
			}
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			if err := st.RetryDeadLetter(cmd.Context(), args[0], seq); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "hook %s will retry event %d\n", store.Printable(args[0]), seq)
			return a.auditHookChange(cmd, "admin.hook.retry", args[0], seq)
		},
	}
	cmd.AddCommand(dead, skip, retry)
	return cmd
}

func (a *app) auditHookChange(cmd *cobra.Command, action, hook string, seq int64) error {
	st, err := a.openStore(cmd.Context())
	if err != nil {
		return err
	}
	return st.Audit(cmd.Context(), store.AuditEntry{User: a.operator(), Role: store.RoleAdmin, Protocol: "cli",
		Action: action, VPath: "/api/v1/hooks/" + hook + "/dead-letters/" + strconv.FormatInt(seq, 10), Result: store.ResultOK})
}
