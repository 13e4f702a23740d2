package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/oaq/custodia/server"
)

// ownCommands run where they are typed: they create a data dir, serve it,
// or never open one.
var ownCommands = []string{"custodia serve", "custodia init", "custodia check-config", "custodia version",
	"custodia backup keygen"}

// pathFlags name files: sent to the server as absolute paths.
var pathFlags = []string{"key", "output", "identity"}

// manageDataDirCommands makes every command that reads or changes a data
// dir run in the server that owns it, when one runs (over its socket, so
// the command uses the server's configuration, live sessions and audit),
// and here under the data dir's lock otherwise; the output is the same.
func (a *app) manageDataDirCommands(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.RunE == nil || slices.Contains(ownCommands, c.CommandPath()) {
			return
		}
		run := c.RunE
		c.RunE = func(cmd *cobra.Command, args []string) error {
			defer a.release()
			if a.srv != nil {
				return run(cmd, args)
			}
			if err := a.load(); err != nil {
				return err
			}
			req, err := a.request(cmd, args)
			if err != nil {
				return err
			}
			if sent, err := server.Send(a.cfg.DataDir, req, a.out, a.err); sent {
				return err
			}
			if req.Stdin != nil { // read for the server: the command here reads it again
				a.in = bytes.NewReader(req.Stdin)
			}
			return run(cmd, args)
		}
	}
	walk(root)
}

// request is the command line as the server runs it: the same command
// and flags (paths made absolute; --data and --config are the server's
// own), and standard input when the command reads a password from it.
func (a *app) request(cmd *cobra.Command, args []string) (server.Request, error) {
	var req server.Request
	req.Args = strings.Fields(cmd.CommandPath())[1:]
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Name == "data" || f.Name == "config" || err != nil {
			return
		}
		vals := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		for _, v := range vals {
			if slices.Contains(pathFlags, f.Name) && v != "-" {
				if v, err = filepath.Abs(v); err != nil {
					return
				}
			}
			req.Args = append(req.Args, "--"+f.Name+"="+v)
		}
	})
	if err != nil {
		return req, err
	}
	req.Args = append(append(req.Args, "--"), args...)
	if f := cmd.Flags().Lookup("password-stdin"); f != nil && f.Changed {
		b, rerr := io.ReadAll(io.LimitReader(a.in, 64<<10))
		if rerr != nil {
			return req, fmt.Errorf("--password-stdin: %w", rerr)
		}
		req.Stdin = b
	}
	return req, nil
}

// manage runs a command the data dir's owner sent to the running server.
func (a *app) manage(ctx context.Context, s *server.Server, c server.Command) error {
	sub := &app{in: c.Stdin, out: c.Stdout, err: c.Stderr, environ: a.environ, srv: s, caller: c.Caller, cfg: s.Config()}
	root := sub.root()
	for _, own := range ownCommands {
		if cmd, _, err := root.Find(strings.Fields(own)[1:]); err == nil {
			cmd.RunE = func(*cobra.Command, []string) error {
				return fmt.Errorf("%s runs where it is typed, not in the server", own)
			}
		}
	}
	root.SetArgs(c.Args)
	return root.ExecuteContext(ctx)
}
