package events_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

// An upload over SFTP reaches a command hook: the event as JSON on its
// stdin and as CUSTODIA_EVENT_* variables, in an environment of its own.
func TestEventsCommandHookReceivesSFTPUpload(t *testing.T) {
	t.Setenv("CUSTODIA_TEST_SERVER_SECRET", "must-not-reach-hooks")
	dir := testkit.HookDir(t.TempDir())
	tg := testkit.Start(t, testkit.HooksConfig(t, testkit.Hook{Name: "archive", Command: []string{"sh", "-c", dir.Record()}}))
	tg.Fixture()
	testkit.WaitHooks(t, tg, "archive")

	content := "%PDF-1.4 pedimento nuevo\n" + strings.Repeat("0123456789", 700)
	sum := sha256.Sum256([]byte(content))
	wantSum := hex.EncodeToString(sum[:])
	before := time.Now()
	testkit.Upload(t, tg, "juan", "/ACME/2026/nuevo.pdf", content)
	evs := dir.Wait(t, "juan's upload", func(e testkit.WireEvent) bool { return e.Type == "upload.completed" })
	after := time.Now()

	// Nothing but juan's login and upload: listings, the fixture's admin
	// changes and the like are no events.
	if len(evs) != 2 || evs[0].Type != "login.succeeded" || evs[1].Type != "upload.completed" {
		t.Fatalf("the hook received, in order:\n%swant juan's login.succeeded then upload.completed", testkit.DescribeEvents(evs))
	}
	login, e := evs[0], evs[1]
	want := testkit.WireEvent{ID: e.ID, Type: "upload.completed", At: e.At, Session: login.Session, User: "juan",
		Role: "correspondent", Protocol: "sftp", Remote: e.Remote, Action: "write", Path: "/ACME/2026/nuevo.pdf",
		StoragePath: "/dossiers/ACME/2026/nuevo.pdf", Bytes: int64(len(content)), SHA256: wantSum, Result: "ok"}
	if e != want {
		t.Errorf("the upload event is\n  %+v\nwant\n  %+v", e, want)
	}
	if login.User != "juan" || login.Role != "correspondent" || login.Protocol != "sftp" || login.Result != "ok" ||
		login.Session == "" {
		t.Errorf("the login event is %+v", login)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(e.ID) || e.ID == login.ID {
		t.Errorf("event ids %q and %q: want two distinct random hex ids", login.ID, e.ID)
	}
	if e.Remote != "127.0.0.1" || login.Remote != e.Remote {
		t.Errorf("remote %q (login %q): want the client's address, 127.0.0.1", e.Remote, login.Remote)
	}
	at, err := time.Parse(time.RFC3339Nano, e.At)
	if err != nil || at.Before(before.Add(-time.Second)) || at.After(after) || at.Location() != time.UTC {
		t.Errorf("at %q (%v): want the UTC time of the upload, between %v and %v", e.At, err, before, after)
	}

	// Every documented key is there (target and reason may be left out).
	raw := map[string]json.RawMessage{}
	b := readHookFile(t, dir, e.ID+".json")
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "type", "at", "session", "user", "role", "protocol", "remote", "path",
		"storage_path", "bytes", "sha256", "result"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("the event JSON lacks %q:\n%s", k, b)
		}
	}

	// The audit row was written, with the same session and digest.
	rows := auditRows(t, tg, "juan")
	if !slices.ContainsFunc(rows, func(r map[string]any) bool {
		return r["action"] == "write" && r["result"] == "ok" && r["sha256"] == wantSum && r["session"] == e.Session &&
			r["storage_path"] == e.StoragePath
	}) {
		t.Errorf("no audit row matches the event %+v:\n%v", e, rows)
	}

	// The variables say what the JSON says; the server's environment
	// (its settings, the process's variables) is not passed.
	env := dir.Env(t, e.ID)
	wantEnv := map[string]string{
		"CUSTODIA_EVENT_ID": e.ID, "CUSTODIA_EVENT_TYPE": e.Type, "CUSTODIA_EVENT_AT": e.At,
		"CUSTODIA_EVENT_SESSION": e.Session, "CUSTODIA_EVENT_USER": e.User, "CUSTODIA_EVENT_ROLE": e.Role,
		"CUSTODIA_EVENT_PROTOCOL": e.Protocol, "CUSTODIA_EVENT_REMOTE": e.Remote, "CUSTODIA_EVENT_ACTION": "write",
		"CUSTODIA_EVENT_PATH":         e.Path,
		"CUSTODIA_EVENT_STORAGE_PATH": e.StoragePath, "CUSTODIA_EVENT_TARGET": "", "CUSTODIA_EVENT_TARGET_STORAGE_PATH": "",
		"CUSTODIA_EVENT_BYTES": strconv.Itoa(len(content)), "CUSTODIA_EVENT_SHA256": wantSum,
		"CUSTODIA_EVENT_RESULT": "ok", "CUSTODIA_EVENT_REASON": "",
	}
	for k, v := range wantEnv {
		if got, ok := env[k]; !ok || got != v {
			t.Errorf("%s=%q (set: %v), want %q", k, got, ok, v)
		}
	}
	for k := range env {
		_, isEvent := wantEnv[k]
		// PWD is what sh itself exports.
		if !isEvent && k != "PATH" && k != "LANG" && k != "PWD" {
			t.Errorf("the hook's environment has %s; want only PATH, LANG and CUSTODIA_EVENT_*", k)
		}
	}
	if env["PATH"] == "" || env["LANG"] == "" {
		t.Errorf("the hook's environment lacks PATH or LANG: %v", env)
	}
}

