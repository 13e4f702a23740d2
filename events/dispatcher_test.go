package events_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/events"
	"github.com/oaq/custodia/store"
)

// hookEnv is a real store and a folder for the hooks' scripts and logs.
type hookEnv struct {
	st  *store.Store
	dir string
}

func newHookEnv(t *testing.T) *hookEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "custodia.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &hookEnv{st: st, dir: dir}
}

// script writes an executable shell script and returns its name.
func (e *hookEnv) script(t *testing.T, name, body string) string {
	t.Helper()
	f := filepath.Join(e.dir, name)
	if err := os.WriteFile(f, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
	return f
}

// logger is a script that appends one line per delivery to log:
// the event id, type and the path read from the JSON on stdin.
func (e *hookEnv) logger(t *testing.T, name string) (cmd, log string) {
	t.Helper()
	log = filepath.Join(e.dir, name+".log")
	cmd = e.script(t, name+".sh", `json=$(cat)
printf '%s %s %s\n' "$CUSTODIA_EVENT_ID" "$CUSTODIA_EVENT_TYPE" "$json" >> "`+log+`"
`)
	return cmd, log
}

// start registers the hooks' cursors (a new hook starts at the outbox's
// head) and runs a dispatcher until the test ends.
func (e *hookEnv) start(t *testing.T, hooks ...events.Hook) {
	t.Helper()
	for _, h := range hooks {
		if _, err := e.st.HookCursor(context.Background(), h.Name); err != nil {
			t.Fatal(err)
		}
	}
	d := events.New(events.Options{Store: e.st, Hooks: hooks, Poll: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (e *hookEnv) audit(t *testing.T, entries ...store.AuditEntry) {
	t.Helper()
	for _, a := range entries {
		if err := e.st.Audit(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
}

// delivery is one line of a logger hook's log.
type delivery struct {
	id, typ string
	ev      events.Event
}

func readLog(t *testing.T, log string) []delivery {
	t.Helper()
	f, err := os.Open(log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []delivery
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, rest, _ := strings.Cut(sc.Text(), " ")
		typ, js, _ := strings.Cut(rest, " ")
		d := delivery{id: id, typ: typ}
		if err := json.Unmarshal([]byte(js), &d.ev); err != nil {
			t.Fatalf("the hook received %q on stdin, not an event: %v", js, err)
		}
		out = append(out, d)
	}
	return out
}

// waitLog waits until log holds at least n deliveries.
func waitLog(t *testing.T, log string, n int) []delivery {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := readLog(t, log)
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func entry(user string, role store.Role, action, spath string) store.AuditEntry {
	return store.AuditEntry{Session: "s", User: user, Role: role, Protocol: "sftp", Remote: "192.0.2.1:1",
		Action: action, VPath: spath, SPath: spath, Result: store.ResultOK}
}

// TestCommandHookReceivesEachEventOnce: a command hook receives every
// event once, in order, as environment variables and JSON on stdin; the
// hook's cursor ends on the last one.
func TestCommandHookReceivesEachEventOnce(t *testing.T) {
	t.Parallel()
	e := newHookEnv(t)
	cmd, log := e.logger(t, "notify")
	e.start(t, events.Hook{Name: "notify", Command: []string{cmd}, Timeout: 10 * time.Second, Backoff: 10 * time.Millisecond})
	e.audit(t,
		entry("juan", store.RoleCorrespondent, "write", "/dossiers/ACME/a.pdf"),
		entry("juan", store.RoleCorrespondent, "list", "/dossiers/ACME"), // no event
		entry("juan", store.RoleCorrespondent, "mkdir", "/dossiers/ACME/2026"),
	)
	// A sentinel event: once it arrives, everything before it was handled.
	e.audit(t, entry("juan", store.RoleCorrespondent, "delete", "/dossiers/ACME/fin.pdf"))
	got := waitLog(t, log, 3)
	time.Sleep(100 * time.Millisecond) // ten more polls: a repeat would show
	got = readLog(t, log)
	want := []struct{ typ, path string }{
		{store.EventUploadCompleted, "/dossiers/ACME/a.pdf"},
		{store.EventMkdir, "/dossiers/ACME/2026"},
		{store.EventDelete, "/dossiers/ACME/fin.pdf"},
	}
	if len(got) != len(want) {
		t.Fatalf("the hook received %d deliveries, want each of the %d events once: %+v", len(got), len(want), got)
	}
	for i, d := range got {
		if d.typ != want[i].typ || d.ev.Type != want[i].typ || d.ev.SPath != want[i].path || d.id == "" || d.ev.ID != d.id {
			t.Errorf("delivery %d is %s %+v, want %s of %s with the same id in the environment and the JSON.",
				i+1, d.typ, d.ev, want[i].typ, want[i].path)
		}
	}
	evs, err := e.st.EventsAfter(context.Background(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	waitCursor(t, e.st, "notify", evs[len(evs)-1].Seq)
}

// waitCursor waits until hook's cursor is at seq.
func waitCursor(t *testing.T, st *store.Store, hook string, seq int64) store.HookCursor {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := st.HookCursor(context.Background(), hook)
		if err != nil {
			t.Fatal(err)
		}
		if c.LastID == seq || time.Now().After(deadline) {
			if c.LastID != seq {
				t.Errorf("hook %s's cursor is at %d, want %d.", hook, c.LastID, seq)
			}
			return c
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFailingHookRetriedUntilItSucceeds: a hook that fails twice is tried
// again until it succeeds, the event is then taken once, the next event
// waits for it, and the failures are counted on the hook's cursor.
func TestFailingHookRetriedUntilItSucceeds(t *testing.T) {
	t.Parallel()
	e := newHookEnv(t)
	tries := filepath.Join(e.dir, "tries")
	log := filepath.Join(e.dir, "flaky.log")
	cmd := e.script(t, "flaky.sh", `echo x >> "`+tries+`"
if [ "$CUSTODIA_EVENT_TYPE" = upload.completed ] && [ $(wc -l < "`+tries+`") -le 2 ]; then
	echo "receiver not ready" >&2
	exit 1
fi
json=$(cat)
printf '%s %s %s\n' "$CUSTODIA_EVENT_ID" "$CUSTODIA_EVENT_TYPE" "$json" >> "`+log+`"
`)
	e.start(t, events.Hook{Name: "flaky", Command: []string{cmd}, Timeout: 10 * time.Second, Backoff: 10 * time.Millisecond})
	e.audit(t,
		entry("juan", store.RoleCorrespondent, "write", "/dossiers/ACME/a.pdf"),
		entry("juan", store.RoleCorrespondent, "mkdir", "/dossiers/ACME/2026"),
	)
	got := waitLog(t, log, 2)
	if len(got) != 2 || got[0].typ != store.EventUploadCompleted || got[1].typ != store.EventMkdir {
		t.Fatalf("the flaky hook took %+v, want the upload (after two failures) and then the mkdir.", got)
	}
	b, err := os.ReadFile(tries)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "x"); n != 4 {
		t.Errorf("the hook was run %d times, want 4: two failures, the retry that worked, then the mkdir.", n)
	}
	evs, err := e.st.EventsAfter(context.Background(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	c := waitCursor(t, e.st, "flaky", evs[len(evs)-1].Seq)
	if c.Failures != 2 || c.Attempts != 0 {
		t.Errorf("the cursor records %d failures and %d pending attempts, want 2 and 0.", c.Failures, c.Attempts)
	}
}

// TestHookFilters: a hook receives only the events of its types, from its
// roles, on its paths (a rename matches by its target too).
func TestHookFilters(t *testing.T) {
	t.Parallel()
	e := newHookEnv(t)
	cmd, log := e.logger(t, "acme")
	pcmd, plog := e.logger(t, "paths")
	e.start(t,
		events.Hook{Name: "acme", Command: []string{cmd}, Timeout: 10 * time.Second, Backoff: 10 * time.Millisecond,
			Events: []string{store.EventUploadCompleted}, Roles: []string{"correspondent"}, Paths: []string{"/dossiers/ACME/**"}},
		events.Hook{Name: "paths", Command: []string{pcmd}, Timeout: 10 * time.Second, Backoff: 10 * time.Millisecond,
			Paths: []string{"/dossiers/ACME/**"}},
	)
	rename := entry("juan", store.RoleCorrespondent, "rename", "/dossiers/BETA/x.pdf")
	rename.STarget = "/dossiers/ACME/x.pdf"
	e.audit(t,
		entry("juan", store.RoleCorrespondent, "write", "/dossiers/ACME/uno.pdf"),  // acme, paths
		entry("ana", store.RoleStaff, "write", "/dossiers/ACME/staff.pdf"),         // paths: wrong role for acme
		entry("juan", store.RoleCorrespondent, "mkdir", "/dossiers/ACME/2026"),     // paths: wrong type for acme
		entry("juan", store.RoleCorrespondent, "write", "/dossiers/BETA/beta.pdf"), // neither: wrong path
		rename, // paths, by its target
		entry("juan", store.RoleCorrespondent, "write", "/dossiers/ACME/dos.pdf"), // acme, paths: the last
	)
	check := func(hook, log string, want ...string) {
		t.Helper()
		got := waitLog(t, log, len(want))
		var paths []string
		for _, d := range got {
			paths = append(paths, d.ev.SPath)
		}
		if strings.Join(paths, " ") != strings.Join(want, " ") {
			t.Errorf("hook %s received %q, want %q.", hook, paths, want)
		}
	}
	check("acme", log, "/dossiers/ACME/uno.pdf", "/dossiers/ACME/dos.pdf")
	check("paths", plog, "/dossiers/ACME/uno.pdf", "/dossiers/ACME/staff.pdf", "/dossiers/ACME/2026",
		"/dossiers/BETA/x.pdf", "/dossiers/ACME/dos.pdf")
}
