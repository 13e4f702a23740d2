package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/server"
	"github.com/oaq/custodia/store"
)

// withRunner opens what a backup command needs and runs fn.
func (a *app) withRunner(ctx context.Context, fn func(*backup.Runner, *store.Store) error) error {
	state, err := a.openAll(ctx)
	if err != nil {
		return err
	}
	st := state.Store
	if a.srv != nil { // the server's runner: its metrics, its one run per job
		return fn(a.srv.Backups(), st)
	}
	r, err := server.BackupRunner(a.cfg, st, state.Files, state.Enforcer, nil, server.Logger(a.cfg, a.err))
	if err != nil {
		return err
	}
	return fn(r, st)
}

// withJob is withRunner for commands whose optional argument names a job
// ("" for every job).
func (a *app) withJob(ctx context.Context, args []string, fn func(*backup.Runner, *store.Store, string) error) error {
	return a.withRunner(ctx, func(r *backup.Runner, st *store.Store) error {
		if len(args) == 0 {
			return fn(r, st, "")
		}
		if _, err := r.Job(args[0]); err != nil {
			return err
		}
		return fn(r, st, args[0])
	})
}

func (a *app) backupCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "backup", Short: "run, list, verify and prune backups; request, approve and run restores"}
	cmd.AddCommand(a.backupKeygenCmd(), a.backupRunCmd(), a.backupListCmd(), a.backupVerifyCmd(),
		a.backupPruneCmd(), a.restoreCmd())
	return cmd
}

func (a *app) backupKeygenCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "keygen",
		Short: "print a new age identity (keep it off this server) and, on stderr, its public key for backup.recipients",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := age.GenerateX25519Identity()
			if err != nil {
				return err
			}
			pub := id.Recipient().String()
			fmt.Fprintf(a.out, "# created: %s\n# public key: %s\n%s\n", time.Now().UTC().Format(time.RFC3339), pub, id)
			fmt.Fprintf(a.err, "Public key: %s\n", pub)
			return nil
		},
	}
}

