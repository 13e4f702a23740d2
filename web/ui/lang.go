package ui

import (
	"net/http"
	"strconv"
	"strings"
)

// Lang is a language the pages speak: Spanish first, English when the
// browser prefers it.
type Lang string

// The languages of the catalogues.
const (
	Spanish Lang = "es"
	English Lang = "en"
)

// Catalogue is a front end's texts: every text a page shows, by key, per
// language. Each page brings its own part (in the file of its handlers
// or beside it) and the front end joins them with Merge.
type Catalogue map[Lang]map[string]string

// Merge joins parts of a catalogue; a key in two parts is a mistake that
// must not start.
func Merge(parts ...Catalogue) Catalogue {
	out := Catalogue{}
	for _, part := range parts {
		for l, m := range part {
			if out[l] == nil {
				out[l] = map[string]string{}
			}
			for k, v := range m {
				if _, dup := out[l][k]; dup {
					panic("ui: message " + k + " is in two parts of the catalogue")
				}
				out[l][k] = v
			}
		}
	}
	return out
}

// Missing lists the keys of c that one language has and the other lacks,
// as "key (lang)": every text must be written in both.
func (c Catalogue) Missing() []string {
	var out []string
	for _, pair := range [][2]Lang{{Spanish, English}, {English, Spanish}} {
		for k := range c[pair[0]] {
			if _, ok := c[pair[1]][k]; !ok {
				out = append(out, k+" ("+string(pair[1])+")")
			}
		}
	}
	return out
}

// In returns the catalogue's texts in l.
func (c Catalogue) In(l Lang) Text { return Text{Lang: l, c: c} }

// Text is a catalogue in one request's language: what pages call as
// {{.L.T "key"}}, and print as {{.L}} (the language's code).
type Text struct {
	Lang Lang
	c    Catalogue
}

// T returns the text of key; a key missing in the language falls back to
// Spanish, then to the key itself.
func (t Text) T(key string) string {
	if m, ok := t.c[t.Lang][key]; ok {
		return m
	}
	if m, ok := t.c[Spanish][key]; ok {
		return m
	}
	return key
}

// String is the language's code, for <html lang>.
func (t Text) String() string { return string(t.Lang) }

// LangOf picks the language of a request: English when the browser's
// Accept-Language ranks English above Spanish (or names English and not
// Spanish), else Spanish.
func LangOf(r *http.Request) Lang {
	es, en := -1.0, -1.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(tag), "-")
		switch {
		case primary == "es" && q > es:
			es = q
		case primary == "en" && q > en:
			en = q
		}
	}
	if en > 0 && en > es {
		return English
	}
	return Spanish
}
