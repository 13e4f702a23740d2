package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/server"
)

// twoGateways is a started gateway (a) with the fixture's users, and a
// second gateway (b) in this process over a's store, files and policies,
// as two custodia processes over one database; b is a testkit.Gateway
// whose clients reach b's listeners.
func twoGateways(t *testing.T, extra ...string) (a, b *testkit.Gateway) {
	t.Helper()
	a = testkit.Start(t, extra...)
	a.Fixture()
	peer, err := server.StartPeer(context.Background(), a.Server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(peer.Stop)
	b = &testkit.Gateway{T: t, DataDir: a.DataDir, Environ: a.Environ, Config: a.Config, Server: a.Server,
		SFTPAddr: peer.Addr("sftp"), FTPAddr: peer.Addr("ftp"), DAVAddr: peer.Addr("webdav"),
		WebAddr: peer.Addr("web"), APIAddr: peer.Addr("admin")}
	return a, b
}

// gatewayID is the id a gateway's /healthz shows.
func gatewayID(t *testing.T, tg *testkit.Gateway) string {
	t.Helper()
	id, _ := tg.API("GET", "/healthz", "", nil).JSON(t)["gateway"].(string)
	if id == "" {
		t.Fatalf("the /healthz of %s shows no gateway id", tg.APIAddr)
	}
	return id
}

// TestBanOnOneGatewayRefusesOnAll: failed logins counted by two gateways
// over one store (two over SFTP on b, one on a's admin API) ban the
// address on both: neither lets the right password in, over SFTP or the
// admin API; both list the ban; a lift through b's admin API lets it in
// on a again.
func TestBanOnOneGatewayRefusesOnAll(t *testing.T) {
	t.Parallel()
	a, b := twoGateways(t, "CUSTODIA_DEFENDER_MAX_FAILURES=3", "CUSTODIA_DEFENDER_BAN_TIME=10m")
	tokA, tokB := a.APILogin("sys"), b.APILogin("sys") // taken before the ban
	for range 2 {
		if c, err := b.Dial("ana", "wrong password"); err == nil {
			c.Close()
			t.Fatal("gateway b let a wrong password in")
		}
	}
	if c, err := a.Dial("ana", testkit.Password); err != nil {
		t.Fatalf("two failures on gateway b already refuse ana on gateway a: %v", err)
	} else {
		c.Close()
	}
	r := a.API("POST", "/api/v1/login", "", map[string]string{"username": "sys", "password": "wrong password"})
	testkit.WantProblem(t, "a wrong admin-API password on gateway a", r, 401, "")

	for name, tg := range map[string]*testkit.Gateway{"a": a, "b": b} {
		if c, err := tg.Dial("ana", testkit.Password); err == nil {
			c.Close()
			t.Errorf("gateway %s let the right password in from an address banned by failures over both gateways", name)
		}
		r := tg.API("POST", "/api/v1/login", "", map[string]string{"username": "sys", "password": testkit.Password})
		testkit.WantProblem(t, "the right admin-API password from a banned address on gateway "+name, r, 429, "")
	}
	for name, tok := range map[*testkit.Gateway]string{a: tokA, b: tokB} {
		r := name.API("GET", "/api/v1/bans", tok, nil)
		if r.Code != 200 || !strings.Contains(string(r.Body), `"127.0.0.1"`) {
			t.Errorf("the admin API of %s lists the bans %d %s, want 127.0.0.1", name.APIAddr, r.Code, r.Body)
		}
	}

	if r := b.API("DELETE", "/api/v1/bans/127.0.0.1", tokB, nil); r.Code != 204 {
		t.Fatalf("lift the ban through gateway b: %d %s", r.Code, r.Body)
	}
	if c, err := a.Dial("ana", testkit.Password); err != nil {
		t.Errorf("gateway a still refuses ana after gateway b lifted the ban: %v", err)
	} else {
		c.Close()
	}
	if r := a.API("GET", "/api/v1/bans", tokA, nil); r.Code != 200 || strings.Contains(string(r.Body), "127.0.0.1") {
		t.Errorf("gateway a lists the bans %d %s after gateway b lifted the ban", r.Code, r.Body)
	}
}

// TestKickReachesAnotherGateway: ana's SFTP session on gateway b is
// listed by gateway a's admin API with b's gateway id; a kick through a
// ends it on b within a few heartbeats, and is audited once.
func TestKickReachesAnotherGateway(t *testing.T) {
	t.Parallel()
	a, b := twoGateways(t)
	idA, idB := gatewayID(t, a), gatewayID(t, b)
	if idA == idB {
		t.Fatalf("both gateways show the id %s", idA)
	}
	tok := a.APILogin("sys")
	c := b.SFTP("ana")

	var id string
	testkit.WaitFor(t, 5*time.Second, "gateway a lists ana's sftp session on gateway b", func() bool {
		for _, s := range a.API("GET", "/api/v1/sessions", tok, nil).JSON(t)["sessions"].([]any) {
			m := s.(map[string]any)
			if m["user"] == "ana" && m["protocol"] == "sftp" && m["gateway"] == idB {
				id, _ = m["id"].(string)
			}
		}
		return id != ""
	})
	if r := a.API("DELETE", "/api/v1/sessions/"+id, tok, nil); r.Code != 204 {
		t.Fatalf("kick through gateway a: %d %s", r.Code, r.Body)
	}
	testkit.WaitFor(t, 5*time.Second, "ana's session on gateway b ends", func() bool {
		_, err := c.Getwd()
		return err != nil
	})
	if r := a.API("DELETE", "/api/v1/sessions/"+id, tok, nil); r.Code != 404 {
		t.Errorf("a second kick of the ended session answered %d, want 404", r.Code)
	}
	kicks := 0
	for _, row := range a.AuditRows("sys") {
		if row.Action == "admin.session.kick" {
			kicks++
		}
	}
	if kicks != 1 {
		t.Errorf("the kick is audited %d times, want once", kicks)
	}
}

// TestPortalSessionWorksOnEveryGateway: a browser that logged in to the
// portal through gateway a is logged in through gateway b (the cookie
// jar is the same browser), a logout through b logs it out on a, and
// the store holds no cookie, only its hash. The console's sessions are
// shared the same way, and a kick from the other gateway ends one.
func TestPortalSessionWorksOnEveryGateway(t *testing.T) {
	t.Parallel()
	a, b := twoGateways(t)
	ca := a.Web()
	if resp, _ := ca.Login("carla", testkit.Password); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("carla cannot log in to the portal of gateway a: %s", resp.Status)
	}
	cb := b.Web()
	cb.HTTP.Jar = ca.HTTP.Jar
	resp, page := cb.Get("/f/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("carla's portal session from gateway a answered %s on gateway b, want 200", resp.Status)
	}
	u, _ := url.Parse(ca.URL)
	var token string
	for _, ck := range ca.HTTP.Jar.Cookies(u) {
		token = ck.Value
	}
	if token == "" {
		t.Fatal("the browser holds no portal cookie")
	}
	for _, f := range []string{"custodia.db", "custodia.db-wal"} {
		data, err := os.ReadFile(filepath.Join(a.DataDir, f))
		if err == nil && bytes.Contains(data, []byte(token)) {
			t.Errorf("%s holds the portal cookie itself", f)
		}
	}

	if resp, _ := cb.Post("/logout", url.Values{"csrf": {testkit.CSRF(page)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout through gateway b answered %s", resp.Status)
	}
	ca.HTTP.Jar = cb.HTTP.Jar
	if resp, _ := ca.Get("/f/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("after a logout through gateway b, gateway a answered %s to %q, want 303 to /login",
			resp.Status, resp.Header.Get("Location"))
	}

	// The console: a session from gateway b works on a, and a kick
	// through a's API ends it on b.
	cons := b.Console()
	if resp, _ := cons.Login("sys", testkit.Password); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sys cannot log in to the console of gateway b: %s", resp.Status)
	}
	consA := a.Console()
	consA.HTTP.Jar = cons.HTTP.Jar
	if resp, _ := consA.Get("/admin/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("sys's console session from gateway b answered %s on gateway a, want 200", resp.Status)
	}
	tok := a.APILogin("sys")
	var ids []string
	for _, s := range a.API("GET", "/api/v1/sessions", tok, nil).JSON(t)["sessions"].([]any) {
		if m := s.(map[string]any); m["protocol"] == "admin" && m["user"] == "sys" {
			ids = append(ids, m["id"].(string))
		}
	}
	if len(ids) != 1 {
		t.Fatalf("the sessions list %d console sessions, want sys's one: %v", len(ids), ids)
	}
	if r := a.API("DELETE", "/api/v1/sessions/"+ids[0], tok, nil); r.Code != 204 {
		t.Fatalf("kick the console session: %d %s", r.Code, r.Body)
	}
	testkit.WaitFor(t, 5*time.Second, "the kicked console session ends on both gateways", func() bool {
		rb, _ := cons.Get("/admin/")
		ra, _ := consA.Get("/admin/")
		return rb.StatusCode == http.StatusSeeOther && ra.StatusCode == http.StatusSeeOther
	})
}
