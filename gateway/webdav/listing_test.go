package webdav_test

import (
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of testdata")

// TestWebDAVListingAnswersAsBefore: the multistatus of a folder's
// PROPFIND (Depth 1 and 0; allprop, propname, named properties Windows and
// a client's own namespace ask for) is what it was before the listing
// read the entries' properties with the folder (testdata, written by the
// per-entry code): the entries the user sees, their live properties and
// the dead properties set on some of them, by PROPPATCH, in the DAV: and
// other namespaces, with xml:lang. Property order within a propstat is
// x/net/webdav's map order, and the quota figures depend on the disk: both
// are normalized.
func TestWebDAVListingAnswersAsBefore(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.Put("clients/ACME/2026/con espacio & amp.pdf", "%PDF-1.4 espacio")
	tg.Put("clients/ACME/2026/sin-props.pdf", "%PDF-1.4 sin")
	tg.Put("clients/ACME/2026/sub/dentro.pdf", "%PDF-1.4 dentro")
	tg.Put("departments/operaciones/otro.txt", "otro")
	sys := tg.DAV("sys")
	const xmlType = "application/xml; charset=utf-8"
	patch := func(vpath, props string) {
		t.Helper()
		body := `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:custodia:test"><D:set><D:prop>` + props + `</D:prop></D:set></D:propertyupdate>`
		if r := sys.Do("PROPPATCH", vpath, body, "Content-Type", xmlType); r.Code != 207 || strings.Contains(r.Body, "HTTP/1.1 4") {
			t.Fatalf("PROPPATCH %s: %d %s", vpath, r.Code, r.Body)
		}
	}
	patch("/clients/ACME/2026/factura.pdf", `<Z:author>Carla &amp; Co</Z:author><Z:rank xml:lang="es">primero</Z:rank>`)
	patch("/clients/ACME/2026/con espacio & amp.pdf", `<D:comment>un comentario</D:comment>`)
	patch("/clients/ACME/2026/sub", `<Z:color>azul</Z:color>`)
	patch("/clients/ACME/2026/notas.txt", `<Z:secret>hidden from carla</Z:secret>`)
	patch("/departments/operaciones/reporte.xlsx", `<Z:author>Ana</Z:author>`)
	// Fixed times: the listing shows modification times and ETags.
	when := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	filepath.Walk(filepath.Join(tg.DataDir, "files"), func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			os.Chtimes(p, when, when)
		}
		return err
	})

	bodies := map[string]string{
		"allprop":  testkit.AllProp,
		"propname": `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`,
		"windows":  benchPropfinds["windows"],
		"named": `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:custodia:test"><D:prop>` +
			`<D:getetag/><D:getlastmodified/><D:getcontentlength/><D:resourcetype/><D:comment/><Z:author/><Z:rank/><Z:color/><Z:missing/>` +
			`<D:quota-available-bytes/><D:supportedlock/><D:lockdiscovery/></D:prop></D:propfind>`,
		"allprop-include": `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:custodia:test"><D:allprop/><D:include><Z:color/><D:quota-used-bytes/></D:include></D:propfind>`,
		"empty":           "",
	}
	var got strings.Builder
	for _, user := range []string{"sys", "carla"} {
		d := tg.DAV(user)
		folders := []string{"/clients/ACME/2026/", "/departments/operaciones/", "/"}
		if user == "carla" {
			folders = []string{"/ACME/2026/", "/"}
		}
		for _, folder := range folders {
			for _, kind := range []string{"allprop", "propname", "windows", "named", "allprop-include", "empty"} {
				for _, depth := range []string{"1", "0"} {
					r := d.Do("PROPFIND", folder, bodies[kind], "Depth", depth, "Content-Type", xmlType)
					got.WriteString("== " + user + " PROPFIND " + folder + " " + kind + " Depth " + depth + "\n")
					got.WriteString(normalMultistatus(t, r))
				}
			}
		}
	}
	golden := filepath.Join("testdata", "listing.golden")
	if *updateGolden {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	g, w := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		if i >= len(g) || i >= len(w) || g[i] != w[i] {
			t.Fatalf("the listings differ from %s at line %d:\n%s", golden, i+1, strings.Join(g[max(0, i-15):min(len(g), i+5)], "\n"))
		}
	}
}

// normalMultistatus prints a PROPFIND's answer: its status, and for each
// response in order its href, status and propstats, the properties of each
// sorted, the quota figures starred.
func normalMultistatus(t *testing.T, r testkit.DAVResp) string {
	t.Helper()
	var ms struct {
		Responses []struct {
			Href     []string `xml:"DAV: href"`
			Status   string   `xml:"DAV: status"`
			Propstat []struct {
				Status string `xml:"DAV: status"`
				Prop   struct {
					Any []struct {
						XMLName xml.Name
						Lang    string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
						Inner   string `xml:",innerxml"`
					} `xml:",any"`
				} `xml:"DAV: prop"`
			} `xml:"DAV: propstat"`
		} `xml:"DAV: response"`
	}
	var b strings.Builder
	b.WriteString(r.Header.Get("Content-Type") + " " + strconv.Itoa(r.Code) + "\n")
	if r.Code != 207 {
		return b.String()
	}
	if err := xml.Unmarshal([]byte(r.Body), &ms); err != nil {
		t.Fatalf("multistatus: %v\n%s", err, r.Body)
	}
	for _, resp := range ms.Responses {
		b.WriteString("  " + strings.Join(resp.Href, " ") + " " + resp.Status + "\n")
		for _, ps := range resp.Propstat {
			var props []string
			for _, p := range ps.Prop.Any {
				inner := p.Inner
				if strings.HasPrefix(p.XMLName.Local, "quota-") && inner != "" {
					inner = "*"
				}
				props = append(props, "{"+p.XMLName.Space+"}"+p.XMLName.Local+" lang="+p.Lang+" "+inner)
			}
			slices.Sort(props)
			b.WriteString("    " + ps.Status + "\n")
			for _, p := range props {
				b.WriteString("      " + p + "\n")
			}
		}
	}
	return b.String()
}
