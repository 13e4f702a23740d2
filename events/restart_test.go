package events_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// An event audited but not yet delivered when the gateway stops is
// delivered, once, after the restart; a hook added at the restart starts
// with the new events, without replaying the old ones.
func TestEventsDeliveredAfterRestart(t *testing.T) {
	t.Parallel()
	dir := testkit.HookDir(t.TempDir())
	marker := filepath.Join(t.TempDir(), "ready")
	archive := testkit.Hook{Name: "archive", Events: []string{"upload.completed"}, Backoff: "5m", Command: []string{"sh", "-c",
		`if [ ! -e ` + testkit.ShellQuote(marker) + ` ]; then echo "receiver not ready" >&2; exit 1; fi; ` + dir.Record()}}
	env := testkit.Env(t.TempDir(), "CUSTODIA_LOG_LEVEL=warn", testkit.HooksConfig(t, archive))
	tg, stop := testkit.Restartable(t, env, true)
	tg.Fixture()
	testkit.WaitHooks(t, tg, "archive")
	testkit.Upload(t, tg, "juan", "/ACME/2026/antes.pdf", "%PDF-1.4 antes")

	// The audit row is there; the hook tried once and failed.
	if !slices.ContainsFunc(auditRows(t, tg, "juan"), func(r map[string]any) bool {
		return r["action"] == "write" && r["path"] == "/ACME/2026/antes.pdf" && r["result"] == "ok"
	}) {
		t.Fatal("the upload is not audited")
	}
	var cur store.HookCursor
	testkit.WaitFor(t, 10*time.Second, "the hook was not tried", func() bool {
		cs, err := tg.Server.Store().HookCursors(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Hook == "archive" {
				cur = c
			}
		}
		return cur.Attempts > 0
	})
	if cur.Attempts != 1 || !strings.Contains(cur.LastError, "receiver not ready") {
		t.Errorf("before the stop the cursor is %+v, want one failed try with its error", cur)
	}
	if evs := dir.Delivered(t); len(evs) != 0 {
		t.Fatalf("the failing hook took events:\n%s", testkit.DescribeEvents(evs))
	}
	m := regexp.MustCompile(`hook failed; retrying" hook=archive event=([0-9a-f]+) type=upload.completed attempt=1 retry_in=5m0s`).
		FindStringSubmatch(tg.Log())
	if m == nil {
		t.Fatalf("the failure is not logged:\n%s", tg.Log())
	}
	eventID := m[1]
	stop()

	// Restart on the same data dir, the receiver now ready, with one more
	// hook that takes every event.
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	later := testkit.HookDir(t.TempDir())
	env2 := append(slices.Clone(env), testkit.HooksConfig(t, archive,
		testkit.Hook{Name: "later", Command: []string{"sh", "-c", later.Record()}}))
	tg2, _ := testkit.Restartable(t, env2, false)
	evs := dir.Wait(t, "the upload of before the restart", func(e testkit.WireEvent) bool { return e.Path == "/ACME/2026/antes.pdf" })
	if evs[0].ID != eventID || evs[0].User != "juan" || evs[0].StoragePath != "/dossiers/ACME/2026/antes.pdf" {
		t.Errorf("after the restart the hook got %+v, want the event %s that failed before it", evs[0], eventID)
	}
	testkit.WaitHooks(t, tg2, "archive", "later")
	testkit.Upload(t, tg2, "juan", "/ACME/2026/despues.pdf", "%PDF-1.4 despues")
	evs = dir.Wait(t, "the upload after the restart", func(e testkit.WireEvent) bool { return e.Path == "/ACME/2026/despues.pdf" })
	if len(evs) != 2 || evs[0].Path != "/ACME/2026/antes.pdf" || evs[1].Path != "/ACME/2026/despues.pdf" {
		t.Errorf("the hook took, in order:\n%swant antes.pdf once, then despues.pdf once", testkit.DescribeEvents(evs))
	}
	newEvs := later.Wait(t, "the upload after the restart", func(e testkit.WireEvent) bool { return e.Path == "/ACME/2026/despues.pdf" })
	if len(newEvs) != 2 || newEvs[0].Type != "login.succeeded" || newEvs[1].ID != evs[1].ID {
		t.Errorf("the hook added at the restart took:\n%swant only juan's new login and upload", testkit.DescribeEvents(newEvs))
	}
	cs, err := tg2.Server.Store().HookCursors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(cs, func(c store.HookCursor) bool { return c.Hook == "archive" })
	if i < 0 || cs[i].Attempts != 0 || cs[i].Failures != 1 || cs[i].LastError != "" {
		t.Errorf("after the delivery the cursors are %+v, want archive's with 0 attempts pending, 1 failure in all", cs)
	}
}
