package notify

import (
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/store"
)

// TestDigestHeadersCannotBeInjected: a client name and a file name with
// line breaks add no header and no line of their own to the digest.
func TestDigestHeadersCannotBeInjected(t *testing.T) {
	t.Parallel()
	n := New(Options{From: "Portal <portal@oaq.test>", PortalURL: "https://p.test:8444/", Organization: "OAQ\r\nBcc: x@evil.test"})
	c := &store.Client{ID: "ACME", Name: "Acme\r\nBcc: spy@evil.test", Contacts: []string{"a@acme.test"}}
	at := time.Date(2026, 5, 3, 14, 2, 0, 0, time.UTC)
	msg, err := n.digest(c, []store.Publication{{EventID: "e1", Client: "ACME", Name: "x.pdf\r\nBcc: spy@evil.test", At: at}}, at)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(strings.NewReader(string(msg)))
	if err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	if m.Header.Get("Bcc") != "" || strings.Contains(string(msg), "\r\nBcc:") || strings.Contains(string(msg), "\nBcc:") {
		t.Errorf("a name smuggled a Bcc header or line into the digest:\n%s", msg)
	}
	to, err := m.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "a@acme.test" {
		t.Errorf("To %q: want the one contact (%v)", m.Header.Get("To"), err)
	}
}
