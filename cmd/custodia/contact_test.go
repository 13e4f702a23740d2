package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// TestClientContacts: `client contact add|remove|list` run in the server
// (over its socket), audited as the command line's; `client list` and
// the admin API's client JSON show the addresses; PATCH replaces them;
// an address that could smuggle a header is refused everywhere.
func TestClientContacts(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	tg.Fixture()
	must(tg, "", "client", "contact", "add", "acme", "conta@acme.test")
	must(tg, "", "client", "contact", "add", "ACME", "compras@acme.test")
	if out := must(tg, "", "client", "contact", "list", "ACME"); out != "ACME\tcompras@acme.test\nACME\tconta@acme.test\n" {
		t.Errorf("client contact list ACME:\n%s", out)
	}
	if out := must(tg, "", "client", "list"); !strings.Contains(out, "\tcompras@acme.test,conta@acme.test\n") {
		t.Errorf("client list does not show ACME's contacts:\n%s", out)
	}
	for _, bad := range []string{"x@acme.test\r\nBcc: spy@evil.test", "x@acme.test\nBcc: spy@evil.test", "Ana <x@acme.test>"} {
		if out, err := cli(tg, "", "client", "contact", "add", "ACME", bad); err == nil {
			t.Errorf("contact %q accepted:\n%s", bad, out)
		}
	}
	if out, err := cli(tg, "", "client", "contact", "add", "ACME", "conta@acme.test"); err == nil || !strings.Contains(err.Error(), "already has") {
		t.Errorf("a second add of the same address: %v\n%s", err, out)
	}
	if out, err := cli(tg, "", "client", "contact", "add", "NOPE", "a@nope.test"); err == nil || !strings.Contains(err.Error(), "no client") {
		t.Errorf("a contact for no client: %v\n%s", err, out)
	}
	must(tg, "", "client", "contact", "remove", "ACME", "conta@acme.test")
	if out, err := cli(tg, "", "client", "contact", "remove", "ACME", "conta@acme.test"); err == nil {
		t.Errorf("removing an address ACME no longer has succeeded:\n%s", out)
	}
	log := tg.AuditLog("", 50)
	for _, want := range []string{"admin.client.contact.add", "admin.client.contact.remove", "conta@acme.test"} {
		if !strings.Contains(log, want) {
			t.Errorf("the audit log does not show %q:\n%s", want, log)
		}
	}

	tok := tg.APILogin("sys")
	r := tg.API("PATCH", "/api/v1/clients/ACME", tok, map[string]any{"contacts": []string{"b@acme.test", "a@acme.test", "a@acme.test"}})
	if r.Code != 200 {
		t.Fatalf("PATCH contacts: %d %s", r.Code, r.Body)
	}
	if got := r.JSON(t)["contacts"]; !slices.Equal(toStrings(got), []string{"a@acme.test", "b@acme.test"}) {
		t.Errorf("PATCH answered contacts %v, want [a@acme.test b@acme.test]", got)
	}
	testkit.WantProblem(t, "a contact with a line break", tg.API("PATCH", "/api/v1/clients/ACME", tok,
		map[string]any{"contacts": []string{"a@acme.test\r\nBcc: spy@evil.test"}}), 422, "contacts")
	r = tg.API("GET", "/api/v1/clients", tok, nil)
	if !strings.Contains(string(r.Body), `"contacts":["a@acme.test","b@acme.test"]`) || !strings.Contains(string(r.Body), `"contacts":[]`) {
		t.Errorf("GET /api/v1/clients does not show the contacts (and [] for none):\n%s", r.Body)
	}
	if !strings.Contains(tg.AuditLog("sys", 20), "admin.client.contacts") {
		t.Errorf("the API's change of contacts is not audited:\n%s", tg.AuditLog("sys", 20))
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
