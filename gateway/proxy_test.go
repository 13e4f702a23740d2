package gateway_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

// loggedInFrom reports whether user's audit trail has a successful login
// over proto from remote.
func loggedInFrom(tg *testkit.Gateway, user, proto, remote string) bool {
	for _, r := range tg.Audit(user, 100) {
		if r.Action == "login" && r.Protocol == proto && r.Remote == remote && string(r.Result) == "ok" {
			return true
		}
	}
	return false
}

func sessionFrom(tg *testkit.Gateway, user, proto, remote string) bool {
	for _, s := range tg.Server.Core().Sessions() {
		if s.User == user && s.Protocol == proto && s.Remote.String() == remote {
			return true
		}
	}
	return false
}

// A client forwarded by a trusted proxy is, to the gateway, the address
// the proxy's header names, with either version of the header: its audit
// row and its live session say so.
func TestProxyHeaderAddressSeenBySFTP(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.ProxyEnv())
	tg.Fixture()
	for _, v := range []byte{1, 2} {
		client := "192.0.2.1" + string('0'+v)
		d := testkit.ViaProxy(client + ":40001")
		d.Version = v
		nc, err := d.Dial("tcp", tg.SFTPAddr)
		if err != nil {
			t.Fatal(err)
		}
		c, err := testkit.SFTPOver(nc, "ana", testkit.Password)
		if err != nil {
			t.Fatalf("v%d: ana cannot log in through the proxy: %v", v, err)
		}
		if _, err := c.ReadDir("/"); err != nil {
			t.Errorf("v%d: ana cannot list / through the proxy: %v", v, err)
		}
		if !loggedInFrom(tg, "ana", "sftp", client) {
			t.Errorf("v%d: no SFTP login row from %s, the header's address:\n%s", v, client, tg.AuditLog("ana", 20))
		}
		if !sessionFrom(tg, "ana", "sftp", client) {
			t.Errorf("v%d: the session list does not show ana from %s: %+v", v, client, tg.Server.Core().Sessions())
		}
		c.Close()
	}
}

// FTPS through a proxy: the control and the passive data connections
// both come from the proxy with headers naming the client; the transfer
// works because the data connection's header matches the control
// connection's client, and the audit rows name the client.
func TestProxyHeaderAddressSeenByFTPS(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.ProxyEnv())
	tg.Fixture()
	d := testkit.ViaProxy("192.0.2.20:40001")
	c, err := tg.DialFTPVia(d, "ana", testkit.Password)
	if err != nil {
		t.Fatalf("ana cannot log in over FTPS through the proxy: %v", err)
	}
	defer c.Quit()
	if !sessionFrom(tg, "ana", "ftp", "192.0.2.20") {
		t.Errorf("the session list does not show ana from 192.0.2.20: %+v", tg.Server.Core().Sessions())
	}
	if err := c.Stor("/operaciones/via-proxy.txt", strings.NewReader("through the proxy")); err != nil {
		t.Fatalf("an upload through the proxy failed: %v", err)
	}
	r, err := c.Retr("/operaciones/via-proxy.txt")
	if err != nil {
		t.Fatalf("a download through the proxy failed: %v", err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if string(got) != "through the proxy" {
		t.Errorf("downloaded %q through the proxy", got)
	}
	if !loggedInFrom(tg, "ana", "ftp", "192.0.2.20") {
		t.Errorf("no FTP login row from 192.0.2.20:\n%s", tg.AuditLog("ana", 20))
	}
	for _, row := range tg.Audit("ana", 50) {
		if row.VPath == "/operaciones/via-proxy.txt" && row.Remote != "192.0.2.20" {
			t.Errorf("the upload's audit row names %s, not the client 192.0.2.20", row.Remote)
		}
	}
}

// A passive data connection whose header names another client than the
// control connection's is refused, as ftpserverlib refuses one from
// another address without a proxy; PASV names the address the client
// reached (the header's destination) when no public host is set.
func TestProxyFTPDataConnectionMustMatchClient(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.ProxyEnv())
	tg.Fixture()
	ctrl := testkit.ViaProxy("192.0.2.30:40001")
	ctrl.Dest = netip.MustParseAddrPort("198.51.100.20:21")
	nc, err := ctrl.Dial("tcp", tg.FTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	r := tg.RawFTPOver(nc, false)
	r.Login("ana")
	if msg := r.Expect(227, "PASV"); !strings.Contains(msg, "(198,51,100,20,") {
		t.Errorf("PASV replied %q: want the address the client reached through the proxy, 198.51.100.20", msg)
	}
	for _, c := range []struct {
		client string
		ok     bool
	}{{"192.0.2.31:40002", false}, {"192.0.2.30:40003", true}} {
		dc := r.PassiveVia(testkit.ViaProxy(c.client))
		code, msg := r.Cmd("LIST /")
		var err error
		if code == 150 {
			_, err = io.ReadAll(dc)
			code, msg = r.Reply()
		}
		dc.Close()
		if c.ok != (code == 226 && err == nil) {
			t.Errorf("a data connection from %s (control from 192.0.2.30): LIST got %d %s (err %v), want success %v",
				c.client, code, msg, err, c.ok)
		}
	}
}

// WebDAV and the portal behind the proxy see the header's address.
func TestProxyHeaderAddressSeenByHTTPS(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.ProxyEnv())
	tg.Fixture()
	dav := tg.DAV("ana")
	testkit.ViaProxy("192.0.2.40:40001").Through(dav.HTTP, tg.DAVAddr)
	if r := dav.Propfind("/", "1"); r.Code != http.StatusMultiStatus {
		t.Fatalf("PROPFIND through the proxy: %d %s", r.Code, r.Body)
	}
	if !loggedInFrom(tg, "ana", "webdav", "192.0.2.40") {
		t.Errorf("no WebDAV login row from 192.0.2.40:\n%s", tg.AuditLog("ana", 20))
	}
	web := tg.Web()
	testkit.ViaProxy("192.0.2.41:40001").Through(web.HTTP, tg.WebAddr)
	if resp, _ := web.Login("carla", testkit.Password); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("carla cannot log in to the portal through the proxy: %d", resp.StatusCode)
	}
	found := false
	for _, r := range tg.Audit("carla", 20) {
		found = found || r.Action == "login" && r.Remote == "192.0.2.41" && string(r.Result) == "ok"
	}
	if !found {
		t.Errorf("no portal login row from 192.0.2.41:\n%s", tg.AuditLog("carla", 20))
	}
}

