package events_test

import (
	"context"
	"slices"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestPoisonedEventDoesNotStallHooks: a login attempt whose user name
// holds a NUL byte (and an escape and a newline) reaches a command hook,
// encoded in its environment, and the upload after it is delivered too;
// after a restart nothing is stuck.
func TestPoisonedEventDoesNotStallHooks(t *testing.T) {
	t.Parallel()
	dir := testkit.HookDir(t.TempDir())
	hook := testkit.Hook{Name: "archive", Backoff: "10ms", Command: []string{"sh", "-c", dir.Record()}}
	env := testkit.Env(t.TempDir(), "CUSTODIA_LOG_LEVEL=warn", "CUSTODIA_DEFENDER_ENABLED=false", testkit.HooksConfig(t, hook))
	tg, stop := testkit.Restartable(t, env, true)
	tg.Fixture()
	testkit.WaitHooks(t, tg, "archive")
	poison := "x\x00y\x1b[2J\n100%"
	if c, err := tg.Dial(poison, testkit.Password); err == nil {
		c.Close()
		t.Fatal("the poisoned name logged in")
	}
	testkit.Upload(t, tg, "juan", "/ACME/2026/despues.pdf", "%PDF-1.4 despues")
	evs := dir.Wait(t, "the upload after the poisoned login", func(e testkit.WireEvent) bool { return e.Path == "/ACME/2026/despues.pdf" })
	i := slices.IndexFunc(evs, func(e testkit.WireEvent) bool { return e.Type == "login.failed" && e.User == poison })
	if i < 0 {
		t.Fatalf("the hook did not get the poisoned login with its exact name in the JSON:\n%s", testkit.DescribeEvents(evs))
	}
	if got := dir.Env(t, evs[i].ID)["CUSTODIA_EVENT_USER"]; got != "x%00y%1B[2J%0A100%25" {
		t.Errorf("CUSTODIA_EVENT_USER = %q, want the name percent-encoded.", got)
	}
	stop()

	tg2, _ := testkit.Restartable(t, env, false)
	testkit.Upload(t, tg2, "juan", "/ACME/2026/tras-reinicio.pdf", "%PDF-1.4 otra")
	dir.Wait(t, "the upload after the restart", func(e testkit.WireEvent) bool { return e.Path == "/ACME/2026/tras-reinicio.pdf" })
	cs, err := tg2.Server.Store().HookCursors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(cs, func(c store.HookCursor) bool { return c.Hook == "archive" }); i < 0 || cs[i].Attempts != 0 {
		t.Errorf("after the restart the cursors are %+v, want archive's with no failed tries pending.", cs)
	}
}
