package notify_test

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/server"
	"github.com/oaq/custodia/store"
)

const portal = "https://portal.oaq.test:8444/"

// gatewayEnv is a gateway that mails digests through r every interval.
func gatewayEnv(t *testing.T, r *relay, interval string) []string {
	return testkit.Env(t.TempDir(), "CUSTODIA_NOTIFY_SMTP="+r.addr, "CUSTODIA_NOTIFY_FROM=Portal OAQ <portal@oaq.test>",
		"CUSTODIA_NOTIFY_USERNAME="+relayUser, "CUSTODIA_NOTIFY_PASSWORD="+relayPassword,
		"CUSTODIA_NOTIFY_SMTP_CA="+r.caFile, "CUSTODIA_NOTIFY_INTERVAL="+interval,
		"CUSTODIA_NOTIFY_PORTAL_URL="+portal, "CUSTODIA_LOG_LEVEL=info") // the portal listens on a port of its own here

}

// setUp adds the fixture, a client with a non-ASCII name, and contacts.
func setUp(t *testing.T, tg *testkit.Gateway) {
	t.Helper()
	tg.Fixture()
	tg.AddClient("PENA", "Importadora Peña")
	ctx := context.Background()
	for id, addrs := range map[string][]string{"ACME": {"compras@acme.test", "conta@acme.test"}, "PENA": {"ana@pena.test"}} {
		if err := tg.Store().SetClientContacts(ctx, id, addrs); err != nil {
			t.Fatal(err)
		}
	}
	testkit.WaitHooks(t, tg, "email")
}

// publish uploads as pub, the accounting system's account, over SFTP
// two PDFs for ACME and one for PENA; an admin adds a .txt to ACME's
// folder (the publisher may write PDFs only) and a correspondent a PDF
// to ACME's dossier: neither is a publication.
func publish(t *testing.T, tg *testkit.Gateway) {
	t.Helper()
	testkit.Upload(t, tg, "pub", "/ACME/2026/aviso-0042.pdf", "%PDF-1.4 aviso")
	testkit.Upload(t, tg, "pub", "/ACME/2026/pedimento 26 47 3.PDF", "%PDF-1.4 pedimento")
	testkit.Upload(t, tg, "sys", "/clients/ACME/2026/leeme.txt", "not a pdf")
	testkit.Upload(t, tg, "juan", "/ACME/expediente.pdf", "%PDF-1.4 expediente")
	testkit.Upload(t, tg, "pub", "/PENA/estado-de-cuenta.pdf", "%PDF-1.4 edo")
}

func pending(t *testing.T, tg *testkit.Gateway) int {
	t.Helper()
	ps, err := tg.Store().PendingPublications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(ps)
}

// digest is a message the relay took, read as a recipient would.
type digest struct {
	mailed
	Header  mail.Header
	Subject string
	Body    string
}

func read(t *testing.T, m mailed) digest {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		t.Fatalf("digest is no RFC 5322 message: %v\n%s", err, m.Data)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("digest Content-Type %q: want plain text, nothing attached", ct)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range m.Data {
		if b >= 0x80 {
			t.Fatalf("digest has a raw non-ASCII byte: headers must be encoded, the body quoted-printable\n%s", m.Data)
		}
	}
	return digest{mailed: m, Header: msg.Header, Subject: subject, Body: string(body)}
}

// byClient splits the digests by the client their subject names.
func byClient(t *testing.T, ms []mailed) map[string][]digest {
	t.Helper()
	out := map[string][]digest{}
	for _, m := range ms {
		d := read(t, m)
		for _, id := range []string{"ACME", "PENA", "BETA"} {
			if strings.Contains(d.Subject, "("+id+")") {
				out[id] = append(out[id], d)
			}
		}
	}
	return out
}

