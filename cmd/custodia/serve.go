package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/oaq/custodia/server"
)

func (a *app) serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "run the gateway (creates schema, keys, default policies and a first admin on an empty data dir)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(); err != nil {
				return err
			}
			srv, err := server.Start(cmd.Context(), a.cfg, server.Options{Logger: server.Logger(a.cfg, a.err), Manage: a.manage})
			if err != nil {
				return err
			}
			a.printFirstAdmin(srv.FirstAdminPassword())
			<-cmd.Context().Done()
			ctx, cancel := context.WithTimeout(context.Background(), server.ShutdownGrace)
			defer cancel()
			return srv.Shutdown(ctx)
		},
	}
}

func (a *app) initCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "make a data dir ready to serve (store, default policies, keys, first admin) without serving",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(); err != nil {
				return err
			}
			pw, err := server.Init(cmd.Context(), a.cfg)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.out, "custodia: data dir ready:", a.cfg.DataDir)
			a.printFirstAdmin(pw)
			return nil
		},
	}
}

// printFirstAdmin shows the first admin's generated password, once, on
// standard output and never in the log.
func (a *app) printFirstAdmin(pw string) {
	if pw == "" {
		return
	}
	fmt.Fprintf(a.out, "custodia: created the first user, admin, with password: %s\n", pw)
	fmt.Fprintln(a.out, "custodia: this password is shown only once; change it with: custodia user passwd admin")
}
