package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/store"
)

func (a *app) policyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "list, test and change authorization rules"}
	list := &cobra.Command{
		Use: "list", Short: "list the rules", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			state, err := a.openAll(cmd.Context())
			if err != nil {
				return err
			}
			enf := state.Enforcer
			pol, err := enf.Policy()
			if err != nil {
				return err
			}
			for _, r := range pol.Rules {
				a.printRow(map[string]any{"type": "p", "subject": r.Subject, "object": r.Object, "actions": r.Actions, "effect": r.Effect},
					r.String())
			}
			for _, i := range pol.Inheritance {
				a.printRow(map[string]any{"type": "g", "role": i.Role, "parent": i.Parent}, i.String())
			}
			return nil
		},
	}
	test := &cobra.Command{
		Use:   "test USER ACTION PATH",
		Short: "print allow or deny for a user, an action and a storage path (/clients/ACME/x.pdf), and the deciding rule",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			act, err := authz.ParseAction(args[1])
			if err != nil {
				return err
			}
			if len(args[2]) == 0 || args[2][0] != '/' {
				return fmt.Errorf("path %q: want a storage path such as /clients/ACME/2026/x.pdf", args[2])
			}
			state, err := a.openAll(cmd.Context())
			if err != nil {
				return err
			}
			st, enf := state.Store, state.Enforcer
			u, err := st.UserByName(cmd.Context(), args[0])
			if err != nil {
				return userErr(args[0], err)
			}
			d, err := enf.Decide(cmd.Context(), authz.Request{Subject: authz.SubjectOf(u), Action: act, Object: args[2]})
			if err != nil {
				return err
			}
			verdict := "deny"
			if d.Allow {
				verdict = "allow"
			}
			rule := d.Rule
			if rule == "" {
				rule = "no rule allows it"
			}
			a.printRow(map[string]any{"result": verdict, "rule": d.Rule}, verdict, rule)
			return nil
		},
	}
	cmd.AddCommand(list, test, a.policyChangeCmd("add"), a.policyChangeCmd("remove"))
	return cmd
}

func (a *app) policyChangeCmd(verb string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " SUBJECT OBJECT ACTIONS allow|deny",
		Short: verb + " a rule, e.g. " + verb + ` correspondent '/dossiers/{client}/**' read allow`,
		Args:  cobra.ExactArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := authz.Rule{Subject: args[0], Object: args[1], Actions: args[2], Effect: authz.Effect(args[3])}
			if err := r.Validate(); err != nil {
				return err
			}
			state, err := a.openAll(cmd.Context())
			if err != nil {
				return err
			}
			enf := state.Enforcer
			accounts := a.accounts(state.Store)
			accounts.Rules = enf
			if verb == "add" {
				err = accounts.AddRule(cmd.Context(), a.actor(), r)
			} else {
				err = accounts.RemoveRule(cmd.Context(), a.actor(), r)
			}
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no such rule: %s", r)
			}
			if err != nil {
				return err
			}
			done := map[string]string{"add": "added", "remove": "removed"}[verb]
			fmt.Fprintf(a.out, "rule %s: %s\n", done, r)
			return nil
		},
	}
}
