package admin_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// attrs returns the data-* attributes of the first tag of page that has
// every attribute in match (name="value").
func attrs(t *testing.T, page, what string, match ...string) map[string]string {
	t.Helper()
	for _, tag := range regexp.MustCompile(`<tr [^>]*>`).FindAllString(page, -1) {
		ok := true
		for _, m := range match {
			ok = ok && strings.Contains(tag, " "+m)
		}
		if !ok {
			continue
		}
		out := map[string]string{}
		for _, a := range regexp.MustCompile(`data-([a-z]+)="([^"]*)"`).FindAllStringSubmatch(tag, -1) {
			out[a[1]] = a[2]
		}
		return out
	}
	t.Fatalf("the dashboard has no row of %s (%s)", what, strings.Join(match, " "))
	return nil
}

// section returns the text of the dashboard's section id; the test
// fails when there is none.
func section(t *testing.T, page, id string) string {
	t.Helper()
	s := sectionOf(page, id)
	if s == "" {
		t.Fatalf("the dashboard has no section %s:\n%s", id, page)
	}
	return s
}

// The dashboard's numbers are what happened: ana's SFTP upload and
// download count for today and in this hour's bars, failed logins and
// the ban they bring count, a failing hook is listed, and sections with
// nothing to show say so instead of showing zeros.
func TestConsoleDashboardCounts(t *testing.T) {
	t.Parallel()
	roto := testkit.Hook{Name: "roto", Backoff: "20ms", MaxAttempts: 100000, Events: []string{"upload.completed"},
		Command: []string{"sh", "-c", "echo sin destino >&2; exit 3"}}
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_MAX_FAILURES=2", "CUSTODIA_DEFENDER_BAN_TIME=10m", "CUSTODIA_LOG_LEVEL=warn",
		testkit.HooksConfig(t, roto))
	tg.Fixture()
	c := tg.Console()
	if _, tok := c.Login("sys", testkit.Password); tok == "" {
		t.Fatal("sys cannot log in to the console")
	}

	// Before anything happened.
	_, page := c.Get("/admin/")
	for id, want := range map[string]string{
		"transfers": "No hay transferencias en curso.",
		"backups":   `<tr data-job="database" data-status=""><th scope="row">database</th><td></td><td></td><td class="alert">nunca se ha ejecutado</td>`,
		"volume":    "No hubo subidas ni descargas en los últimos 7 días.",
	} {
		if s := section(t, page, id); !strings.Contains(s, want) {
			t.Errorf("with nothing to show, the section %s does not say %q:\n%s", id, want, s)
		}
	}
	if s := section(t, page, "security"); !strings.Contains(s, "No hay direcciones bloqueadas.") {
		t.Errorf("with no ban the dashboard does not say so:\n%s", s)
	}
	if s := section(t, page, "disk"); !strings.Contains(s, "data-free=") {
		t.Errorf("the dashboard shows no free space:\n%s", s)
	}

	// ana uploads 3000 bytes and downloads them over SFTP.
	ana := tg.SFTP("ana")
	body := bytes.Repeat([]byte("custodia "), 334)[:3000]
	f, err := ana.Create("/operaciones/informe.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := ana.Open("/operaciones/informe.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err != nil {
		t.Fatal(err)
	}
	r.Close()
	testkit.WaitFor(t, 10*time.Second, "the download's audit row", func() bool {
		rows, _ := tg.Store().QueryAudit(context.Background(), store.AuditQuery{User: "ana", Action: "read"})
		return len(rows) == 1
	})

	// Two failed SFTP logins from 127.0.0.2 ban that address.
	for range 2 {
		nc, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).Dial("tcp", tg.SFTPAddr)
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, err = ssh.NewClientConn(nc, tg.SFTPAddr, &ssh.ClientConfig{User: "tomas",
			Auth: []ssh.AuthMethod{ssh.Password("not the password")}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
		nc.Close()
		if err == nil {
			t.Fatal("a wrong password logged in")
		}
	}
	testkit.WaitFor(t, 10*time.Second, "the ban and the hook failing", func() bool {
		cs, _ := tg.Store().HookCursors(context.Background())
		return len(tg.Server.Core().Bans()) == 1 && len(cs) == 1 && cs[0].Attempts > 0
	})

	_, page = c.Get("/admin/")
	today := attrs(t, section(t, page, "today"), "today's sftp", `data-protocol="sftp"`)
	for k, want := range map[string]string{"uploads": "1", "upbytes": "3000", "downloads": "1", "downbytes": "3000", "ok": "1", "failed": "2"} {
		if today[k] != want {
			t.Errorf("today's sftp %s reads %q, want %s (row %v)", k, today[k], want, today)
		}
	}
	if s := section(t, page, "today"); !strings.Contains(s, "2.9 KiB") {
		t.Errorf("today's bytes are not shown for people (2.9 KiB):\n%s", s)
	}
	sec := section(t, page, "security")
	if !strings.Contains(sec, `<strong id="failed-today">2</strong>`) || !strings.Contains(sec, `<strong id="bans-count">1</strong>`) ||
		!strings.Contains(sec, `data-addr="127.0.0.2/32"`) {
		t.Errorf("the dashboard does not show 2 failed logins today and the ban of 127.0.0.2:\n%s", sec)
	}
	hook := attrs(t, page, "the failing hook", `data-hook="roto"`)
	if n, _ := strconv.Atoi(hook["attempts"]); n < 1 {
		t.Errorf("the failing hook shows %v, want its failed tries", hook)
	}
	if s := section(t, page, "hooks"); !strings.Contains(s, "sin destino") {
		t.Errorf("the failing hook's last error is not shown:\n%s", s)
	}

	// This hour's bars: 3000 bytes up and down; 1 login ok, 2 failed.
	hour := time.Now().UTC().Format("2006-01-02T15")
	vol := attrs(t, section(t, page, "volume"), "this hour's sftp volume", `data-hour="`+hour+`"`, `data-protocol="sftp"`)
	if vol["up"] != "3000" || vol["down"] != "3000" {
		t.Errorf("the volume chart's %s sftp bucket is %v, want 3000 up and 3000 down", hour, vol)
	}
	logins := attrs(t, section(t, page, "logins"), "this hour's sftp logins", `data-hour="`+hour+`"`, `data-protocol="sftp"`)
	if logins["up"] != "1" || logins["down"] != "2" {
		t.Errorf("the login chart's %s sftp bucket is %v, want 1 ok and 2 failed", hour, logins)
	}
	svg := section(t, page, "volume")
	for _, want := range []string{"<svg ", `role="img"`, "<title id=\"volume-title\">", "<desc id=\"volume-desc\">", "sftp · Subidas: 2.9 KiB"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the volume chart lacks %q:\n%s", want, svg)
		}
	}
	if strings.Contains(page, "style=") {
		t.Error("the dashboard carries a style attribute, which the CSP refuses")
	}

	// Rows of earlier hours land in their own buckets; older than the
	// week, in none.
	now := time.Now()
	for _, e := range []store.AuditEntry{
		{At: now.Add(-3 * time.Hour), Protocol: "webdav", Action: "write", Result: store.ResultOK, Bytes: 700},
		{At: now.Add(-3 * time.Hour), Protocol: "webdav", Action: "overwrite", Result: store.ResultOK, Bytes: 77},
		{At: now.Add(-3 * time.Hour), Protocol: "webdav", Action: "write", Result: store.ResultFailed, Bytes: 5},
		{At: now.Add(-50 * time.Hour), Protocol: "ftp", Action: "read", Result: store.ResultOK, Bytes: 12345},
		{At: now.Add(-50 * time.Hour), Protocol: "ftp", Action: "login", Result: store.ResultFailed},
		{At: now.Add(-8 * 24 * time.Hour), Protocol: "ftp", Action: "read", Result: store.ResultOK, Bytes: 999},
	} {
		e.User = "ana"
		if err := tg.Store().Audit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	_, page = c.Get("/admin/")
	h3, h50 := now.Add(-3*time.Hour).UTC().Format("2006-01-02T15"), now.Add(-50*time.Hour).UTC().Format("2006-01-02T15")
	if got := attrs(t, section(t, page, "volume"), "3 hours ago", `data-hour="`+h3+`"`, `data-protocol="webdav"`); got["up"] != "777" || got["down"] != "0" {
		t.Errorf("the volume chart's bucket 3 hours ago is %v, want 777 bytes up", got)
	}
	if got := attrs(t, section(t, page, "volume"), "50 hours ago", `data-hour="`+h50+`"`, `data-protocol="ftp"`); got["up"] != "0" || got["down"] != "12345" {
		t.Errorf("the volume chart's bucket 50 hours ago is %v, want 12345 bytes down", got)
	}
	if got := attrs(t, section(t, page, "logins"), "50 hours ago", `data-hour="`+h50+`"`, `data-protocol="ftp"`); got["up"] != "0" || got["down"] != "1" {
		t.Errorf("the login chart's bucket 50 hours ago is %v, want 1 failed", got)
	}
	if n := strings.Count(section(t, page, "volume"), "<tr data-hour="); n != 3 {
		t.Errorf("the volume chart's table has %d rows, want 3 (this hour, 3 and 50 hours ago; not 8 days ago)", n)
	}

	// An upload in flight, with its bytes so far.
	up, err := ana.Create("/operaciones/grande.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write(make([]byte, 1500)); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, "the transfer's bytes", func() bool {
		ts := tg.Server.Core().Transfers()
		return len(ts) == 1 && ts[0].Bytes == 1500
	})
	_, page = c.Get("/admin/")
	tr := attrs(t, section(t, page, "transfers"), "ana's upload in flight", `data-path="/operaciones/grande.bin"`)
	if tr["user"] != "ana" || tr["bytes"] != "1500" || tr["upload"] != "true" {
		t.Errorf("the upload in flight is shown as %v, want ana's upload of 1500 bytes so far", tr)
	}
	if s := section(t, page, "transfers"); !strings.Contains(s, "/s</td>") {
		t.Errorf("the transfer has no rate:\n%s", s)
	}
	up.Close()
	_, page = c.Get("/admin/")
	if s := section(t, page, "transfers"); !strings.Contains(s, "No hay transferencias en curso.") {
		t.Errorf("after the upload closed the dashboard still shows a transfer:\n%s", s)
	}
}