// A hook that fails three times and then succeeds is tried exactly four
// times for the event, with a doubling backoff, gets it once, and gets the
// next event only after it.
func TestEventsCommandHookRetriedWithBackoffUntilItSucceeds(t *testing.T) {
	t.Parallel()
	dir := testkit.HookDir(t.TempDir())
	runs := testkit.ShellQuote(string(dir) + "/runs")
	script := `echo "$CUSTODIA_EVENT_ID $(date +%s%N)" >> ` + runs + `; n=$(wc -l < ` + runs + `); ` +
		`if [ "$n" -le 3 ]; then echo "failing on purpose, run $n" >&2; exit 1; fi; ` + dir.Record()
	tg := testkit.Start(t, "CUSTODIA_LOG_LEVEL=warn", testkit.HooksConfig(t, testkit.Hook{Name: "flaky",
		Command: []string{"sh", "-c", script}, Backoff: "50ms", Timeout: "10s", Events: []string{"upload.completed"}}))
	tg.Fixture()
	testkit.WaitHooks(t, tg, "flaky")

	// The second upload is done while the hook still fails at the first.
	c := tg.SFTP("juan")
	for _, name := range []string{"/ACME/2026/uno.pdf", "/ACME/2026/dos.pdf"} {
		f, err := c.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("%PDF-1.4 " + name))
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	evs := dir.Wait(t, "the second upload", func(e testkit.WireEvent) bool { return e.Path == "/ACME/2026/dos.pdf" })
	if len(evs) != 2 || evs[0].Path != "/ACME/2026/uno.pdf" || evs[1].Path != "/ACME/2026/dos.pdf" {
		t.Fatalf("the hook took, in order:\n%swant uno.pdf once, then dos.pdf once", testkit.DescribeEvents(evs))
	}

	type run struct {
		id string
		at time.Time
	}
	var rs []run
	for _, line := range strings.Split(strings.TrimSpace(string(readHookFile(t, dir, "runs"))), "\n") {
		id, ns, _ := strings.Cut(line, " ")
		n, err := strconv.ParseInt(ns, 10, 64)
		if err != nil {
			t.Fatalf("runs: %q", line)
		}
		rs = append(rs, run{id, time.Unix(0, n)})
	}
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.id)
	}
	e1, e2 := evs[0].ID, evs[1].ID
	if want := []string{e1, e1, e1, e1, e2}; !slices.Equal(ids, want) {
		t.Fatalf("the hook ran for the events\n  %v\nwant four runs for the first (three failures, one success), one for the second\n  %v", ids, want)
	}
	for i, least := range []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond} {
		if gap := rs[i+1].at.Sub(rs[i].at); gap < least {
			t.Errorf("retry %d came %v after the failure, want at least the backoff %v", i+1, gap, least)
		}
	}
	// The log tells each failure with the doubling delay.
	log := tg.Log()
	for i, d := range []string{"50ms", "100ms", "200ms"} {
		want := regexp.MustCompile(`hook failed; retrying" hook=flaky event=` + e1 + ` type=upload.completed attempt=` +
			strconv.Itoa(i+1) + ` retry_in=` + d + ` err=.*failing on purpose, run ` + strconv.Itoa(i+1))
		if !want.MatchString(log) {
			t.Errorf("the log does not tell failure %d with retry_in=%s:\n%s", i+1, d, log)
		}
	}
	if got := testkit.Metric(t, tg, "custodia_hook_deliveries_total", `hook="flaky",result="failed"`); got != 3 {
		t.Errorf("failed deliveries counted: %v, want 3", got)
	}
	// The hook records the event before it exits; the dispatcher counts
	// the delivery after: wait for the count.
	var got float64
	if !testkit.Poll(5*time.Second, func() bool {
		got = testkit.Metric(t, tg, "custodia_hook_deliveries_total", `hook="flaky",result="ok"`)
		return got == 2
	}) {
		t.Errorf("ok deliveries counted: %v, want 2", got)
	}
	cs, err := tg.Server.Store().HookCursors(context.Background())
	if err != nil || len(cs) != 1 || cs[0].Attempts != 0 || cs[0].Failures != 3 || cs[0].LastError != "" {
		t.Errorf("the hook's cursor: %+v (%v), want 0 attempts pending, 3 failures in all, no last error", cs, err)
	}
}

func readHookFile(t testing.TB, dir testkit.HookDir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(string(dir), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// auditRows returns a user's audit rows as JSON objects (the shape of
// `custodia audit --json` and the admin API), oldest first.
func auditRows(t testing.TB, tg *testkit.Gateway, user string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, e := range tg.Audit(user, 1000) {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, m)
	}
	return rows
}
