package webdav

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	ixml "golang.org/x/net/webdav/internal/xml"
)

// TestAppendResponseMatchesEncoder: what appendResponse writes for a
// response is byte for byte what the Encoder writes, and it leaves the
// responses it does not take to the Encoder.
func TestAppendResponseMatchesEncoder(t *testing.T) {
	dav := func(local, inner string) Property {
		return Property{XMLName: xml.Name{Space: "DAV:", Local: local}, InnerXML: []byte(inner)}
	}
	live := []Property{
		dav("resourcetype", `<D:collection xmlns:D="DAV:"/>`),
		dav("displayname", "a &amp; b"),
		dav("getcontentlength", "12"),
		dav("getlastmodified", "Sun, 01 Mar 2026 12:00:00 GMT"),
		dav("getetag", `"1898b5d9b3d6800010"`),
		dav("supportedlock", `<D:lockentry xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>`),
		dav("resourcetype", ""),
	}
	hrefs := []string{"/", "/a/", "/a b/c%20d.txt", "/&<>\"'\t\n\r.txt", "/\xff\xfe/x", "/ñandú/€", "/\x01"}
	for _, href := range hrefs {
		for _, pstats := range [][]Propstat{
			{{Status: http.StatusOK, Props: live}},
			{{Status: http.StatusOK, Props: live[:2]}, {Status: http.StatusNotFound, Props: []Property{dav("ishidden", "")}}},
			{{Status: http.StatusOK}},
			{},
		} {
			r := makePropstatResponse(href, pstats)
			r.Href[0] = href // unescaped too: the escaping of character data
			got, ok := appendResponse([]byte("prefix"), r)
			if !ok {
				t.Fatalf("appendResponse left %q, %v to the encoder", href, pstats)
			}
			var want bytes.Buffer
			if err := ixml.NewEncoder(&want).Encode(r); err != nil {
				t.Fatal(err)
			}
			if string(got) != "prefix"+want.String() {
				t.Errorf("appendResponse wrote\n%s\nthe Encoder\n%s", got[len("prefix"):], want.String())
			}
		}
	}
	for name, r := range map[string]*response{
		"other namespace": makePropstatResponse("/a", []Propstat{{Status: 200, Props: []Property{{XMLName: xml.Name{Space: "urn:x", Local: "a"}}}}}),
		"no namespace":    makePropstatResponse("/a", []Propstat{{Status: 200, Props: []Property{{XMLName: xml.Name{Local: "a"}}}}}),
		"xml:lang":        makePropstatResponse("/a", []Propstat{{Status: 200, Props: []Property{{XMLName: xml.Name{Space: "DAV:", Local: "a"}, Lang: "es"}}}}),
		"error":           makePropstatResponse("/a", []Propstat{{Status: 403, XMLError: "<D:x/>", Props: live[:1]}}),
		"description":     makePropstatResponse("/a", []Propstat{{Status: 200, ResponseDescription: "d", Props: live[:1]}}),
		"status":          {Href: []string{"/a", "/b"}, Status: "HTTP/1.1 423 Locked"},
	} {
		if b, ok := appendResponse(nil, r); ok || len(b) != 0 {
			t.Errorf("%s: appendResponse took it", name)
		}
	}
}

// TestMultistatusWriterMixed: a multistatus of responses appendResponse
// writes, and responses the Encoder writes, interleaved and past the
// flush limit, is the multistatus the Encoder alone writes.
func TestMultistatusWriterMixed(t *testing.T) {
	var rs []*response
	for i := range 3000 {
		props := []Property{{XMLName: xml.Name{Space: "DAV:", Local: "getcontentlength"}, InnerXML: []byte(strings.Repeat("9", i%20))}}
		if i%7 == 0 {
			props = append(props, Property{XMLName: xml.Name{Space: "urn:x", Local: "p"}, InnerXML: []byte("v")})
		}
		rs = append(rs, makePropstatResponse("/f/"+strings.Repeat("n", i%50), []Propstat{{Status: 200, Props: props}}))
	}
	rec := httptest.NewRecorder()
	mw := multistatusWriter{w: rec, responseDescription: "done"}
	for _, r := range rs {
		if err := mw.write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.close(); err != nil {
		t.Fatal(err)
	}
	// The Encoder alone: the writer before appendResponse.
	var want bytes.Buffer
	want.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	enc := ixml.NewEncoder(&want)
	enc.EncodeToken(ixml.StartElement{Name: ixml.Name{Space: "DAV:", Local: "multistatus"}, Attr: []ixml.Attr{{Name: ixml.Name{Space: "xmlns", Local: "D"}, Value: "DAV:"}}})
	for _, r := range rs {
		enc.Encode(r)
	}
	name := ixml.Name{Space: "DAV:", Local: "responsedescription"}
	enc.EncodeToken(ixml.StartElement{Name: name})
	enc.EncodeToken(ixml.CharData("done"))
	enc.EncodeToken(ixml.EndElement{Name: name})
	enc.EncodeToken(ixml.EndElement{Name: ixml.Name{Space: "DAV:", Local: "multistatus"}})
	enc.Flush()
	if rec.Body.String() != want.String() {
		t.Errorf("the multistatus differs: %d bytes, the Encoder's %d", rec.Body.Len(), want.Len())
	}
}
