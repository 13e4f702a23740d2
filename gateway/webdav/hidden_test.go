package webdav_test

import (
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// TestWebDAVHiddenNameAnswersLikeAMissingOne: for every method, with the
// name as the request's path and (COPY, MOVE) as the destination, an
// existing name the user may not see answers exactly as a name that does
// not exist: status and body. A client does not see the non-PDF files of
// its folder nor other clients; a correspondent does not see clients not
// assigned to it.
func TestWebDAVHiddenNameAnswersLikeAMissingOne(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	const (
		lockBody  = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>t</D:owner></D:lockinfo>`
		patchBody = `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x"><D:set><D:prop><Z:a>1</Z:a></D:prop></D:set></D:propertyupdate>`
		xml       = "application/xml; charset=utf-8"
	)
	type request struct {
		method, body string
		hdr          []string
		asDest       bool // the name is the Destination; the path is src
	}
	requests := []request{
		{method: "GET"},
		{method: "HEAD"},
		{method: "PUT", body: "new content"},
		{method: "DELETE"},
		{method: "MKCOL"},
		{method: "LOCK", body: lockBody, hdr: []string{"Content-Type", xml, "Timeout", "Second-60"}},
		{method: "UNLOCK", hdr: []string{"Lock-Token", "<opaquelocktoken:00000000-0000-0000-0000-000000000000>"}},
		{method: "PROPFIND", body: testkit.AllProp, hdr: []string{"Depth", "0", "Content-Type", xml}},
		{method: "PROPPATCH", body: patchBody, hdr: []string{"Content-Type", xml}},
		{method: "COPY"},
		{method: "MOVE"},
		{method: "COPY", asDest: true},
		{method: "MOVE", asDest: true},
	}
	cases := []struct {
		user            string
		src             string // a file the user sees, the source when the name is a destination
		hidden, missing string
	}{
		{"carla", "/ACME/2026/factura.pdf", "/ACME/2026/notas.txt", "/ACME/2026/nada.txt"},
		{"carla", "/ACME/2026/factura.pdf", "/beta/b.pdf", "/gamma/b.pdf"},
		{"carla", "/ACME/2026/factura.pdf", "/beta", "/gamma"},
		{"juan", "/ACME/2026/pedimento.pdf", "/beta/x.pdf", "/gamma/x.pdf"},
		{"juan", "/ACME/2026/pedimento.pdf", "/beta", "/gamma"},
	}
	for _, c := range cases {
		d := tg.DAV(c.user)
		send := func(r request, name string) testkit.DAVResp {
			t.Helper()
			hdr := append([]string(nil), r.hdr...)
			path := name
			switch {
			case r.asDest:
				path = c.src
				hdr = append(hdr, "Destination", d.URL(name))
			case r.method == "COPY" || r.method == "MOVE":
				hdr = append(hdr, "Destination", d.URL(c.src+".copy"))
			}
			resp := d.Do(r.method, path, r.body, hdr...)
			resp.Body = strings.ReplaceAll(resp.Body, name, "NAME")
			return resp
		}
		for _, r := range requests {
			what := r.method
			if r.asDest {
				what += " (destination)"
			}
			h, m := send(r, c.hidden), send(r, c.missing)
			if h.Code != m.Code || h.Body != m.Body {
				t.Errorf("%s %s: hidden %s answers %d %q, missing %s answers %d %q",
					c.user, what, c.hidden, h.Code, h.Body, c.missing, m.Code, m.Body)
			}
		}
	}
	// What the refused requests named is still there.
	for _, p := range []string{"clients/ACME/2026/notas.txt", "clients/BETA/b.pdf", "dossiers/BETA/x.pdf"} {
		if r := tg.DAV("sys").Do("GET", "/"+p, ""); r.Code != 200 {
			t.Errorf("after the requests, the admin's GET /%s: %d", p, r.Code)
		}
	}
}
