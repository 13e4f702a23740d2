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
				contacts := strings.Join(c.Contacts, ",")
				if contacts == "" {
					contacts = "-"
				}
				a.printRow(map[string]any{"id": c.ID, "name": c.Name, "created_at": created, "quota": c.Quota, "used": c.Used,
					"contacts": c.Contacts}, c.ID, c.Name, created, usedBytes, usedFiles, contacts)
			}
			return nil
		},
	}
	cmd.AddCommand(add, list, a.contactCmd())
	return cmd
}

// contactCmd manages the e-mail addresses told of the PDFs published for
// a client (notify.*).
func (a *app) contactCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "contact", Short: "manage the e-mail addresses that hear of a client's new PDFs"}
	client := func(cmd *cobra.Command, arg string) (string, *store.Store, error) {
		id, err := store.NormalizeClientID(arg)
		if err != nil {
			return "", nil, err
		}
		st, err := a.openStore(cmd.Context())
		if err != nil {
			return "", nil, err
		}
		if _, err := st.ClientByID(cmd.Context(), id); errors.Is(err, store.ErrNotFound) {
			return "", nil, fmt.Errorf("no client %q", id)
		} else if err != nil {
			return "", nil, err
		}
		return id, st, nil
	}
	add := &cobra.Command{
		Use: "add ID EMAIL", Short: "add a contact address to a client account", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := store.NormalizeContact(args[1]); err != nil {
				return err
			}
			id, st, err := client(cmd, args[0])
			if err != nil {
				return err
			}
			addr, err := a.accounts(st).AddClientContact(cmd.Context(), a.actor(), id, args[1])
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("client %s already has contact %s", id, addr)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "client %s contact %s added\n", id, addr)
			return nil
		},
	}
	remove := &cobra.Command{
		Use: "remove ID EMAIL", Short: "remove a contact address of a client account", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, st, err := client(cmd, args[0])
			if err != nil {
				return err
			}
			addr := strings.TrimSpace(args[1])
			err = a.accounts(st).RemoveClientContact(cmd.Context(), a.actor(), id, addr)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("client %s has no contact %s", id, store.Printable(addr))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "client %s contact %s removed\n", id, store.Printable(addr))
			return nil
		},
	}
	list := &cobra.Command{
		Use: "list ID", Short: "list a client account's contact addresses", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, st, err := client(cmd, args[0])
			if err != nil {
				return err
			}
			addrs, err := st.ClientContacts(cmd.Context(), id)
			if err != nil {
				return err
			}
			for _, addr := range addrs {
				a.printRow(map[string]any{"client": id, "contact": addr}, id, addr)
			}
			return nil
		},
	}
	cmd.AddCommand(add, remove, list)
	return cmd
}