// The defender counts failures against the header's address and bans
// it, not the proxy: the banned client is refused while another client
// of the same proxy still logs in.
func TestProxyDefenderBansHeaderAddress(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.ProxyEnv(), "CUSTODIA_DEFENDER_MAX_FAILURES=2")
	tg.Fixture()
	login := func(client, password string) error {
		nc, err := testkit.ViaProxy(client).Dial("tcp", tg.SFTPAddr)
		if err != nil {
			return err
		}
		c, err := testkit.SFTPOver(nc, "ana", password)
		if err == nil {
			c.Close()
		}
		return err
	}
	for range 2 {
		if login("192.0.2.66:40001", "wrong-password") == nil {
			t.Fatal("a wrong password logged in")
		}
	}
	testkit.WaitFor(t, 5*time.Second, "the defender bans 192.0.2.66", func() bool {
		return tg.Server.Core().Banned(netip.MustParseAddr("192.0.2.66"))
	})
	if err := login("192.0.2.66:40002", testkit.Password); err == nil {
		t.Error("the banned client logged in through the proxy")
	}
	if tg.Server.Core().Banned(netip.MustParseAddr(testkit.TrustedProxy)) {
		t.Error("the proxy's own address was banned for its client's failures")
	}
	if err := login("192.0.2.67:40001", testkit.Password); err != nil {
		t.Errorf("another client of the same proxy cannot log in: %v", err)
	}
}

// Nobody but a trusted proxy names an address: a header from any other
// address is refused, on every protocol, with either version; a client
// there without a header is served as before.
func TestProxyHeaderFromUntrustedAddressRefused(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.ProxyEnv())
	tg.Fixture()
	for _, v := range []byte{1, 2} {
		d := testkit.ProxyDialer{From: "127.0.0.1", Version: v, Client: netip.MustParseAddrPort("192.0.2.50:40001")}
		nc, err := d.Dial("tcp", tg.SFTPAddr)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := testkit.SFTPOver(nc, "ana", testkit.Password); err == nil {
			c.Close()
			t.Errorf("v%d: a header from 127.0.0.1, not a trusted proxy, was accepted over SFTP", v)
		}
		if _, err := tg.DialFTPVia(d, "ana", testkit.Password); err == nil {
			t.Errorf("v%d: a header from 127.0.0.1 was accepted over FTPS", v)
		}
		dav := tg.DAV("ana")
		d.Through(dav.HTTP, tg.DAVAddr)
		if r, err := dav.Try("PROPFIND", "/", ""); err == nil {
			t.Errorf("v%d: a header from 127.0.0.1 was accepted over WebDAV: %d", v, r.Code)
		}
	}
	if rows := tg.Audit("ana", 20); len(rows) != 0 {
		t.Errorf("refused connections wrote audit rows:\n%s", tg.AuditLog("ana", 20))
	}
	tg.SFTP("ana") // a direct client from 127.0.0.1 still logs in
	if !loggedInFrom(tg, "ana", "sftp", "127.0.0.1") {
		t.Errorf("no direct login row from 127.0.0.1:\n%s", tg.AuditLog("ana", 20))
	}
}

