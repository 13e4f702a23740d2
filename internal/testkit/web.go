package testkit

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// WebURL is the portal's root, https://127.0.0.1:PORT (the generated
// certificate names the loopback addresses).
func (tg *Gateway) WebURL() string {
	tg.T.Helper()
	if tg.WebAddr == "" {
		tg.T.Fatal("the gateway does not serve the web portal (no listener named web)")
	}
	return "https://" + tg.WebAddr
}

// ConsoleURL is the admin console's login-or-dashboard page,
// http://127.0.0.1:PORT/admin/ (the admin listener, plain HTTP on
// loopback).
func (tg *Gateway) ConsoleURL() string {
	tg.T.Helper()
	if tg.APIAddr == "" {
		tg.T.Fatal("the gateway does not serve the admin listener (no listener named admin)")
	}
	return "http://" + tg.APIAddr + "/admin/"
}

// WebClient is a browser without JavaScript for the portal or the admin
// console: net/http with a cookie jar, trusting only the generated
// certificate, following no redirect (tests look at each answer).
type WebClient struct {
	tg   *Gateway
	URL  string // the origin: paths are relative to it
	HTTP *http.Client
	// Lang is sent as Accept-Language when not empty.
	Lang string
	// login is the path of the login form: /login or /admin/login.
	login string
}

// Web returns a new client of the portal, logged out.
func (tg *Gateway) Web() *WebClient {
	tg.T.Helper()
	return tg.webClient(tg.WebAddr, tg.WebURL(), "/login")
}

// Console returns a new client of the admin console, logged out; its
// paths are the listener's (c.Get("/admin/")).
func (tg *Gateway) Console() *WebClient {
	tg.T.Helper()
	tg.ConsoleURL()
	return tg.webClient(tg.APIAddr, "http://"+tg.APIAddr, "/admin/login")
}

func (tg *Gateway) webClient(addr, origin, login string) *WebClient {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig:       tg.ClientTLS(),
		ResponseHeaderTimeout: time.Minute,
	}
	tg.T.Cleanup(tr.CloseIdleConnections)
	return &WebClient{tg: tg, URL: origin, login: login, HTTP: &http.Client{Transport: tr, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Do sends a request to a path of the portal and returns the response
// with its body read.
func (c *WebClient) Do(method, path string, body io.Reader, header http.Header) (*http.Response, string) {
	c.tg.T.Helper()
	req, err := http.NewRequest(method, c.URL+path, body)
	if err != nil {
		c.tg.T.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if c.Lang != "" && req.Header.Get("Accept-Language") == "" {
		req.Header.Set("Accept-Language", c.Lang)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.tg.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.tg.T.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, string(b)
}

// Get GETs a path.
func (c *WebClient) Get(path string) (*http.Response, string) {
	c.tg.T.Helper()
	return c.Do(http.MethodGet, path, nil, nil)
}

// Post posts a form to a path as a page of the portal would: with the
// portal's Origin.
func (c *WebClient) Post(path string, form url.Values) (*http.Response, string) {
	c.tg.T.Helper()
	return c.Do(http.MethodPost, path, strings.NewReader(form.Encode()), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {c.URL}})
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// CSRF is the token in a page's forms, "" when it has none.
func CSRF(page string) string {
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

// Login logs in through the login form and returns the answer to the
// form's POST (303 to the files, or to the console's dashboard, on
// success) and the CSRF token of the page it leads to ("" when the login
// failed).
func (c *WebClient) Login(user, password string) (*http.Response, string) {
	c.tg.T.Helper()
	_, page := c.Get(c.login)
	tok := CSRF(page)
	if tok == "" {
		c.tg.T.Fatalf("the login page has no CSRF token:\n%s", page)
	}
	resp, _ := c.Post(c.login, url.Values{"csrf": {tok}, "username": {user}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		return resp, ""
	}
	_, page = c.Get(resp.Header.Get("Location"))
	return resp, CSRF(page)
}
