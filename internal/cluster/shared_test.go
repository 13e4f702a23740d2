package cluster_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/cluster"
	"github.com/oaq/custodia/internal/perf"
	"github.com/oaq/custodia/internal/testkit"
)

// TestClusterBanOnOneRefusesOnAll: five wrong passwords from one client
// over SFTP on gateway 1 ban its address; then the right password from
// that address is refused on gateways 2 and 3 (pinned), and through
// HAProxy over SFTP, FTPS and WebDAV, and gateway 3's API lists the ban;
// another client still logs in through HAProxy.
func TestClusterBanOnOneRefusesOnAll(t *testing.T) {
	t.Parallel()
	c := cluster.Start(t, cluster.Options{Gateways: 3, Users: 1})
	user, pass := cluster.User(0), perf.Password(0)
	const bad = 30 // the client that fails
	for i := range 5 {
		if sc, err := c.DialSFTP(c.Pinned(1, bad), user, "wrong-password"); err == nil {
			sc.Close()
			t.Fatalf("a wrong password logged in (try %d)", i+1)
		}
	}
	for g := 2; g <= 3; g++ {
		if sc, err := c.DialSFTP(c.Pinned(g, bad), user, pass); err == nil {
			sc.Close()
			t.Errorf("gateway %d lets in the address that gateway 1 banned", g)
		}
	}
	for i := range 3 { // whichever gateway HAProxy picks
		if sc, err := c.DialSFTP(c.ViaLB(bad), user, pass); err == nil {
			sc.Close()
			t.Errorf("sftp through HAProxy (try %d) lets in the banned address", i+1)
		}
		if fc, err := c.DialFTPS(c.ViaLB(bad), user, pass); err == nil {
			fc.Quit()
			t.Errorf("ftps through HAProxy (try %d) lets in the banned address", i+1)
		}
		req, _ := http.NewRequest("PROPFIND", "https://"+c.DAV+"/"+perf.Dept+"/", nil)
		req.Header.Set("Depth", "0")
		req.SetBasicAuth(user, pass)
		hc := c.HTTPClient(c.ViaLB(bad))
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusMultiStatus {
				t.Errorf("webdav through HAProxy (try %d) lets in the banned address", i+1)
			}
		}
		hc.CloseIdleConnections()
	}
	tok, err := c.AdminToken(3)
	if err != nil {
		t.Fatal(err)
	}
	code, m, err := c.API(3, http.MethodGet, "/api/v1/bans", tok, nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /api/v1/bans on gateway 3: %d %v", code, err)
	}
	listed := false
	bans, _ := m["bans"].([]any)
	for _, b := range bans {
		if b, _ := b.(map[string]any); b["address"] == c.Client(bad).String() {
			listed = true
		}
	}
	if !listed {
		t.Errorf("gateway 3's API does not list the ban of %s: %v", c.Client(bad), m)
	}
	sc, err := c.DialSFTP(c.ViaLB(31), user, pass)
	if err != nil {
		t.Fatalf("another client cannot log in through HAProxy: %v", err)
	}
	sc.Close()
}

// TestClusterKickAcrossGateways: an SFTP session held by gateway 2 is
// listed by gateway 1's admin API and kicked there; the client's session
// on gateway 2 ends within a bounded time.
func TestClusterKickAcrossGateways(t *testing.T) {
	t.Parallel()
	c := cluster.Start(t, cluster.Options{Gateways: 2, Users: 1})
	const client = 40
	sc, err := c.DialSFTP(c.Pinned(2, client), cluster.User(0), perf.Password(0))
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	tok, err := c.AdminToken(1)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	testkit.WaitFor(t, 10*time.Second, "gateway 1 lists the sftp session held by gateway 2", func() bool {
		code, m, err := c.API(1, http.MethodGet, "/api/v1/sessions", tok, nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("GET /api/v1/sessions on gateway 1: %d %v", code, err)
		}
		ss, _ := m["sessions"].([]any)
		for _, s := range ss {
			s, _ := s.(map[string]any)
			if s["user"] == cluster.User(0) && s["protocol"] == "sftp" && s["remote"] == c.Client(client).String() {
				id, _ = s["id"].(string)
			}
		}
		return id != ""
	})
	if code, m, err := c.API(1, http.MethodDelete, "/api/v1/sessions/"+id, tok, nil); err != nil || code != http.StatusNoContent {
		t.Fatalf("kick through gateway 1: %d %v %v", code, m, err)
	}
	testkit.WaitFor(t, 10*time.Second, "the kicked session on gateway 2 ends", func() bool {
		_, err := sc.Getwd()
		return err != nil
	})
}
