// Command bench measures custodia beside the servers it replaces, on
// loopback, with the clients people use, and prints one side-by-side
// table (issue 17's): OpenSSH's internal-sftp, vsftpd with FTPS, custodia
// over SFTP, FTPS and WebDAV (the real binary in its own process), and
// SFTPGo's three when given its binary. README.md says what it needs and
// how each row is measured.
//
//	go run ./bench -quick
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/oaq/custodia/internal/soak"
	"github.com/oaq/custodia/internal/yardstick"
)

// config is what the flags ask for.
type config struct {
	options
	columns   map[string]bool
	custodia  string // a custodia binary; "" builds one from this module
	sftpgo    string // an SFTPGo binary; "" leaves its columns out
	sftpgoSrc string // its source tree (templates/, static/, openapi/)
	scratch   string // parent of the run's scratch folder
}

func main() {
	cfg, asJSON, timeout, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if asJSON {
		err = res.json(os.Stdout)
	} else {
		res.markdown(os.Stdout, cfg.rows)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (config, bool, time.Duration, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.String("size", "1GiB", "size of the big file (KiB, MiB, GiB or bytes)")
	quick := fs.Bool("quick", false, "256 MiB file, 200 small files, 10 parallel uploads, 50 idle sessions")
	reps := fs.Int("reps", 3, "repetitions of each throughput row (the median is printed)")
	small := fs.Int("small", 1000, "4 KiB files uploaded in one session")
	parallel := fs.Int("parallel", 20, "uploads at once")
	psize := fs.String("parallel-size", "50MiB", "bytes per parallel upload")
	idle := fs.Int("idle", 100, "idle logged-in sessions")
	only := fs.String("only", "", "comma-separated columns ("+strings.Join(columnKeys, ", ")+
		"; custodia, sftpgo for three each) and/or rows ("+strings.Join(rowGroups, ", ")+"); default all")
	asJSON := fs.Bool("json", false, "print JSON instead of the markdown table")
	cfg := config{}
	fs.StringVar(&cfg.custodia, "custodia", "", "custodia binary to run (default: build this module's)")
	fs.StringVar(&cfg.sftpgo, "sftpgo", "", "SFTPGo binary, built from its source outside this repository (optional)")
	fs.StringVar(&cfg.sftpgoSrc, "sftpgo-source", "", "SFTPGo's source tree, for its templates (default: the binary's folder)")
	fs.StringVar(&cfg.scratch, "dir", os.TempDir(), "where the run's scratch folder goes (removed at the end)")
	timeout := fs.Duration("timeout", time.Hour, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return cfg, false, 0, err
	}
	if fs.NArg() > 0 {
		return cfg, false, 0, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick { // an explicit flag wins over -quick
		if !set["size"] {
			*size = "256MiB"
		}
		if !set["small"] {
			*small = 200
		}
		if !set["parallel"] {
			*parallel = 10
		}
		if !set["idle"] {
			*idle = 50
		}
	}
	var err error
	if cfg.size, err = parseSize(*size); err != nil {
		return cfg, false, 0, fmt.Errorf("-size: %w", err)
	}
	if cfg.psize, err = parseSize(*psize); err != nil {
		return cfg, false, 0, fmt.Errorf("-parallel-size: %w", err)
	}
	for name, n := range map[string]int{"reps": *reps, "small": *small, "parallel": *parallel, "idle": *idle} {
		if n < 0 || name == "reps" && n < 1 {
			return cfg, false, 0, fmt.Errorf("-%s %d: want a positive count", name, n)
		}
	}
	if cfg.sftpgoSrc == "" && cfg.sftpgo != "" {
		cfg.sftpgoSrc = filepath.Dir(cfg.sftpgo)
	}
	cfg.reps, cfg.small, cfg.parallel, cfg.idle = *reps, *small, *parallel, *idle
	cfg.columns, cfg.rows, err = selection(*only, cfg.sftpgo != "")
	return cfg, *asJSON, *timeout, err
}

// selection reads -only: the columns and row groups to measure.
func selection(only string, sftpgo bool) (map[string]bool, map[string]bool, error) {
	cols, rows := map[string]bool{}, map[string]bool{}
	for _, w := range strings.Split(only, ",") {
		w = strings.TrimSpace(w)
		switch {
		case w == "":
		case slices.Contains(rowGroups, w):
			rows[w] = true
		case slices.Contains(columnKeys, w):
			cols[w] = true
		case w == "custodia" || w == "sftpgo":
			for _, k := range columnKeys {
				if strings.HasPrefix(k, w+"-") {
					cols[k] = true
				}
			}
		default:
			return nil, nil, fmt.Errorf("-only: %q is neither a column (%s, custodia, sftpgo) nor a row (%s)",
				w, strings.Join(columnKeys, ", "), strings.Join(rowGroups, ", "))
		}
	}
	if len(cols) == 0 {
		for _, k := range columnKeys {
			cols[k] = !strings.HasPrefix(k, "sftpgo-") || sftpgo
		}
	}
	for k := range cols {
		if strings.HasPrefix(k, "sftpgo-") && cols[k] && !sftpgo {
			return nil, nil, errors.New("-only names SFTPGo's columns: give its binary with -sftpgo")
		}
	}
	if len(rows) == 0 {
		for _, r := range rowGroups {
			rows[r] = true
		}
	}
	return cols, rows, nil
}

// need is what the selected columns need installed, as one error naming
// everything missing.
func need(cfg config) error {
	tools := map[string]bool{}
	root := false
	for k, on := range cfg.columns {
		if !on {
			continue
		}
		switch {
		case k == "openssh":
			tools["sshd"], tools["sftp"], root = true, true, true
		case k == "vsftpd":
			tools["vsftpd"], tools["curl"], root = true, true, true
		case strings.HasSuffix(k, "-sftp"):
			tools["sftp"] = true
		default:
			tools["curl"] = true
		}
	}
	var names []string
	for t := range tools {
		names = append(names, t)
	}
	slices.Sort(names)
	var errs []error
	if err := yardstick.Need(names...); err != nil {
		errs = append(errs, err)
	}
	if root {
		if err := yardstick.NeedRoot("sshd and vsftpd run as root; leave their columns out with -only"); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.custodia == "" && anyCustodia(cfg.columns) {
		if _, err := yardstick.Look("go"); err != nil {
			errs = append(errs, fmt.Errorf("%w: go, to build custodia (or give a binary with -custodia)", yardstick.ErrMissing))
		}
	}
	if cfg.sftpgo != "" {
		if st, err := os.Stat(cfg.sftpgo); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			errs = append(errs, fmt.Errorf("-sftpgo %s: not an executable file", cfg.sftpgo))
		}
	}
	return errors.Join(errs...)
}

func anyCustodia(cols map[string]bool) bool {
	return cols["custodia-sftp"] || cols["custodia-ftps"] || cols["custodia-webdav"]
}

// run measures every selected column, one server at a time, and removes
// everything it made.
func run(ctx context.Context, cfg config) (*result, error) {
	if cfg.log == nil {
		cfg.log = os.Stderr
	}
	if err := need(cfg); err != nil {
		return nil, fmt.Errorf("cannot run: %w", err)
	}
	dir, err := os.MkdirTemp(cfg.scratch, "custodia-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	res := &result{Date: time.Now().UTC().Format(time.RFC3339), Machine: machine(), Size: cfg.size, Reps: cfg.reps,
		Small: cfg.small, Parallel: cfg.parallel, PSize: cfg.psize, Idle: cfg.idle}
	res.Load[0] = loadAverage()
	f, err := makeFiles(dir, cfg.options)
	if err != nil {
		return nil, err
	}
	type starter struct {
		keys  []string
		start func(dir string) (*server, error)
	}
	starters := []starter{
		{[]string{"openssh"}, startOpenSSH},
		{[]string{"vsftpd"}, startVsftpd},
		{[]string{"custodia-sftp", "custodia-ftps", "custodia-webdav"}, func(d string) (*server, error) {
			bin := cfg.custodia
			if bin == "" {
				fmt.Fprintln(cfg.log, "building custodia")
				if bin, err = soak.Build(ctx, d); err != nil {
					return nil, err
				}
			}
			return startCustodia(ctx, bin, d, max(1, cfg.parallel))
		}},
		{[]string{"sftpgo-sftp", "sftpgo-ftps", "sftpgo-webdav"}, func(d string) (*server, error) {
			return startSFTPGo(cfg.sftpgo, cfg.sftpgoSrc, d)
		}},
	}
	for i, s := range starters {
		if !slices.ContainsFunc(s.keys, func(k string) bool { return cfg.columns[k] }) {
			continue
		}
		sd, err := mkdir(dir, fmt.Sprint(i))
		if err != nil {
			return nil, err
		}
		srv, err := s.start(sd)
		if err != nil {
			return nil, fmt.Errorf("starting %s: %w", strings.Join(s.keys, ", "), err)
		}
		err = func() error {
			defer srv.stop()
			// Idle sessions first, on a server no transfer has touched
			// yet: memory a Go server hands back slowly after big
			// transfers would otherwise skew the difference.
			first, rest := cfg.options, cfg.options
			first.rows, rest.rows = map[string]bool{"idle": cfg.rows["idle"]}, maps.Clone(cfg.rows)
			delete(rest.rows, "idle")
			var cols []columnResult
			for _, o := range []options{first, rest} {
				for i, c := range slices.DeleteFunc(slices.Clone(srv.columns), func(c *column) bool { return !cfg.columns[c.key] }) {
					v, err := measure(ctx, c, f, o)
					if err != nil {
						return fmt.Errorf("%s: %w", c.key, err)
					}
					if i == len(cols) {
						cols = append(cols, columnResult{Key: c.key, Title: c.title, Values: map[string]float64{}})
					}
					maps.Copy(cols[i].Values, v)
				}
			}
			res.Columns = append(res.Columns, cols...)
			return nil
		}()
		os.RemoveAll(sd) // the next server gets the disk space
		if err != nil {
			return nil, err
		}
	}
	res.Load[1] = loadAverage()
	return res, nil
}

// machine names the CPU count, kernel and Go version.
func machine() string {
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%d cores, Linux %s, %s", runtime.NumCPU(), strings.TrimSpace(string(kernel)), runtime.Version())
}

// loadAverage is the 1-minute load average.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}