func (a *app) backupRunCmd() *cobra.Command {
	var incremental bool
	cmd := &cobra.Command{
		Use:   "run JOB [--incremental]",
		Short: "run a backup job now (full unless --incremental), then apply its retention",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind := backup.Full
			if incremental {
				kind = backup.Incremental
			}
			return a.withRunner(cmd.Context(), func(r *backup.Runner, _ *store.Store) error {
				b, err := r.Run(cmd.Context(), args[0], kind)
				if err != nil {
					if b.ID != "" {
						return fmt.Errorf("backup %s failed: %w", b.ID, err)
					}
					return err
				}
				a.printBackup(b)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&incremental, "incremental", false, "only what changed since the job's last backup, from the event journal")
	return cmd
}

func (a *app) printBackup(b store.Backup) {
	a.printRow(b, b.ID, b.Job, b.Kind, b.Status, b.StartedAt.UTC().Format(time.RFC3339), b.Files, b.Bytes, b.Size,
		orDash(b.SHA256), orDash(b.Targets), orDash(b.Base), orDash(b.Error))
}

func (a *app) backupListCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "list [JOB] [--all]",
		Short: "list backups, oldest first: id, job, kind, status, start, files, bytes, archive size and sha256, targets, base",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withJob(cmd.Context(), args, func(r *backup.Runner, st *store.Store, job string) error {
				bs, err := st.Backups(cmd.Context(), job)
				if err != nil {
					return err
				}
				for _, b := range bs {
					if all || b.Status == store.BackupOK {
						a.printBackup(b)
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also failed, running and pruned backups")
	return cmd
}

// identities reads an age identity file.
func identities(file string) ([]age.Identity, error) {
	if file == "" {
		return nil, errors.New("--identity FILE: the age identity that decrypts the backups (from custodia backup keygen)")
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("--identity: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("--identity %s: %w", file, err)
	}
	return ids, nil
}

func (a *app) backupVerifyCmd() *cobra.Command {
	var idFile string
	cmd := &cobra.Command{
		Use:   "verify ID --identity FILE",
		Short: "decrypt a backup and check its checksum and every file's size and sha256",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := identities(idFile)
			if err != nil {
				return err
			}
			return a.withRunner(cmd.Context(), func(r *backup.Runner, _ *store.Store) error {
				m, err := r.Verify(cmd.Context(), args[0], ids)
				if err != nil {
					return fmt.Errorf("backup %s does not verify: %w", args[0], err)
				}
				files, bytes := m.Totals()
				a.printRow(map[string]any{"id": m.ID, "ok": true, "files": files, "bytes": bytes, "deleted": len(m.Deleted)},
					m.ID, "ok", files, bytes)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&idFile, "identity", "", "age identity file")
	return cmd
}

func (a *app) backupPruneCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "prune [JOB]",
		Short: "apply retention: remove the backups the jobs no longer keep (it also runs after each backup)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withJob(cmd.Context(), args, func(r *backup.Runner, _ *store.Store, job string) error {
				removed, err := r.Prune(cmd.Context(), job)
				for _, b := range removed {
					a.printBackup(b)
				}
				return err
			})
		},
	}
}

func (a *app) restoreCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "restore", Short: "restore requests: a manager approves, then the files are restored into a fresh folder"}
	cmd.AddCommand(a.restoreRequestCmd(), a.restoreApproveCmd(), a.restoreRunCmd(), a.restoreListCmd(),
		a.restoreCloseCmd("reject", "reject a request waiting for approval, as a manager who approves it (--as) or the operator",
			(*backup.Runner).Reject),
		a.restoreCloseCmd("cancel", "cancel a request not yet run, as its requester (--as) or the operator",
			(*backup.Runner).Cancel))
	return cmd
}

func (a *app) printRestore(q store.RestoreRequest) {
	expires := "-"
	if !q.ExpiresAt.IsZero() {
		expires = q.ExpiresAt.UTC().Format(time.RFC3339)
	}
	a.printRow(q, q.ID, q.BackupID, q.Path, q.Status, q.Requester, q.FiledBy, orDash(q.Approver),
		q.CreatedAt.UTC().Format(time.RFC3339), expires, q.Reason)
}

// operator names who runs a command without --as: the account that sent
// it to the server, or this process's.
func (a *app) operator() string {
	if a.caller != "" {
		return a.caller
	}
	if u, err := user.Current(); err == nil {
		return "os:" + u.Username
	}
	return "os:unknown"
}

func (a *app) restoreRequestCmd() *cobra.Command {
	var prefix, reason, as string
	cmd := &cobra.Command{
		Use:   "request BACKUP --path PREFIX --reason TEXT [--as USER]",
		Short: "ask for a backup's files under a storage path to be restored; prints the request id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withRunner(cmd.Context(), func(r *backup.Runner, st *store.Store) error {
				filer := a.operator() // files it whoever it is for: neither may approve it
				requester := filer
				if as != "" {
					u, err := st.UserByName(cmd.Context(), as)
					if err != nil {
						return fmt.Errorf("--as %s: %w", as, err)
					}
					requester = u.Name
				}
				q, err := r.Request(cmd.Context(), args[0], prefix, reason, requester, filer)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.out, q.ID)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&prefix, "path", "", "storage path to restore, e.g. /departments/operaciones")
	cmd.Flags().StringVar(&reason, "reason", "", "why the files are needed")
	cmd.Flags().StringVar(&as, "as", "", "the user who asks (sees the restored files)")
	return cmd
}

func (a *app) restoreApproveCmd() *cobra.Command {
	var as string
	var pwStdin bool
	cmd := &cobra.Command{
		Use:   "approve REQUEST --as MANAGER --password-stdin",
		Short: "approve a restore request as the manager who owns the path, with the manager's own password",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if as == "" || !pwStdin {
				return errors.New("--as MANAGER --password-stdin: the approving manager signs with their own password")
			}
			line, err := bufio.NewReader(a.in).ReadString('\n')
			if err != nil && line == "" {
				return errors.New("--password-stdin: no password on standard input")
			}
			pw := strings.TrimRight(line, "\r\n")
			return a.withRunner(cmd.Context(), func(r *backup.Runner, st *store.Store) error {
				// One answer for every refusal, whether the password was
				// right or not; the cause is in the audit trail.
				refusal := fmt.Errorf("--as %s: approval refused: wrong user or password, or %s may not approve "+
					"this restore (custodia audit --user %s says why)", as, as, as)
				q, qerr := st.RestoreRequestByID(cmd.Context(), args[0])
				u, err := a.checkPassword(cmd.Context(), st, as, pw, "backup.restore.approve")
				switch { // answered so whatever the password
				case qerr != nil:
					return qerr
				case q.Status != store.RestoreRequested:
					return fmt.Errorf("restore request %s is %s, not waiting for approval", q.ID, q.Status)
				}
				if err != nil {
					cause := "the manager's login failed"
					if le := (*gateway.LoginError)(nil); errors.As(err, &le) {
						cause += ": " + le.Reason
					}
					st.Audit(context.WithoutCancel(cmd.Context()), store.AuditEntry{User: as, Protocol: "cli",
						Action: "backup.restore.approve", VPath: args[0], SPath: q.Path, Target: q.BackupID,
						Result: store.ResultDenied, Reason: cause})
					return refusal
				}
				q, err = r.Approve(cmd.Context(), args[0], u) // audits the approval or its refusal, with the cause
				if errors.Is(err, store.ErrRestoreRefused) {
					return refusal
				}
				if err != nil {
					return err
				}
				a.printRestore(q)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "the approving manager")
	cmd.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the manager's password from standard input")
	return cmd
}

func (a *app) restoreRunCmd() *cobra.Command {
	var idFile string
	cmd := &cobra.Command{
		Use:   "run REQUEST --identity FILE",
		Short: "run an approved restore into files/restores/REQUEST/ (never over live files)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := identities(idFile)
			if err != nil {
				return err
			}
			return a.withRunner(cmd.Context(), func(r *backup.Runner, _ *store.Store) error {
				res, err := r.Restore(cmd.Context(), args[0], ids)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.out, "%s\t%s\t%d files\n", res.Request.ID, backup.RestoreDir(res.Request.ID), res.Files)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&idFile, "identity", "", "age identity file")
	return cmd
}

func (a *app) restoreListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "list restore requests: id, backup, path, status, requester, filed by, approver, created, grant expires, reason",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			qs, err := st.RestoreRequests(cmd.Context())
			if err != nil {
				return err
			}
			for _, q := range qs {
				a.printRestore(q)
			}
			return nil
		},
	}
}

