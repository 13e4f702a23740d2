package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

// TestAPIRefusesNonJSONBodiesOnEveryRoute: on every route the OpenAPI
// document lists (the routes served, see TestOpenAPIDocumentMatchesRoutes),
// a body that is not application/json is 415, whether or not the route
// reads a body: with a length or chunked, a form or text/plain. Nothing
// is done (the token still works; the stuck hook is not skipped). A
// body-less request is still served.
func TestAPIRefusesNonJSONBodiesOnEveryRoute(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tok := tg.APILogin("sys")
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(tg.API("GET", "/api/v1/openapi.json", "", nil).Body, &doc); err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("{id}", "r-1", "{name}", "ana", "{fingerprint}", "SHA256:x", "{addr}", "127.0.0.9", "{seq}", "1")
	send := func(method, path, ctype string, body io.Reader) int {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+tg.APIAddr+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	n := 0
	for p, ops := range doc.Paths {
		for m := range ops {
			method, path := strings.ToUpper(m), fill.Replace(p)
			for _, b := range []struct {
				ctype string
				body  io.Reader
			}{
				{"text/plain", strings.NewReader("skip it")},
				{"application/x-www-form-urlencoded", strings.NewReader("a=b")},
				{"", strings.NewReader("{}")},
				{"text/plain", io.MultiReader(strings.NewReader("chunked"))}, // no length: sent chunked
			} {
				n++
				if code := send(method, path, b.ctype, b.body); code != http.StatusUnsupportedMediaType {
					t.Errorf("%s %s with a %q body: %d, want 415", method, path, b.ctype, code)
				}
			}
		}
	}
	if n < 4*40 {
		t.Errorf("only %d requests: the document lists fewer routes than the server serves", n)
	}
	// Body-less, the same routes answer as before.
	if code := send("POST", "/api/v1/hooks/none/skip", "", nil); code != http.StatusNotFound {
		t.Errorf("a body-less skip of an unknown hook: %d, want 404", code)
	}
	if code := send("GET", "/api/v1/users", "", nil); code != http.StatusOK {
		t.Errorf("the token stopped working, or a body-less GET is refused: %d", code)
	}
}
