package main

import (
	"bytes"
	"context"
	"strings"

	"github.com/oaq/custodia/internal/testkit"
)

// cli runs a custodia command in-process against the gateway's data dir.
func cli(tg *testkit.Gateway, stdin string, args ...string) (string, error) {
	tg.T.Helper()
	var out, errb bytes.Buffer
	root := newRoot(strings.NewReader(stdin), &out, &errb, tg.Environ)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String() + errb.String(), err
}

// must runs a command that has to succeed.
func must(tg *testkit.Gateway, stdin string, args ...string) string {
	tg.T.Helper()
	out, err := cli(tg, stdin, args...)
	if err != nil {
		tg.T.Fatalf("custodia %s failed: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// addUser adds a user whose password is testkit.Password, with the CLI.
func addUser(tg *testkit.Gateway, name string, args ...string) {
	tg.T.Helper()
	must(tg, testkit.Password+"\n", append([]string{"user", "add", name, "--password-stdin"}, args...)...)
}
