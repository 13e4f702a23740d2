package webdav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
)

var errBadNamespace = errors.New("empty namespace declaration")

// checkNamespaces refuses a PROPFIND body that binds a prefix to the empty
// namespace (xmlns:p=""), which XML Namespaces 1.0 forbids and Go's XML
// decoder accepts. The body is read (it is bounded by maxXMLBody) and put
// back for the handler.
func checkNamespaces(r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return err
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // the handler reports malformed XML itself
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Space == "xmlns" && a.Value == "" {
					return errBadNamespace
				}
			}
		}
	}
}
