package main

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/spf13/cobra"

	"github.com/oaq/custodia/store"
)

// errNoServer: the defender's bans live in the running server's memory.
var errNoServer = errors.New("bans live in the running server: start custodia serve (no server runs on this data dir)")

func (a *app) banCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ban", Short: "the defender's bans in the running server: list, lift"}
	list := &cobra.Command{
		Use: "list", Short: "addresses banned now, soonest to end first: address, the network the ban covers (an IPv6 /64), until",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.srv == nil {
				return errNoServer
			}
			for _, b := range a.srv.Core().Bans() {
				until := b.Until.UTC().Format(time.RFC3339)
				a.printRow(map[string]string{"address": b.Addr.String(), "prefix": b.Prefix.String(), "until": until},
					b.Addr, b.Prefix, until)
			}
			return nil
		},
	}
	lift := &cobra.Command{
		Use: "lift ADDRESS", Short: "lift a ban now", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := netip.ParseAddr(args[0])
			if err != nil {
				return fmt.Errorf("address %q: want an IP address such as 192.0.2.7", args[0])
			}
			if a.srv == nil {
				return errNoServer
			}
			if !a.srv.Core().Lift(addr.Unmap()) {
				return fmt.Errorf("%s is not banned", addr)
			}
			fmt.Fprintf(a.out, "ban of %s lifted\n", addr)
			return a.srv.Store().Audit(cmd.Context(), store.AuditEntry{User: a.operator(), Role: store.RoleAdmin,
				Protocol: "cli", Action: "admin.ban.lift", VPath: "/api/v1/bans/" + addr.String(), Result: store.ResultOK})
		},
	}
	cmd.AddCommand(list, lift)
	return cmd
}