func TestDigestPerClientListsPDFsAndPortalOnly(t *testing.T) {
	t.Parallel()
	r := newRelay(t)
	tg, _ := testkit.Restartable(t, gatewayEnv(t, r, "5s"), true)
	setUp(t, tg)
	publish(t, tg)
	testkit.WaitFor(t, 20*time.Second, "a digest for ACME and one for PENA", func() bool { return len(r.messages()) >= 2 })
	time.Sleep(6 * time.Second) // another interval: nothing more may come
	got := byClient(t, r.messages())
	if len(r.messages()) != 2 || len(got["ACME"]) != 1 || len(got["PENA"]) != 1 {
		t.Fatalf("want exactly one digest for ACME and one for PENA, got %d messages (ACME %d, PENA %d)",
			len(r.messages()), len(got["ACME"]), len(got["PENA"]))
	}
	acme, pena := got["ACME"][0], got["PENA"][0]
	if !acme.TLS || acme.User != relayUser {
		t.Errorf("digest sent with TLS %v as %q: want STARTTLS and AUTH as %s", acme.TLS, acme.User, relayUser)
	}
	if want := []string{"compras@acme.test", "conta@acme.test"}; !slices.Equal(acme.To, want) {
		t.Errorf("ACME's digest went to %v, want its contacts %v", acme.To, want)
	}
	if acme.From != "portal@oaq.test" {
		t.Errorf("envelope sender %q, want notify.from's address", acme.From)
	}
	for _, want := range []string{"aviso-0042.pdf", "pedimento 26 47 3.PDF", portal, "Se publicaron 2 documentos"} {
		if !strings.Contains(acme.Body, "2026/") || !strings.Contains(acme.Body, want) {
			t.Errorf("ACME's digest does not say %q:\n%s", want, acme.Body)
		}
	}
	for _, never := range []string{"leeme.txt", "expediente", "estado-de-cuenta", "%PDF", "token", "/ACME/"} {
		if strings.Contains(acme.Body, never) {
			t.Errorf("ACME's digest says %q:\n%s", never, acme.Body)
		}
	}
	if strings.Count(acme.Body, "https://") != 1 {
		t.Errorf("ACME's digest holds a link other than the portal's:\n%s", acme.Body)
	}
	if !strings.Contains(pena.Subject, "Importadora Peña") || !strings.Contains(pena.Header.Get("Subject"), "=?utf-8?q?") {
		t.Errorf("PENA's subject %q (raw %q): want its name, Q-encoded", pena.Subject, pena.Header.Get("Subject"))
	}
	to, err := pena.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Importadora Peña" || to[0].Address != "ana@pena.test" {
		t.Errorf("PENA's To %q: want \"Importadora Peña\" <ana@pena.test> (%v)", pena.Header.Get("To"), err)
	}
	if n := pending(t, tg); n != 0 {
		t.Errorf("%d publications still queued after their digests", n)
	}
	if strings.Contains(tg.Log(), relayPassword) {
		t.Errorf("the SMTP password is in the log")
	}
	if v := testkit.Metric(t, tg, "custodia_notify_digests_total", `result="sent"`); v != 2 {
		t.Errorf("custodia_notify_digests_total{result=\"sent\"} = %v, want 2", v)
	}
}

func TestDigestSurvivesRestartOnce(t *testing.T) {
	t.Parallel()
	r := newRelay(t)
	tg, stop := testkit.Restartable(t, gatewayEnv(t, r, "10s"), true)
	setUp(t, tg)
	publish(t, tg)
	testkit.WaitFor(t, 20*time.Second, "three PDFs queued", func() bool { return pending(t, tg) == 3 })
	stop()
	if n := len(r.messages()); n != 0 {
		t.Fatalf("%d digests sent before an interval passed", n)
	}
	tg, _ = testkit.Restartable(t, tg.Environ, false)
	testkit.WaitFor(t, 20*time.Second, "both digests after the restart", func() bool { return len(r.messages()) >= 2 })
	time.Sleep(11 * time.Second)
	got := byClient(t, r.messages())
	if len(r.messages()) != 2 || len(got["ACME"]) != 1 || len(got["PENA"]) != 1 {
		t.Fatalf("after a restart: %d messages, want one digest each for ACME and PENA", len(r.messages()))
	}
	if b := got["ACME"][0].Body; !strings.Contains(b, "aviso-0042.pdf") || !strings.Contains(b, "pedimento 26 47 3.PDF") {
		t.Errorf("ACME's digest after the restart lost a file:\n%s", b)
	}
	if n := pending(t, tg); n != 0 {
		t.Errorf("%d publications still queued", n)
	}
}