// A trusted proxy's connection without a header is dropped: a proxy that
// forgot send-proxy must not make every client look like the proxy.
func TestProxyWithoutHeaderDropped(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.ProxyEnv())
	tg.Fixture()
	d := testkit.ProxyDialer{From: testkit.TrustedProxy}
	nc, err := d.Dial("tcp", tg.SFTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := testkit.SFTPOver(nc, "ana", testkit.Password); err == nil {
		c.Close()
		t.Error("the proxy's connection without a header logged in over SFTP")
	}
	if _, err := tg.DialFTPVia(d, "ana", testkit.Password); err == nil {
		t.Error("the proxy's connection without a header logged in over FTPS")
	}
	for _, s := range tg.Server.Core().Sessions() {
		t.Errorf("a session from %s is open", s.Remote)
	}
}

// A proxy that connects and sends nothing is closed once the header
// deadline passes (here 300 ms), long before the login deadline.
func TestProxyHeaderDeadline(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.ProxyEnv(), "CUSTODIA_PROXY_PROTOCOL_HEADER_TIMEOUT=300ms")
	nc, err := testkit.ProxyDialer{From: testkit.TrustedProxy}.Dial("tcp", tg.SFTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = nc.Read(make([]byte, 64))
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("a silent proxy connection was not closed by the header deadline (read: %v)", err)
	}
}

// A LOCAL header (v2's health checks, check-send-proxy) is served as the
// proxy's own connection, so a health check sees the protocol answer,
// but nobody logs in over it.
func TestProxyLocalHeaderServedWithoutLogin(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.ProxyEnv())
	tg.Fixture()
	d := testkit.ProxyDialer{From: testkit.TrustedProxy, Version: 2, Local: true}
	nc, err := d.Dial("tcp", tg.SFTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	banner := make([]byte, 8)
	if _, err := io.ReadFull(nc, banner); err != nil || !bytes.HasPrefix(banner, []byte("SSH-2.0-")) {
		t.Fatalf("a LOCAL connection got no SSH banner: %q, %v", banner, err)
	}
	nc.Close()
	nc, err = d.Dial("tcp", tg.SFTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = testkit.SFTPOver(nc, "ana", testkit.Password)
	if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("a login over a LOCAL connection: %v, want it refused as a failed login", err)
	}
	web := tg.Web()
	d.Through(web.HTTP, tg.WebAddr)
	if resp, _ := web.Get("/login"); resp.StatusCode != http.StatusOK {
		t.Errorf("a health check of the portal over a LOCAL connection got %d", resp.StatusCode)
	}
	if resp, _ := web.Login("carla", testkit.Password); resp.StatusCode == http.StatusSeeOther {
		t.Error("carla logged in to the portal over a LOCAL connection")
	}
	if tg.Server.Core().Banned(netip.MustParseAddr(testkit.TrustedProxy)) {
		t.Error("logins refused over LOCAL connections banned the proxy")
	}
}

// While its header is read, a proxy's connection counts as one of the
// proxy's own unauthenticated connections: over the per-address budget,
// the oldest silent one is dropped for a newcomer.
func TestProxyHeaderCountsAgainstProxyBudget(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.ProxyEnv(), "CUSTODIA_LIMITS_MAX_UNAUTHENTICATED_PER_IP=1",
		"CUSTODIA_PROXY_PROTOCOL_HEADER_TIMEOUT=1m") // only the budget closes the silent one in time
	tg.Fixture()
	silent, err := testkit.ProxyDialer{From: testkit.TrustedProxy}.Dial("tcp", tg.SFTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	nc, err := testkit.ViaProxy("192.0.2.70:40001").Dial("tcp", tg.SFTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := testkit.SFTPOver(nc, "ana", testkit.Password)
	if err != nil {
		t.Fatalf("a client through the proxy cannot log in: %v", err)
	}
	c.Close()
	silent.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = silent.Read(make([]byte, 1))
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("the silent proxy connection was not dropped for the newcomer (read: %v)", err)
	}
}
