package tus_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/web/tus"
)

// TestTusdErrorsSpeakTheCatalogue: an error tusd itself answers (here a
// PATCH at the wrong offset, 409 ERR_MISMATCHED_OFFSET; an upload another
// request interrupted answers the same way) keeps its code and carries
// the catalogue's sentence in the request's language, not tusd's English.
func TestTusdErrorsSpeakTheCatalogue(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	p := startPortal(t, tg, tus.Options{})
	loc := p.mustCreate("juan", "/ACME/2026", "acuse.pdf", 100)
	for _, c := range []struct{ lang, want string }{
		{"es-MX,es;q=0.9", "ERR_MISMATCHED_OFFSET: El servidor y el navegador no coinciden en cuánto del archivo llegó; la subida continúa desde lo recibido.\n"},
		{"en-US", "ERR_MISMATCHED_OFFSET: The server and the browser disagree on how much of the file arrived; the upload goes on from what was received.\n"},
	} {
		r := p.do("juan", "PATCH", loc, []byte("abc"), "Upload-Offset", "7", "Content-Type", "application/offset+octet-stream",
			"Accept-Language", c.lang)
		if r.code != http.StatusConflict || r.body != c.want || r.hdr.Get("Content-Length") != strconv.Itoa(len(c.want)) {
			t.Errorf("PATCH at a wrong offset (%s): %d %q (Content-Length %s), want 409 %q", c.lang, r.code, r.body, r.hdr.Get("Content-Length"), c.want)
		}
	}
	// A refusal of custodia's own is left as it is.
	if r := p.create("juan", "/ACME/2026", "setup.exe", 10); r.code != http.StatusForbidden || !strings.HasPrefix(r.body, "ERR_NOT_ALLOWED: No se permite") {
		t.Errorf("refused creation: %d %q", r.code, r.body)
	}
}
