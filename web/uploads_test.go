package web_test

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/web"
	"github.com/oaq/custodia/web/ui"
)

// The place the resumable uploads are mounted: only a live session's
// requests from this origin reach it, state-changing ones with the CSRF
// header, and they find the session's view and user in their context.
func TestUploadsMountNeedsSessionOriginAndToken(t *testing.T) {
	t.Parallel()
	tg := start(t)
	cert, err := gateway.LoadCertificate(filepath.Join(tg.DataDir, "keys", "tls.crt"), filepath.Join(tg.DataDir, "keys", "tls.key"), "")
	if err != nil {
		t.Fatal(err)
	}
	reached := make(chan string, 10)
	srv, err := web.New(web.Options{Core: tg.Server.Core(), TLS: gateway.TLSConfig(cert.Certificate),
		Uploads: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v, u := web.ViewOf(r.Context()), web.UserOf(r.Context())
			if v == nil || u == nil {
				t.Errorf("an upload request's context has no view (%v) or user (%v)", v, u)
			} else {
				reached <- r.Method + " " + u.Name
			}
			w.WriteHeader(http.StatusNoContent)
		})})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(context.Background(), ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	tg.WebAddr = ln.Addr().String() // the clients below talk to this server
	anon := tg.Web()
	c, tok := loggedIn(t, tg, "juan")
	wrong := "x" + tok[1:] // a token that differs from the session's
	if tok[0] == 'x' {
		wrong = "y" + tok[1:]
	}
	for _, r := range []struct {
		who    *testkit.WebClient
		method string
		header http.Header
		want   int
	}{
		{anon, http.MethodPost, http.Header{ui.CSRFHeader: {tok}}, http.StatusForbidden},
		{anon, http.MethodHead, nil, http.StatusSeeOther},
		{c, http.MethodPost, nil, http.StatusForbidden},
		{c, http.MethodPatch, http.Header{ui.CSRFHeader: {wrong}}, http.StatusForbidden},
		{c, http.MethodPost, http.Header{ui.CSRFHeader: {tok}, "Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{c, http.MethodPost, http.Header{ui.CSRFHeader: {tok}, "Origin": {c.URL}}, http.StatusNoContent},
		{c, http.MethodHead, nil, http.StatusNoContent},
	} {
		resp, _ := r.who.Do(r.method, "/uploads/x", strings.NewReader(""), r.header)
		if resp.StatusCode != r.want {
			t.Errorf("%s /uploads/x with %v answered %s, want %d", r.method, r.header, resp.Status, r.want)
		}
	}
	close(reached)
	var got []string
	for m := range reached {
		got = append(got, m)
	}
	if strings.Join(got, ",") != "POST juan,HEAD juan" {
		t.Errorf("the upload handler saw %v, want the logged-in POST and HEAD", got)
	}
}
