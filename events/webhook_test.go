package events_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/events"
	"github.com/oaq/custodia/internal/testkit"
)

// Webhooks get each event POSTed as JSON, signed with their own secret,
// with the event's type and id in headers; their filters (event types,
// roles, storage paths) decide which events they get.
func TestEventsWebhookSignedAndFiltered(t *testing.T) {
	t.Parallel()
	rc := testkit.NewReceiver(t, nil)
	secrets := map[string]string{
		"/dossiers": "dossiers-secret-0123456789",
		"/staff":    "staff-secret-abcdefghijkl",
		"/all":      "all-secret-ABCDEFGHIJKLMN",
	}
	tg := testkit.Start(t, testkit.HooksConfig(t,
		testkit.Hook{Name: "dossiers", URL: rc.URL("/dossiers"), Secret: secrets["/dossiers"],
			Events: []string{"upload.completed"}, Paths: []string{"/dossiers/**"}},
		testkit.Hook{Name: "staff", URL: rc.URL("/staff"), Secret: secrets["/staff"],
			Events: []string{"upload.completed"}, Roles: []string{"staff"}},
		testkit.Hook{Name: "all", URL: rc.URL("/all"), Secret: secrets["/all"]},
	))
	tg.Fixture()
	testkit.WaitHooks(t, tg, "dossiers", "staff", "all")

	testkit.Upload(t, tg, "ana", "/operaciones/a1.docx", "ana 1")
	testkit.Upload(t, tg, "juan", "/ACME/2026/j1.pdf", "%PDF-1.4 juan 1")
	testkit.Upload(t, tg, "ana", "/operaciones/a2.docx", "ana 2")
	testkit.Upload(t, tg, "juan", "/ACME/2026/j2.pdf", "%PDF-1.4 juan 2")
	testkit.Upload(t, tg, "tomas", "/trafico/t1.docx", "tomas 1")

	// Delivery is in order, so once the last matching event has arrived
	// every earlier one has been delivered or skipped.
	paths := func(ds []testkit.Delivery) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Event.Type+" "+d.Event.User+" "+d.Event.StoragePath)
		}
		return out
	}
	dossiers := rc.Wait("/dossiers", "juan's second upload", func(e testkit.WireEvent) bool { return e.Path == "/ACME/2026/j2.pdf" })
	if got, want := paths(dossiers), []string{
		"upload.completed juan /dossiers/ACME/2026/j1.pdf", "upload.completed juan /dossiers/ACME/2026/j2.pdf",
	}; !slices.Equal(got, want) {
		t.Errorf("the hook on uploads under /dossiers/** received\n  %q\nwant\n  %q", got, want)
	}
	staff := rc.Wait("/staff", "tomas's upload", func(e testkit.WireEvent) bool { return e.User == "tomas" })
	if got, want := paths(staff), []string{
		"upload.completed ana /departments/operaciones/a1.docx", "upload.completed ana /departments/operaciones/a2.docx",
		"upload.completed tomas /departments/trafico/t1.docx",
	}; !slices.Equal(got, want) {
		t.Errorf("the hook on staff uploads received\n  %q\nwant\n  %q", got, want)
	}
	all := rc.Wait("/all", "tomas's upload", func(e testkit.WireEvent) bool { return e.User == "tomas" && e.Type == "upload.completed" })
	var want []string
	for _, u := range []struct{ user, spath string }{
		{"ana", "/departments/operaciones/a1.docx"}, {"juan", "/dossiers/ACME/2026/j1.pdf"},
		{"ana", "/departments/operaciones/a2.docx"}, {"juan", "/dossiers/ACME/2026/j2.pdf"},
		{"tomas", "/departments/trafico/t1.docx"},
	} {
		want = append(want, "login.succeeded "+u.user+" ", "upload.completed "+u.user+" "+u.spath)
	}
	if got := paths(all); !slices.Equal(got, want) {
		t.Errorf("the hook without filters received\n  %q\nwant\n  %q", got, want)
	}

	// The same event has the same id at every hook.
	ids := map[string]string{}
	for _, d := range all {
		ids[d.Event.StoragePath+d.Event.Session] = d.Event.ID
	}
	for _, d := range slices.Concat(dossiers, staff) {
		if id := ids[d.Event.StoragePath+d.Event.Session]; id != d.Event.ID {
			t.Errorf("%s reached two hooks with ids %q and %q", d.Event, id, d.Event.ID)
		}
	}

	for _, d := range slices.Concat(dossiers, staff, all) {
		secret := secrets[d.Path]
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(d.Body)
		wantSig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		sig := d.Header.Get("X-Custodia-Signature")
		if sig != wantSig {
			t.Errorf("%s %s: X-Custodia-Signature %q, want HMAC-SHA256 of the body with the hook's secret %q",
				d.Path, d.Event, sig, wantSig)
		}
		if got := events.Sign(secret, d.Body); got != wantSig {
			t.Errorf("events.Sign = %q, want %q", got, wantSig)
		}
		for other, s := range secrets {
			if other != d.Path && events.Sign(s, d.Body) == sig {
				t.Errorf("%s %s is signed with the secret of %s", d.Path, d.Event, other)
			}
		}
		if got := d.Header.Get("X-Custodia-Event"); got != d.Event.Type {
			t.Errorf("%s %s: X-Custodia-Event %q, want %q", d.Path, d.Event, got, d.Event.Type)
		}
		if got := d.Header.Get("X-Custodia-Delivery"); got == "" || got != d.Event.ID {
			t.Errorf("%s %s: X-Custodia-Delivery %q, want the event id %q", d.Path, d.Event, got, d.Event.ID)
		}
		if got := d.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("%s %s: Content-Type %q", d.Path, d.Event, got)
		}
		testkit.DecodeEvent(t, d.Body) // no field beyond the documented ones
	}
}

