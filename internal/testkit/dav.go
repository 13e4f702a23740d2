package testkit

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
func (tg *Gateway) davTLS() bool {
	for _, e := range tg.Environ {
		if e == "CUSTODIA_WEBDAV_TLS=off" {
			return false
		}
	}
	return true
}

// DAVURL is the share's root: https://127.0.0.1:PORT (the generated
// certificate names the loopback addresses), or http:// with TLS off.
func (tg *Gateway) DAVURL() string {
	tg.T.Helper()
	if tg.DAVAddr == "" {
		tg.T.Fatal("the gateway does not serve WebDAV (no listener named webdav)")
	}
	if tg.davTLS() {
		return "https://" + tg.DAVAddr
	}
	return "http://" + tg.DAVAddr
}

// davTransport trusts only the generated certificate and always dials the
// gateway's loopback listener, whatever host a URL or redirect names.
func (tg *Gateway) davTransport() *http.Transport {
	tg.T.Helper()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", tg.DAVAddr)
		},
		MaxIdleConnsPerHost:   4,
		ResponseHeaderTimeout: time.Minute,
	}
	if tg.davTLS() {
		tr.TLSClientConfig = tg.ClientTLS()
	}
	tg.T.Cleanup(tr.CloseIdleConnections)
	return tr
}

// DAVClient sends WebDAV requests as one user with HTTP Basic auth and
// reports statuses as they are: no redirect following, no retries.
type DAVClient struct {
	Gateway    *Gateway
	User, Pass string // no Authorization header when user is ""
	HTTP       *http.Client
}

// DAVResp is a response read in full.
type DAVResp struct {
	Code   int
	Header http.Header
	Body   string
}

// DAV returns a client for user with Password.
func (tg *Gateway) DAV(user string) *DAVClient { return tg.DAVAs(user, Password) }

// DAVAs returns a client with any credentials; user "" sends none.
func (tg *Gateway) DAVAs(user, pass string) *DAVClient {
	return &DAVClient{Gateway: tg, User: user, Pass: pass, HTTP: &http.Client{
		Transport:     tg.davTransport(),
		Timeout:       2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// URL is the absolute URL of a virtual path, escaped as clients escape it
// (spaces and non-ASCII names percent-encoded); Destination headers use it.
func (d *DAVClient) URL(vpath string) string {
	return d.Gateway.DAVURL() + (&url.URL{Path: vpath}).EscapedPath()
}

// Do sends one request; hdr are header name and value pairs.
func (d *DAVClient) Do(method, vpath, body string, hdr ...string) DAVResp {
	d.Gateway.T.Helper()
	r, err := d.Try(method, vpath, body, hdr...)
	if err != nil {
		d.Gateway.T.Fatalf("%s %s as %q: %v", method, vpath, d.User, err)
	}
	return r
}

// Try is do for a request the server may refuse by closing the connection.
func (d *DAVClient) Try(method, vpath, body string, hdr ...string) (DAVResp, error) {
	req, err := http.NewRequest(method, d.URL(vpath), strings.NewReader(body))
	if err != nil {
		return DAVResp{}, err
	}
	if d.User != "" {
		req.SetBasicAuth(d.User, d.Pass)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := d.HTTP.Do(req)
	if err != nil {
		return DAVResp{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return DAVResp{Code: resp.StatusCode, Header: resp.Header, Body: string(b)}, err
}

// Propfind lists (depth "1") or stats (depth "0") with an allprop body.
func (d *DAVClient) Propfind(vpath, depth string) DAVResp {
	d.Gateway.T.Helper()
	return d.Do("PROPFIND", vpath, AllProp, "Depth", depth, "Content-Type", "application/xml; charset=utf-8")
}

const AllProp = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`

// StatusOutcome classifies a status the way outcome classifies SFTP
// errors: 403 is a denial, 404 a name the user may not see.
func StatusOutcome(code int) string {
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

// DAVOutcome classifies a gowebdav error: an *os.PathError wrapping a
// StatusError with the response's status.
func DAVOutcome(err error) string {
	var se gowebdav.StatusError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &se):
		return StatusOutcome(se.Status)
	}
	return "error: " + err.Error()
}

// GoWebDAV returns GoWebDAV's client for user over the trusted transport.
// NewClient negotiates: its first request goes without credentials and
// takes the scheme from the 401, as desktop clients do.
func (tg *Gateway) GoWebDAV(user string) *gowebdav.Client {
	c := gowebdav.NewClient(tg.DAVURL()+"/", user, Password)
	c.SetTransport(tg.davTransport())
	c.SetTimeout(time.Minute)
	return c
}

func BasicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// DAVConn dials the WebDAV listener as a client would, over TLS unless
// webdav.tls is off, for what net/http will not send or cannot cut short.
func (tg *Gateway) DAVConn() net.Conn {
	tg.T.Helper()
	var c net.Conn
	var err error
	d := &net.Dialer{Timeout: 5 * time.Second}
	if tg.davTLS() {
		c, err = tls.DialWithDialer(d, "tcp", tg.DAVAddr, tg.ClientTLS())
	} else {
		c, err = d.Dial("tcp", tg.DAVAddr)
	}
	if err != nil {
		tg.T.Fatalf("cannot connect to the WebDAV listener: %v", err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	tg.T.Cleanup(func() { c.Close() })
	return c
}

// DAVRaw sends one hand-written request on a fresh connection and reads
// one response; code is 0 when the server closed without answering.
func (tg *Gateway) DAVRaw(request string) (int, string) {
	tg.T.Helper()
	c := tg.DAVConn()
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

// AuditRow is one line of `custodia audit` (store.AuditEntry.Text).
type AuditRow struct {
	User, Protocol, Action, Path, Target, Bytes, SHA256, Result, Reason string
}

// AuditRows returns a user's audit trail, oldest first.
func (tg *Gateway) AuditRows(user string) []AuditRow {
	tg.T.Helper()
	var rows []AuditRow
	for _, line := range strings.Split(strings.TrimSpace(tg.AuditLog(user, 1000)), "\n") {
		f := strings.SplitN(line, "\t", 12)
		if len(f) < 12 {
			continue
		}
		rows = append(rows, AuditRow{User: f[1], Protocol: f[3], Action: f[5], Path: f[6], Target: f[7],
			Bytes: f[8], SHA256: f[9], Result: f[10], Reason: f[11]})
	}
	return rows
}

// FindAudit returns the first row that match accepts.
func FindAudit(rows []AuditRow, match func(AuditRow) bool) (AuditRow, bool) {
	for _, r := range rows {
		if match(r) {
			return r, true
		}
	}
	return AuditRow{}, false
}
