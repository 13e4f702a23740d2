package gateway_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

// Behind a real HAProxy in TCP mode (send-proxy-v2, health checks with
// check-send-proxy), an SFTP client's login is audited, and listed, with
// the client's own address, not HAProxy's.
func TestHAProxySFTPSeesClientAddress(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_PROXY_PROTOCOL_TRUSTED=127.0.0.1", // HAProxy dials from 127.0.0.1
		"CUSTODIA_LOG_LEVEL=debug")
	tg.Fixture()
	hp := testkit.StartHAProxy(t, testkit.Frontend{Name: "sftp", Backends: []string{tg.SFTPAddr}, Check: true})
	const client = "127.0.0.5"
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(client)}}
	nc, err := d.Dial("tcp", hp.Addrs["sftp"])
	if err != nil {
		t.Fatal(err)
	}
	c, err := testkit.SFTPOver(nc, "ana", testkit.Password)
	if err != nil {
		t.Fatalf("ana cannot log in through HAProxy: %v\nHAProxy:\n%s\ngateway:\n%s", err, hp.Log(), tg.Log())
	}
	defer c.Close()
	if _, err := c.ReadDir("/operaciones"); err != nil {
		t.Errorf("ana cannot list /operaciones through HAProxy: %v", err)
	}
	if !loggedInFrom(tg, "ana", "sftp", client) {
		t.Errorf("no SFTP login row from %s, the client behind HAProxy:\n%s", client, tg.AuditLog("ana", 20))
	}
	if !sessionFrom(tg, "ana", "sftp", client) {
		t.Errorf("the session list does not show ana from %s: %+v", client, tg.Server.Core().Sessions())
	}
	// check-send-proxy sends v2's LOCAL command: served, without a login.
	testkit.WaitFor(t, 10*time.Second, "HAProxy's health check reaches the gateway with a LOCAL header", func() bool {
		return strings.Contains(tg.Log(), "LOCAL header")
	})
	if strings.Contains(hp.Log(), "is DOWN") {
		t.Errorf("HAProxy's health checks marked the gateway down:\n%s", hp.Log())
	}
}
