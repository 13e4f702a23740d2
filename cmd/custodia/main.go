// Command custodia is the hardened file gateway: custodia serve runs it;
// the other commands manage users, client accounts, policies and the
// audit trail, also while the server runs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // backup.time_zone works where the system has no zoneinfo

	"github.com/spf13/cobra"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/server"
	"github.com/oaq/custodia/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot(os.Stdin, os.Stdout, os.Stderr, os.Environ()).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "custodia:", store.Printable(err.Error()))
		os.Exit(1)
	}
}

// app is what every command shares: flags, the loaded config, and the
// streams (so tests run commands in-process).
type app struct {
	in       io.Reader
	out, err io.Writer
	environ  []string
	dataDir  string
	cfgFile  string
	asJSON   bool
	cfg      config.Config
	from     config.Resolved // where cfg came from

	srv    *server.Server // set when the command runs in the server process
	caller string         // "os:NAME" of who runs the command
	local  *server.State  // the data dir a command opened here
	lock   *server.DirLock
}

func newRoot(in io.Reader, out, errw io.Writer, environ []string) *cobra.Command {
	return (&app{in: in, out: out, err: errw, environ: environ}).root()
}

// root is the command tree, the same in a terminal and in the server.
func (a *app) root() *cobra.Command {
	in, out, errw := a.in, a.out, a.err
	root := &cobra.Command{
		Use:           "custodia",
		Short:         "custodia is a hardened SFTP/FTPS/WebDAV file gateway",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errw)
	root.PersistentFlags().StringVar(&a.dataDir, "data", "", "data directory (default $CUSTODIA_DATA_DIR or ./custodia-data)")
	root.PersistentFlags().StringVar(&a.cfgFile, "config", "", "TOML config file (default $CUSTODIA_CONFIG, else custodia.toml in the data dir)")
	root.PersistentFlags().BoolVar(&a.asJSON, "json", false, "print rows as JSON lines")
	root.AddCommand(a.serveCmd(), a.initCmd(), a.userCmd(), a.clientCmd(), a.quotaCmd(), a.policyCmd(), a.banCmd(), a.auditCmd(),
		a.receiptCmd(), a.hookCmd(), a.backupCmd(), a.checkConfigCmd(), a.versionCmd(), a.tokenCmd())
	a.manageDataDirCommands(root)
	return root
}

// load resolves the configuration as every command does (config.Resolve):
// file, then environment, then --data. In the server process the
// configuration is the server's.
func (a *app) load() error {
	if a.srv != nil {
		a.cfg = a.srv.Config()
		return nil
	}
	r, err := config.Resolve(config.Where{File: a.cfgFile, DataDir: a.dataDir, Environ: a.environ})
	a.cfg, a.from = r.Config, r
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	return nil
}

// openStore is openAll's store.
func (a *app) openStore(ctx context.Context) (*store.Store, error) {
	state, err := a.openAll(ctx)
	if err != nil {
		return nil, err
	}
	return state.Store, nil
}

// openAll is the data dir's store, enforcer and files tree: the server's,
// in the server process; else opened here, under the data dir's lock,
// until release.
func (a *app) openAll(ctx context.Context) (*server.State, error) {
	if a.srv != nil {
		return a.srv.State(), nil
	}
	if a.local != nil {
		return a.local, nil
	}
	if err := a.load(); err != nil {
		return nil, err
	}
	if err := server.CheckDataDir(a.cfg); err != nil { // before the lock, which would create the dir
		return nil, err
	}
	lock, err := server.LockWait(a.cfg.DataDir, 3*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%w; a custodia serve starting or stopping there, or another command, holds it: try again", err)
	}
	state, err := server.Open(ctx, a.cfg)
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	a.local, a.lock = state, lock
	return state, nil
}

// release closes what openAll opened here; the server's stays open.
func (a *app) release() {
	if a.local != nil {
		a.local.Close()
		a.local = nil
	}
	a.lock.Unlock()
	a.lock = nil
}

// printRow prints one row: tab-separated text, or a JSON line with --json.
// Each text field is store.Printable: names and paths come from strangers,
// and an escape sequence, tab or newline in one must not act on the
// terminal or forge a column or a row.
func (a *app) printRow(obj any, fields ...any) {
	if a.asJSON {
		b, _ := json.Marshal(obj)
		fmt.Fprintln(a.out, string(b))
		return
	}
	for i, f := range fields {
		if i > 0 {
			fmt.Fprint(a.out, "\t")
		}
		fmt.Fprint(a.out, store.Printable(fmt.Sprint(f)))
	}
	fmt.Fprintln(a.out)
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "print the version", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(a.out, "custodia", version)
			return nil
		},
	}
}

func (a *app) checkConfigCmd() *cobra.Command {
	return &cobra.Command{
		Use: "check-config", Short: "validate the configuration and report every problem", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(); err != nil {
				var ps config.Problems
				if errors.As(err, &ps) {
					for _, p := range ps {
						fmt.Fprintln(a.err, p)
					}
					return fmt.Errorf("%d configuration problem(s)", len(ps))
				}
				return err
			}
			if _, err := server.Hooks(a.cfg); err != nil { // the event types and roles the store knows
				fmt.Fprintln(a.err, err)
				return errors.New("1 configuration problem(s)")
			}
			for _, w := range a.cfg.Warnings() { // loads, but will not do what it says
				fmt.Fprintln(a.err, "warning:", w)
			}
			file := a.from.File
			if file == "" {
				file = "none (no --config, no CUSTODIA_CONFIG, no " + filepath.Join(a.cfg.DataDir, config.DefaultFileName) + ")"
			}
			fmt.Fprintln(a.out, "# file:", file)
			fmt.Fprintln(a.out, "# environment:", orDash(strings.Join(a.from.Env, " ")))
			for _, kv := range config.Keys(a.cfg) {
				fmt.Fprintf(a.out, "%s = %s\n", kv[0], kv[1])
			}
			fmt.Fprintln(a.out, "configuration ok")
			return nil
		},
	}
}
