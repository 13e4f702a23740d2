package webdav_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/oaq/custodia/gateway/webdav"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// secondGateway serves WebDAV over tg's store and core from a second
// server (plain HTTP on loopback), as another gateway on the same
// database would, and returns a client for it: method, virtual path,
// body, user and headers in; status and Lock-Token out.
func secondGateway(t *testing.T, tg *testkit.Gateway) func(method, vpath, body, user string, hdr ...string) (int, string) {
	t.Helper()
	srv := webdav.New(webdav.Options{Core: tg.Server.Core(), Store: tg.Server.Store()})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(context.Background(), ln); close(done) }()
	t.Cleanup(func() { srv.Shutdown(context.Background()); <-done })
	base := "http://" + ln.Addr().String()
	return func(method, vpath, body, user string, hdr ...string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+vpath, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(user, testkit.Password)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s through the second gateway: %v", method, vpath, err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, strings.Trim(strings.TrimSpace(resp.Header.Get("Lock-Token")), "<>")
	}
}

// A lock taken through one gateway is honoured by another on the same
// store: a PUT without its token there is 423; its owner writes,
// refreshes and unlocks through either; another user's UNLOCK with the
// token is forbidden on both. And the other way round.
func TestWebDAVLockHonouredAcrossGateways(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "luis", Role: store.RoleStaff, Department: "operaciones"})
	tg.Put("departments/operaciones/acta.docx", "acta v1")
	const p = "/operaciones/acta.docx"
	gw2 := secondGateway(t, tg)

	tok := lock(tg.DAV("ana"), p, "Second-600") // through the first gateway
	if code, _ := gw2("PUT", p, "luis sin token", "luis"); code != 423 {
		t.Errorf("luis PUT through the second gateway on ana's lock: %d, want 423", code)
	}
	if code, _ := gw2("DELETE", p, "", "luis"); code != 423 {
		t.Errorf("luis DELETE through the second gateway on ana's lock: %d, want 423", code)
	}
	if code, _ := gw2("UNLOCK", p, "", "luis", "Lock-Token", "<"+tok+">"); code != 403 {
		t.Errorf("luis UNLOCK through the second gateway with ana's token: %d, want 403", code)
	}
	if code, _ := gw2("PUT", p, "ana v2", "ana", "If", "(<"+tok+">)"); code/100 != 2 {
		t.Errorf("ana PUT with her token through the second gateway: %d, want 2xx", code)
	}
	if code, _ := gw2("LOCK", p, "", "ana", "If", "(<"+tok+">)", "Timeout", "Second-900"); code != 200 {
		t.Errorf("ana refreshing her lock through the second gateway: %d, want 200", code)
	}
	if code, _ := gw2("UNLOCK", p, "", "ana", "Lock-Token", "<"+tok+">"); code != 204 {
		t.Errorf("ana UNLOCK through the second gateway: %d, want 204", code)
	}
	if r := tg.DAV("luis").Do("PUT", p, "luis v3"); r.Code/100 != 2 {
		t.Errorf("luis PUT through the first gateway once ana unlocked: %d, want 2xx", r.Code)
	}

	code, tok2 := gw2("LOCK", p, lockinfo, "luis", "Timeout", "Second-600", "Depth", "0", "Content-Type", "application/xml")
	if code != 200 || tok2 == "" {
		t.Fatalf("luis LOCK through the second gateway: %d %q", code, tok2)
	}
	if r := tg.DAV("ana").Do("PUT", p, "ana sin token"); r.Code != 423 {
		t.Errorf("ana PUT through the first gateway on luis's lock: %d, want 423", r.Code)
	}
	if r := tg.DAV("ana").Do("LOCK", p, lockinfo, "Timeout", "Second-600", "Depth", "0", "Content-Type", "application/xml"); r.Code != 423 {
		t.Errorf("ana LOCK through the first gateway on luis's lock: %d, want 423", r.Code)
	}
	if r := tg.DAV("ana").Do("LOCK", "/operaciones/", lockinfo, "Timeout", "Second-600", "Depth", "infinity", "Content-Type", "application/xml"); r.Code != 423 {
		t.Errorf("ana depth-infinity LOCK of the folder above luis's lock, through the first gateway: %d, want 423", r.Code)
	}
}
