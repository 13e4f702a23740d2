package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oaq/custodia/store"
)

func (a *app) clientCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "client", Short: "manage client accounts"}
	var name string
	add := &cobra.Command{
		Use: "add ID --name NAME", Short: "add a client account and create its folders", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := store.NormalizeClientID(args[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(name) == "" {
				return errors.New("--name must not be empty")
			}
			state, err := a.openAll(cmd.Context())
			if err != nil {
				return err
			}
			_, err = a.accounts(state.Store).AddClient(cmd.Context(), a.actor(), id, strings.TrimSpace(name), state.Files.AddClient)
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("client %q already exists", id)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "client %s added\n", id)
			return nil
		},
	}
	add.Flags().StringVar(&name, "name", "", "the client's name (required)")
	add.MarkFlagRequired("name")
	list := &cobra.Command{
		Use: "list", Short: "list client accounts", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			clients, err := st.ListClients(cmd.Context())
			if err != nil {
				return err
			}
			for _, c := range clients {
				created := c.CreatedAt.UTC().Format(time.RFC3339)
				usedBytes, usedFiles := usageText(c.Used, c.Quota)
				a.printRow(map[string]any{"id": c.ID, "name": c.Name, "created_at": created, "quota": c.Quota, "used": c.Used},
					c.ID, c.Name, created, usedBytes, usedFiles)
			}
			return nil
		},
	}
	cmd.AddCommand(add, list)
	return cmd
}