// restoreCloseCmd is `restore reject` or `restore cancel`: without --as
// the operator (the OS account that holds the data dir) acts; with --as
// the user signs with their own password.
func (a *app) restoreCloseCmd(verb, short string,
	step func(*backup.Runner, context.Context, string, store.RestoreActor, string) (store.RestoreRequest, error)) *cobra.Command {
	var as, note string
	var pwStdin bool
	cmd := &cobra.Command{
		Use:   verb + " REQUEST [--as USER --password-stdin] [--note TEXT]",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var pw string
			if as != "" {
				if !pwStdin {
					return fmt.Errorf("--as %s --password-stdin: who %ss signs with their own password", as, verb)
				}
				line, err := bufio.NewReader(a.in).ReadString('\n')
				if err != nil && line == "" {
					return errors.New("--password-stdin: no password on standard input")
				}
				pw = strings.TrimRight(line, "\r\n")
			}
			return a.withRunner(cmd.Context(), func(r *backup.Runner, st *store.Store) error {
				by := store.RestoreActor{Name: a.operator()}
				if as != "" {
					u, err := a.checkPassword(cmd.Context(), st, as, pw, "backup.restore."+verb)
					if err != nil {
						st.Audit(context.WithoutCancel(cmd.Context()), store.AuditEntry{User: as, Protocol: "cli",
							Action: "backup.restore." + verb, VPath: args[0], Result: store.ResultDenied,
							Reason: "wrong user or password"})
						return err
					}
					by = store.RestoreActor{Name: u.Name, User: u}
				}
				q, err := step(r, cmd.Context(), args[0], by, note)
				if err != nil {
					return err
				}
				a.printRestore(q)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "the user who "+verb+"s")
	cmd.Flags().BoolVar(&pwStdin, "password-stdin", false, "read that user's password from standard input")
	cmd.Flags().StringVar(&note, "note", "", "why")
	return cmd
}

// checkPassword authenticates a user with their password, for commands a
// person signs (action: a manager's approval), with the one check every
// approval uses (gateway.Core.Confirm): the account rules, the dummy-hash
// timing, an "auth" audit row for the action and, in the server, its
// defender. One answer for every failure.
func (a *app) checkPassword(ctx context.Context, st *store.Store, name, pw, action string) (*store.User, error) {
	var core *gateway.Core
	if a.srv != nil {
		core = a.srv.Core()
	} else {
		var err error
		if core, err = gateway.New(gateway.Options{Store: st}); err != nil {
			return nil, err
		}
	}
	u, err := core.Confirm(ctx, gateway.Credentials{Username: name, Password: pw, Protocol: "cli",
		Session: gateway.NewSessionID(), Confirm: action})
	if err != nil {
		return nil, &refusedLogin{name: name, cause: err}
	}
	return u, nil
}

// refusedLogin says only "wrong user or password"; the cause (a
// *gateway.LoginError) is for the audit row.
type refusedLogin struct {
	name  string
	cause error
}

func (e *refusedLogin) Error() string { return "--as " + e.name + ": wrong user or password" }
func (e *refusedLogin) Unwrap() error { return e.cause }
