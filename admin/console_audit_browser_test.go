package admin_test

import (
	"encoding/csv"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/internal/testkit"
)

// sshFrom logs in over SFTP from a local address of the loopback
// network other than 127.0.0.1.
func sshFrom(tg *testkit.Gateway, from, user, password string) error {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	nc, err := d.Dial("tcp", tg.SFTPAddr)
	if err != nil {
		return err
	}
	cc, chans, reqs, err := ssh.NewClientConn(nc, tg.SFTPAddr, &ssh.ClientConfig{User: user,
		Auth: []ssh.AuthMethod{ssh.Password(password)}, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
	if err != nil {
		nc.Close()
		return err
	}
	return ssh.NewClient(cc, chans, reqs).Close()
}

// In a real browser an admin ends ana's live SFTP session, and ana's
// client fails at once; and lifts the ban of 127.0.0.2 (made by failed
// logins from there), after which ana logs in from there. Both are
// audited as the API's kick and lift are.
func TestBrowserConsoleKickAndLift(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_MAX_FAILURES=2", "CUSTODIA_DEFENDER_BAN_TIME=10m")
	tg.Fixture()
	ana := tg.SFTP("ana")
	if _, err := ana.ReadDir("/operaciones"); err != nil {
		t.Fatalf("ana's SFTP session: %v", err)
	}
	for range 2 {
		if sshFrom(tg, "127.0.0.2", "tomas", "wrong password") == nil {
			t.Fatal("tomas logged in with a wrong password")
		}
	}
	if err := sshFrom(tg, "127.0.0.2", "ana", testkit.Password); err == nil {
		t.Fatal("127.0.0.2 is not banned after two failed logins")
	}

	ctx := testkit.Browser(t)
	if err := testkit.ConsoleLogin(ctx, tg, "sys", testkit.Password); err != nil {
		t.Fatalf("sys logs in to the console: %v", err)
	}
	testkit.Step(t, tg, ctx, "the sessions page lists ana's SFTP session and the ban",
		chromedp.Navigate(tg.ConsoleURL()+"sessions"),
		chromedp.WaitVisible(chromedp.CSS(`#live tr[data-user="ana"][data-protocol="sftp"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#bans tr[data-addr="127.0.0.2"] button`)),
	)
	testkit.Screenshot(t, ctx, "console-sessions")
	testkit.Step(t, tg, ctx, "end ana's session",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`#live tr[data-user="ana"][data-protocol="sftp"] button`))),
		chromedp.WaitVisible(chromedp.CSS(`#done`)),
	)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#live tr[data-user="ana"]').length`)); n != 0 {
		t.Errorf("after the kick the page still lists %d sessions of ana", n)
	}
	if !testkit.Poll(10*time.Second, func() bool { _, err := ana.ReadDir("/operaciones"); return err != nil }) {
		t.Error("ana's SFTP client still works after the kick")
	}
	testkit.Step(t, tg, ctx, "lift the ban of 127.0.0.2",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`#bans tr[data-addr="127.0.0.2"] button`))),
		chromedp.WaitVisible(chromedp.CSS(`#done`)),
	)
	if err := sshFrom(tg, "127.0.0.2", "ana", testkit.Password); err != nil {
		t.Errorf("ana cannot log in from 127.0.0.2 after the ban was lifted: %v", err)
	}
	log := tg.AuditLog("sys", 20)
	for _, want := range []string{"admin.session.kick", "admin.ban.lift\t/api/v1/bans/127.0.0.2"} {
		if !strings.Contains(log, want) {
			t.Errorf("sys's audit trail lacks %q:\n%s", want, log)
		}
	}
}

// In a real browser an admin filters the audit log to ACME, exports it as
// CSV, and downloads ACME's download report as CSV and as PDF: each names
// carla's download of ACME's PDF, over SFTP, from 127.0.0.1.
func TestBrowserConsoleAuditExports(t *testing.T) {
	t.Parallel()
	testkit.NeedPdftotext(t) // skip before the work, not at its end
	tg := testkit.Start(t, "CUSTODIA_ORGANIZATION=Agencia Aduanal Querétaro")
	tg.Fixture()
	downloadsFixture(t, tg)
	ctx := testkit.Browser(t)
	if err := testkit.ConsoleLogin(ctx, tg, "sys", testkit.Password); err != nil {
		t.Fatalf("sys logs in to the console: %v", err)
	}
	testkit.Step(t, tg, ctx, "filter the audit log to ACME's downloads",
		chromedp.Navigate(tg.ConsoleURL()+"audit"),
		chromedp.WaitVisible(chromedp.CSS(`#f-client`)),
		chromedp.SendKeys(chromedp.CSS(`#f-client`), "ACME"),
		chromedp.SendKeys(chromedp.CSS(`#f-action`), "read"),
		testkit.Load(ctx, chromedp.Submit(chromedp.CSS(`#f-client`))),
		chromedp.WaitVisible(chromedp.CSS(`#rows tr[data-id]`)),
	)
	testkit.Screenshot(t, ctx, "console-audit")
	carla := []string{"carla", "client", "sftp", "127.0.0.1", "read", "/ACME/2026/factura.pdf", "/clients/ACME/2026/factura.pdf"}

	recs, err := csv.NewReader(strings.NewReader(string(testkit.Download(t, ctx, chromedp.Click(chromedp.CSS(`#export`)))))).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("the audit export: %v\n%q", err, recs)
	}
	if got := recs[1][3:10]; !slices.Equal(got, carla) {
		t.Errorf("the audit export's row is %q, want %q", got, carla)
	}

	testkit.Step(t, tg, ctx, "fill in the download report's form",
		chromedp.SendKeys(chromedp.CSS(`#r-client`), "ACME"),
		chromedp.SendKeys(chromedp.CSS(`#r-since`), "2020-01-01"),
	)
	recs, err = csv.NewReader(strings.NewReader(string(testkit.Download(t, ctx, chromedp.Click(chromedp.CSS(`#report-csv`)))))).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("the report as CSV: %v\n%q", err, recs)
	}
	if got := strings.Join(recs[1][2:8], ","); got != "carla,client,sftp,127.0.0.1,/ACME/2026/factura.pdf,/clients/ACME/2026/factura.pdf" {
		t.Errorf("the report's CSV row is %q", got)
	}
	txt := testkit.PDFText(t, testkit.Download(t, ctx, chromedp.Click(chromedp.CSS(`#report-pdf`))), true)
	for _, want := range []string{"Reporte de descargas", "ACME (Acme SA de CV)", "/clients/ACME/2026/factura.pdf",
		"carla (cliente)", "SFTP desde 127.0.0.1", "desde 2020-01-01T00:00:00Z"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the PDF report lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "BETA") {
		t.Errorf("ACME's report names BETA:\n%s", txt)
	}
}