func TestDigestRetriedWhileRelayIsDown(t *testing.T) {
	t.Parallel()
	r := newRelay(t)
	tg, _ := testkit.Restartable(t, gatewayEnv(t, r, "1s"), true)
	setUp(t, tg)
	addr := r.addr
	r.stop()
	publish(t, tg)
	testkit.WaitFor(t, 20*time.Second, "three PDFs queued", func() bool { return pending(t, tg) == 3 })
	testkit.WaitFor(t, 20*time.Second, "a failed try counted", func() bool {
		return testkit.Metric(t, tg, "custodia_notify_digests_total", `result="failed"`) >= 2
	})
	if !strings.Contains(tg.Log(), "digest not sent; kept for the next try") {
		t.Errorf("no log line for the failed digest:\n%s", tg.Log())
	}
	if n := pending(t, tg); n != 3 {
		t.Fatalf("%d publications queued after failed tries, want 3: a failed digest lost them", n)
	}
	r.start(addr)
	testkit.WaitFor(t, 20*time.Second, "both digests once the relay is back", func() bool { return len(r.messages()) >= 2 })
	time.Sleep(2 * time.Second)
	got := byClient(t, r.messages())
	if len(r.messages()) != 2 || len(got["ACME"]) != 1 || len(got["PENA"]) != 1 {
		t.Fatalf("%d messages once the relay is back, want one digest each for ACME and PENA", len(r.messages()))
	}
	if b := got["ACME"][0].Body; !strings.Contains(b, "aviso-0042.pdf") || !strings.Contains(b, "pedimento 26 47 3.PDF") {
		t.Errorf("ACME's digest lost a file while the relay was down:\n%s", b)
	}
}

func TestContactAddressRefusesHeaderInjection(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"a@acme.test\r\nBcc: x@evil.test", "a@acme.test\nX: y", "Ana <a@acme.test>", "a@acme.test, b@acme.test",
		"no-at-sign", "", "a@acme.test\x00"} {
		if got, err := store.NormalizeContact(bad); err == nil {
			t.Errorf("contact %q accepted as %q", bad, got)
		}
	}
	if got, err := store.NormalizeContact(" compras@acme.test "); err != nil || got != "compras@acme.test" {
		t.Errorf("a plain address: %q, %v", got, err)
	}
}

// Two gateways on one store (the server's notifier and a second one built
// from the same configuration) send each client's digest once: the one
// holding the sender's lease sends.
func TestTwoGatewaysSendEachDigestOnce(t *testing.T) {
	t.Parallel()
	r := newRelay(t)
	tg, _ := testkit.Restartable(t, gatewayEnv(t, r, "1s"), true)
	setUp(t, tg)
	second, err := server.Notifier(tg.Config, tg.Store(), prometheus.NewRegistry(), nil)
	if err != nil || second == nil {
		t.Fatalf("the second gateway's notifier: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { second.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	r.mu.Lock()
	r.slow = 500 * time.Millisecond // a slow relay: both senders' ticks (every 100 ms) would fall within one send
	r.mu.Unlock()
	publish(t, tg)
	testkit.WaitFor(t, 20*time.Second, "both digests", func() bool { return len(r.messages()) >= 2 })
	testkit.WaitFor(t, 20*time.Second, "the queue emptied", func() bool { return pending(t, tg) == 0 })
	time.Sleep(3 * time.Second) // two intervals and more, as TestDigestRetriedWhileRelayIsDown: a second sender's copies would be in
	got := byClient(t, r.messages())
	if len(r.messages()) != 2 || len(got["ACME"]) != 1 || len(got["PENA"]) != 1 {
		t.Fatalf("two gateways sent %d messages, want one digest each for ACME and PENA", len(r.messages()))
	}
}
