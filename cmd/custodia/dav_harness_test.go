package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/studio-b12/gowebdav"
)

// davTLS says whether the gateway under test serves WebDAV over HTTPS,
// the default; CUSTODIA_WEBDAV_TLS=off makes it plain HTTP.
func (tg *testGateway) davTLS() bool {
	for _, e := range tg.environ {
		if e == "CUSTODIA_WEBDAV_TLS=off" {
			return false
		}
	}
	return true
}

// davURL is the share's root: https://127.0.0.1:PORT (the generated
// certificate names the loopback addresses), or http:// with TLS off.
func (tg *testGateway) davURL() string {
	tg.t.Helper()
	if tg.davAddr == "" {
		tg.t.Fatal("the gateway does not serve WebDAV (no listener named webdav)")
	}
	if tg.davTLS() {
		return "https://" + tg.davAddr
	}
	return "http://" + tg.davAddr
}

// davTransport trusts only the generated certificate and always dials the
// gateway's loopback listener, whatever host a URL or redirect names.
func (tg *testGateway) davTransport() *http.Transport {
	tg.t.Helper()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", tg.davAddr)
		},
		MaxIdleConnsPerHost:   4,
		ResponseHeaderTimeout: time.Minute,
	}
	if tg.davTLS() {
		tr.TLSClientConfig = tg.clientTLS()
	}
	tg.t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// davClient sends WebDAV requests as one user with HTTP Basic auth and
// reports statuses as they are: no redirect following, no retries.
type davClient struct {
	tg         *testGateway
	user, pass string // no Authorization header when user is ""
	hc         *http.Client
}

// davResp is a response read in full.
type davResp struct {
	code   int
	header http.Header
	body   string
}

// dav returns a client for user with testPassword.
func (tg *testGateway) dav(user string) *davClient { return tg.davAs(user, testPassword) }

// davAs returns a client with any credentials; user "" sends none.
func (tg *testGateway) davAs(user, pass string) *davClient {
	return &davClient{tg: tg, user: user, pass: pass, hc: &http.Client{
		Transport:     tg.davTransport(),
		Timeout:       2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// url is the absolute URL of a virtual path, escaped as clients escape it
// (spaces and non-ASCII names percent-encoded); Destination headers use it.
func (d *davClient) url(vpath string) string {
	return d.tg.davURL() + (&url.URL{Path: vpath}).EscapedPath()
}

// do sends one request; hdr are header name and value pairs.
func (d *davClient) do(method, vpath, body string, hdr ...string) davResp {
	d.tg.t.Helper()
	r, err := d.try(method, vpath, body, hdr...)
	if err != nil {
		d.tg.t.Fatalf("%s %s as %q: %v", method, vpath, d.user, err)
	}
	return r
}

// try is do for a request the server may refuse by closing the connection.
func (d *davClient) try(method, vpath, body string, hdr ...string) (davResp, error) {
	req, err := http.NewRequest(method, d.url(vpath), strings.NewReader(body))
	if err != nil {
		return davResp{}, err
	}
	if d.user != "" {
		req.SetBasicAuth(d.user, d.pass)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return davResp{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return davResp{code: resp.StatusCode, header: resp.Header, body: string(b)}, err
}

// propfind lists (depth "1") or stats (depth "0") with an allprop body.
func (d *davClient) propfind(vpath, depth string) davResp {
	d.tg.t.Helper()
	return d.do("PROPFIND", vpath, allprop, "Depth", depth, "Content-Type", "application/xml; charset=utf-8")
}

const allprop = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`

// statusOutcome classifies a status the way outcome classifies SFTP
// errors: 403 is a denial, 404 a name the user may not see.
func statusOutcome(code int) string {
	switch {
	case code >= 200 && code < 300:
		return "ok"
	case code == http.StatusForbidden:
		return "denied"
	case code == http.StatusNotFound:
		return "notfound"
	}
	return "status " + strconv.Itoa(code)
}

// davOutcome classifies a gowebdav error: an *os.PathError wrapping a
// StatusError with the response's status.
func davOutcome(err error) string {
	var se gowebdav.StatusError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &se):
		return statusOutcome(se.Status)
	}
	return "error: " + err.Error()
}

// gowebdav returns gowebdav's client for user over the trusted transport.
// NewClient negotiates: its first request goes without credentials and
// takes the scheme from the 401, as desktop clients do.
func (tg *testGateway) gowebdav(user string) *gowebdav.Client {
	c := gowebdav.NewClient(tg.davURL()+"/", user, testPassword)
	c.SetTransport(tg.davTransport())
	c.SetTimeout(time.Minute)
	return c
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// davConn dials the WebDAV listener as a client would, over TLS unless
// webdav.tls is off, for what net/http will not send or cannot cut short.
func (tg *testGateway) davConn() net.Conn {
	tg.t.Helper()
	var c net.Conn
	var err error
	d := &net.Dialer{Timeout: 5 * time.Second}
	if tg.davTLS() {
		c, err = tls.DialWithDialer(d, "tcp", tg.davAddr, tg.clientTLS())
	} else {
		c, err = d.Dial("tcp", tg.davAddr)
	}
	if err != nil {
		tg.t.Fatalf("cannot connect to the WebDAV listener: %v", err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	tg.t.Cleanup(func() { c.Close() })
	return c
}

// davRaw sends one hand-written request on a fresh connection and reads
// one response; code is 0 when the server closed without answering.
func (tg *testGateway) davRaw(request string) (int, string) {
	tg.t.Helper()
	c := tg.davConn()
	defer c.Close()
	if _, err := io.WriteString(c, request); err != nil {
		return 0, err.Error()
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

// auditRow is one line of `custodia audit`.
type auditRow struct {
	user, protocol, action, path, target, bytes, sha256, result, reason string
}

// auditRows returns a user's audit trail, oldest first.
func (tg *testGateway) auditRows(user string) []auditRow {
	tg.t.Helper()
	var rows []auditRow
	for _, line := range strings.Split(strings.TrimSpace(tg.must("", "audit", "--user", user, "--limit", "1000")), "\n") {
		f := strings.SplitN(line, "\t", 12)
		if len(f) < 12 {
			continue
		}
		rows = append(rows, auditRow{user: f[1], protocol: f[3], action: f[5], path: f[6], target: f[7],
			bytes: f[8], sha256: f[9], result: f[10], reason: f[11]})
	}
	return rows
}

// findAudit returns the first row that match accepts.
func findAudit(rows []auditRow, match func(auditRow) bool) (auditRow, bool) {
	for _, r := range rows {
		if match(r) {
			return r, true
		}
	}
	return auditRow{}, false
}
