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
		fmt.Fprintln(os.Stderr, "custodia:", err)
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
}

func newRoot(in io.Reader, out, errw io.Writer, environ []string) *cobra.Command {
	a := &app{in: in, out: out, err: errw, environ: environ}
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
	root.AddCommand(a.serveCmd(), a.initCmd(), a.userCmd(), a.clientCmd(), a.policyCmd(), a.auditCmd(),
		a.backupCmd(), a.checkConfigCmd(), a.versionCmd())
	return root
}

// load resolves the configuration as every command does (config.Resolve):
// file, then environment, then --data.
func (a *app) load() error {
	r, err := config.Resolve(config.Where{File: a.cfgFile, DataDir: a.dataDir, Environ: a.environ})
	a.cfg, a.from = r.Config, r
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	return nil
}

// openStore opens the data dir's database, creating the dir if needed.
func (a *app) openStore(ctx context.Context) (*store.Store, error) {
	if err := a.load(); err != nil {
		return nil, err
	}
	return server.OpenStore(ctx, a.cfg)
}

// openAll opens the store, the enforcer and the files tree.
func (a *app) openAll(ctx context.Context) (*server.State, error) {
	if err := a.load(); err != nil {
		return nil, err
	}
	return server.Open(ctx, a.cfg)
}

// printRow prints one row: tab-separated text, or a JSON line with --json.
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
		fmt.Fprint(a.out, f)
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
