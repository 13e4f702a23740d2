package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestHookDeadLetters: an event a hook keeps failing on becomes a dead
// letter after max_attempts tries and the hook goes on; an event a hook
// is stuck on can be skipped (CLI and API); a dead letter can be retried;
// the metric counts them.
func TestHookDeadLetters(t *testing.T) {
	t.Parallel()
	dir := testkit.HookDir(t.TempDir())
	cured := filepath.Join(t.TempDir(), "cured")
	failOnPoison := `case "$CUSTODIA_EVENT_PATH" in *veneno*) [ -e ` + testkit.ShellQuote(cured) + ` ] || { echo "no quiero veneno" >&2; exit 3; };; esac; ` + dir.Record()
	quick := testkit.Hook{Name: "quick", Backoff: "10ms", MaxAttempts: 3, Events: []string{"upload.completed"},
		Command: []string{"sh", "-c", failOnPoison}}
	stuck := testkit.Hook{Name: "stuck", Backoff: "20ms", MaxAttempts: 100000, Events: []string{"upload.completed"},
		Command: []string{"sh", "-c", `case "$CUSTODIA_EVENT_PATH" in *veneno*) exit 3;; esac`}}
	tg := startGateway(t, "CUSTODIA_LOG_LEVEL=error", testkit.HooksConfig(t, quick, stuck))
	tg.Fixture()
	testkit.WaitHooks(t, tg, "quick", "stuck")
	testkit.Upload(t, tg, "juan", "/ACME/2026/veneno.pdf", "%PDF-1.4 veneno")
	testkit.Upload(t, tg, "juan", "/ACME/2026/bueno.pdf", "%PDF-1.4 bueno")

	// quick gives up after 3 tries and delivers the next upload.
	dir.Wait(t, "the upload after the poisoned one", func(e testkit.WireEvent) bool { return e.Path == "/ACME/2026/bueno.pdf" })
	out := must(tg, "", "hook", "dead-letters", "quick")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "upload.completed\t3\t") || !strings.Contains(lines[0], "no quiero veneno") {
		t.Fatalf("custodia hook dead-letters quick printed:\n%s\nwant one dead letter after 3 tries with its error", out)
	}
	seq := strings.Split(lines[0], "\t")[1]
	if n := testkit.Metric(t, tg, "custodia_hook_dead_letters_total", `hook="quick"`); n != 1 {
		t.Errorf("custodia_hook_dead_letters_total{hook=quick} = %v, want 1.", n)
	}

	// stuck would try for ever: skip it, over the API, then check the CLI
	// refuses a second skip since nothing is failing any more.
	testkit.WaitFor(t, 10*time.Second, "stuck failing", func() bool {
		cs, _ := tg.Store().HookCursors(context.Background())
		i := slices.IndexFunc(cs, func(c store.HookCursor) bool { return c.Hook == "stuck" })
		return i >= 0 && cs[i].Attempts > 1
	})
	tok := tg.APILogin("sys")
	if r := tg.API("POST", "/api/v1/hooks/stuck/skip", tok, nil); r.Code != 200 || r.JSON(t)["skipped"] != mustFloat(t, seq) {
		t.Fatalf("POST skip: %d %s, want the poisoned event %s skipped", r.Code, r.Body, seq)
	}
	testkit.WaitFor(t, 10*time.Second, "stuck goes on to the next upload", func() bool {
		cs, _ := tg.Store().HookCursors(context.Background())
		i := slices.IndexFunc(cs, func(c store.HookCursor) bool { return c.Hook == "stuck" })
		return i >= 0 && cs[i].Attempts == 0 && cs[i].LastID > int64(mustFloat(t, seq))
	})
	if _, err := cli(tg, "", "hook", "skip", "stuck"); err == nil {
		t.Error("custodia hook skip of a hook that is not failing succeeded.")
	}
	r := tg.API("GET", "/api/v1/hooks/stuck/dead-letters", tok, nil)
	ds, _ := r.JSON(t)["dead_letters"].([]any)
	if r.Code != 200 || len(ds) != 1 || !strings.Contains(ds[0].(map[string]any)["last_error"].(string), "skipped by an administrator") {
		t.Errorf("GET dead-letters of stuck: %d %s", r.Code, r.Body)
	}
	if n := testkit.Metric(t, tg, "custodia_hook_dead_letters_total", `hook="stuck"`); n != 1 {
		t.Errorf("custodia_hook_dead_letters_total{hook=stuck} = %v, want 1.", n)
	}

	// A retry of quick's dead letter, now that it would take it.
	if err := os.WriteFile(cured, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	must(tg, "", "hook", "retry", "quick", seq)
	dir.Wait(t, "the retried dead letter", func(e testkit.WireEvent) bool { return e.Path == "/ACME/2026/veneno.pdf" })
	testkit.WaitFor(t, 10*time.Second, "the retried dead letter is gone", func() bool {
		return strings.TrimSpace(must(tg, "", "hook", "dead-letters", "quick")) == ""
	})
	if r := tg.API("POST", "/api/v1/hooks/quick/dead-letters/"+seq+"/retry", tok, nil); r.Code != 404 {
		t.Errorf("a retry of a dead letter no longer there: %d, want 404.", r.Code)
	}
	audit := tg.AuditLog("", 200)
	for _, a := range []string{"admin.hook.skip", "admin.hook.retry"} {
		if !strings.Contains(audit, "\t"+a+"\t") {
			t.Errorf("no audit row for %s", a)
		}
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
