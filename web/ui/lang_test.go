package ui

import (
	"net/http"
	"testing"
)

// Spanish first; English only when the browser ranks it above Spanish.
func TestLangOf(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]Lang{
		"": Spanish, "es-MX,es": Spanish, "en-US,en": English, "es;q=0.9,en": English,
		"en;q=0.5,es;q=0.8": Spanish, "fr": Spanish, "fr,en;q=0.1": English,
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept-Language", header)
		if got := LangOf(r); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", header, got, want)
		}
	}
}

// A catalogue finds a key missing in one language, and Text falls back
// to Spanish, then to the key.
func TestCatalogue(t *testing.T) {
	t.Parallel()
	c := Merge(Catalogue{Spanish: {"a": "uno", "b": "dos"}, English: {"a": "one"}})
	if m := c.Missing(); len(m) != 1 || m[0] != "b (en)" {
		t.Errorf("Missing: %v, want [b (en)]", m)
	}
	en := c.In(English)
	if en.T("a") != "one" || en.T("b") != "dos" || en.T("c") != "c" || en.String() != "en" {
		t.Errorf("English texts: %q %q %q %q", en.T("a"), en.T("b"), en.T("c"), en)
	}
	defer func() {
		if recover() == nil {
			t.Error("a key in two parts of a catalogue did not stop Merge")
		}
	}()
	Merge(Catalogue{Spanish: {"a": "x"}}, Catalogue{Spanish: {"a": "y"}})
}
