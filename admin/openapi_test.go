package admin

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// The OpenAPI document lists exactly the routes the server serves: a route
// missing from the document, or documented but not served, fails.
func TestOpenAPIDocumentMatchesRoutes(t *testing.T) {
	t.Parallel()
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi.json is version %q, want 3.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	served := map[string]bool{}
	for _, rt := range (&Server{}).routes() {
		served[rt.method+" "+rt.pattern] = true
	}
	var missing, extra []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, k := range missing {
		t.Errorf("served but not in openapi.json: %s", k)
	}
	for _, k := range extra {
		t.Errorf("in openapi.json but not served: %s", k)
	}
	if len(served) < 25 {
		t.Errorf("only %d routes: the route table is not what this test thinks", len(served))
	}
}
