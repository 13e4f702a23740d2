package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/server"
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

// startGateway is testkit.Start with a server that runs management
// commands as custodia serve does: while it runs, cli and must reach it
// over its socket.
func startGateway(t testing.TB, extra ...string) *testkit.Gateway {
	t.Helper()
	return testkit.StartWith(t, manager(), extra...)
}

// manager runs the commands sent to a test's server.
func manager() server.Manager { return (&app{}).manage }

// anyApproverAge lets managers the test has just made approve restores
// (backup.approver_min_age is 7 days by default); the tests of that rule
// leave it out.
const anyApproverAge = "CUSTODIA_BACKUP_APPROVER_MIN_AGE=0"