// Every kind of event reaches a hook without filters, in the order one
// user caused them.
func TestEventsEveryKindInOrder(t *testing.T) {
	t.Parallel()
	rc := testkit.NewReceiver(t, nil)
	tg := testkit.Start(t, testkit.HooksConfig(t, testkit.Hook{Name: "all", URL: rc.URL("/all"), Secret: "all-secret-0123456789"}))
	tg.Fixture()
	testkit.WaitHooks(t, tg, "all")

	if conn, err := tg.Dial("ana", "not her password"); err == nil {
		conn.Close()
		t.Fatal("a wrong password logged in")
	}
	c := tg.SFTP("ana")
	steps := []struct {
		what string
		do   func() error
	}{
		{"get", func() error {
			f, err := c.Open("/operaciones/reporte.xlsx")
			if err != nil {
				return err
			}
			buf := make([]byte, 100)
			n, _ := f.Read(buf)
			if string(buf[:n]) != "reporte" {
				return errors.New("read " + string(buf[:n]))
			}
			return f.Close()
		}},
		{"mkdir", func() error { return c.Mkdir("/operaciones/2026") }},
		{"put", func() error {
			f, err := c.Create("/operaciones/2026/nuevo.docx")
			if err != nil {
				return err
			}
			f.Write([]byte("nuevo"))
			return f.Close()
		}},
		{"rename", func() error { return c.Rename("/operaciones/2026/nuevo.docx", "/operaciones/2026/final.docx") }},
		{"rm", func() error { return c.Remove("/operaciones/2026/final.docx") }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("ana's %s: %v", s.what, err)
		}
	}
	if f, err := c.Create("/operaciones/setup.exe"); testkit.SFTPOutcome(err) != "denied" {
		if err == nil {
			f.Close()
		}
		t.Fatalf("ana's upload of an executable: %v, want denied", err)
	}
	// An upload cut off with the connection.
	raw, nc := tg.RawSFTP("ana")
	f, err := raw.Create("/operaciones/parcial.docx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("half of it")); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	ds := rc.Wait("/all", "ana's failed upload", func(e testkit.WireEvent) bool { return e.Type == "upload.failed" })

	j := tg.SFTP("juan")
	if f, err := j.Create("/ACME/2026/pedimento.pdf"); testkit.SFTPOutcome(err) != "denied" {
		if err == nil {
			f.Close()
		}
		t.Fatalf("juan's overwrite: %v, want denied", err)
	}
	ds = rc.Wait("/all", "juan's denied overwrite", func(e testkit.WireEvent) bool { return e.User == "juan" && e.Type == "denied" })

	type row struct{ typ, role, path, spath, target, result string }
	var got []row
	var juan []testkit.WireEvent
	for _, d := range ds {
		switch d.Event.User {
		case "ana":
			got = append(got, row{d.Event.Type, d.Event.Role, d.Event.Path, d.Event.StoragePath, d.Event.Target, d.Event.Result})
			if d.Event.Type == "rename" && d.Event.TargetSP != "/departments/operaciones/2026/final.docx" {
				t.Errorf("the rename's target_storage_path is %q, want /departments/operaciones/2026/final.docx", d.Event.TargetSP)
			}
		case "juan":
			juan = append(juan, d.Event)
		default:
			t.Errorf("an event of someone else: %s", d.Event)
		}
	}
	want := []row{
		{"login.failed", "", "", "", "", "failed"},
		{"login.succeeded", "staff", "", "", "", "ok"},
		{"download.completed", "staff", "/operaciones/reporte.xlsx", "/departments/operaciones/reporte.xlsx", "", "ok"},
		{"mkdir", "staff", "/operaciones/2026", "/departments/operaciones/2026", "", "ok"},
		{"upload.completed", "staff", "/operaciones/2026/nuevo.docx", "/departments/operaciones/2026/nuevo.docx", "", "ok"},
		{"rename", "staff", "/operaciones/2026/nuevo.docx", "/departments/operaciones/2026/nuevo.docx", "/operaciones/2026/final.docx", "ok"},
		{"delete", "staff", "/operaciones/2026/final.docx", "/departments/operaciones/2026/final.docx", "", "ok"},
		{"denied", "staff", "/operaciones/setup.exe", "/departments/operaciones/setup.exe", "", "denied"},
		{"login.succeeded", "staff", "", "", "", "ok"},
		{"upload.failed", "staff", "/operaciones/parcial.docx", "/departments/operaciones/parcial.docx", "", "failed"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ana's events, in order:\n%swant (type role path storage_path target result)\n  %v", testkit.DescribeEvents(testkit.EventsOf(ds)), want)
	}
	if len(juan) != 2 || juan[0].Type != "login.succeeded" || juan[1].Type != "denied" ||
		juan[1].StoragePath != "/dossiers/ACME/2026/pedimento.pdf" || juan[1].Role != "correspondent" ||
		juan[1].Result != "denied" || juan[1].Reason == "" {
		t.Errorf("juan's events:\n%swant login.succeeded, then denied on /dossiers/ACME/2026/pedimento.pdf with a reason",
			testkit.DescribeEvents(juan))
	}
	for _, d := range ds {
		switch e := d.Event; e.Type {
		case "login.failed":
			if !strings.Contains(e.Reason, "wrong password") || e.Protocol != "sftp" {
				t.Errorf("login.failed: %+v, want the reason and protocol", e)
			}
		case "download.completed":
			if e.Bytes != int64(len("reporte")) {
				t.Errorf("download.completed: bytes %d, want %d", e.Bytes, len("reporte"))
			}
		case "upload.completed":
			if e.Bytes != 5 || e.SHA256 == "" {
				t.Errorf("upload.completed: %+v", e)
			}
		}
	}
}

// A webhook that hangs past its timeout or answers 500 holds back its own
// later events only: the users' transfers go on promptly, the other hooks
// get their events, and the failures show in the log and the metrics.
func TestEventsFailingHooksNeverHoldBackTransfers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	rc := testkit.NewReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hang":
			select { // far beyond the hook's timeout
			case <-r.Context().Done():
			case <-release:
			case <-time.After(time.Minute):
			}
		case "/broken":
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	})
	t.Cleanup(func() { close(release) }) // before the endpoint closes, after the gateway stopped
	secret := "a-secret-of-enough-length"
	tg, stop := testkit.Restartable(t, testkit.Env(t.TempDir(), "CUSTODIA_LOG_LEVEL=warn", testkit.HooksConfig(t,
		testkit.Hook{Name: "hang", URL: rc.URL("/hang"), Secret: secret, Timeout: "3s", Backoff: "50ms"},
		testkit.Hook{Name: "broken", URL: rc.URL("/broken"), Secret: secret, Timeout: "2s", Backoff: "50ms"},
		testkit.Hook{Name: "ok", URL: rc.URL("/ok"), Secret: secret},
	)), true)
	tg.Fixture()
	testkit.WaitHooks(t, tg, "hang", "broken", "ok")

	c := tg.SFTP("ana")
	const files = 6
	for i := range files {
		name := "/operaciones/lote-" + string(rune('a'+i)) + ".docx"
		start := time.Now()
		f, err := c.Create(name)
		if err != nil {
			t.Fatalf("upload %s: %v", name, err)
		}
		if _, err := f.Write([]byte(strings.Repeat("x", 64<<10))); err != nil {
			t.Fatalf("upload %s: %v", name, err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("upload %s: %v", name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("upload %s took %v, want well under the hanging hook's 3s timeout", name, d)
		}
	}
	written := 0
	for _, r := range auditRows(t, tg, "ana") {
		if r["action"] == "write" {
			written++
			if r["result"] != "ok" {
				t.Errorf("an upload was audited %v", r)
			}
		}
	}
	if written != files {
		t.Errorf("%d uploads audited, want %d", written, files)
	}

	// The healthy hook gets every upload meanwhile, without waiting for
	// the hanging one to time out.
	uploaded := time.Now()
	ok := rc.Wait("/ok", "the last upload", func(e testkit.WireEvent) bool { return e.Path == "/operaciones/lote-f.docx" })
	if d := time.Since(uploaded); d > 2*time.Second {
		t.Errorf("the healthy hook got the last upload %v after it, want it before the hanging hook times out", d)
	}
	if len(ok) != files+1 {
		t.Errorf("the healthy hook received\n%swant ana's login and %d uploads", testkit.DescribeEvents(testkit.EventsOf(ok)), files)
	}
	// The failing ones are stuck at ana's login, their first event.
	testkit.WaitFor(t, 10*time.Second, "the hanging hook's timeout is not logged:\n"+tg.Log(), func() bool {
		return regexp.MustCompile(`level=WARN msg="hook failed; retrying" hook=hang .*type=login.succeeded attempt=1 .*err="webhook timed out after 3s"`).
			MatchString(tg.Log())
	})
	if !regexp.MustCompile(`level=WARN msg="hook failed; retrying" hook=broken .*type=login.succeeded attempt=1 .*err="webhook answered 500 Internal Server Error"`).
		MatchString(tg.Log()) {
		t.Errorf("the 500 answers are not logged:\n%s", tg.Log())
	}
	for _, path := range []string{"/hang", "/broken"} {
		ds := rc.At(path)
		if len(ds) == 0 {
			t.Errorf("%s was never called", path)
		}
		for _, d := range ds {
			if d.Event.Type != "login.succeeded" || d.Event.User != "ana" {
				t.Errorf("%s got %s before its first event was delivered", path, d.Event)
			}
		}
	}
	if n := len(rc.At("/broken")); n < 3 {
		t.Errorf("the hook answering 500 was tried %d times, want retries every 50ms, 100ms, 200ms…", n)
	}
	for _, m := range []struct {
		labels string
		ok     func(float64) bool
	}{
		{`hook="hang",result="failed"`, func(v float64) bool { return v >= 1 }},
		{`hook="broken",result="failed"`, func(v float64) bool { return v >= 3 }},
		{`hook="ok",result="ok"`, func(v float64) bool { return v == files+1 }},
		{`hook="ok",result="failed"`, func(v float64) bool { return v <= 0 }},
		{`hook="hang",result="ok"`, func(v float64) bool { return v <= 0 }},
	} {
		if v := testkit.Metric(t, tg, "custodia_hook_deliveries_total", m.labels); !m.ok(v) {
			t.Errorf("custodia_hook_deliveries_total{%s} = %v (-1: absent)", m.labels, v)
		}
	}

	// A hanging hook does not hold the gateway's stop either.
	start := time.Now()
	stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the gateway took %v to stop with a hanging hook", d)
	}
}
