package ui

import (
	"bytes"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
)

// Assets serves the files of fsys under prefix (e.g. "/assets/"): a
// front end's embedded style sheet and scripts, the only sources the
// Content-Security-Policy allows. Files only: a folder is not listed.
func Assets(prefix string, fsys fs.FS) http.Handler {
	files := http.StripPrefix(prefix, http.FileServerFS(fsys))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// Pages are a front end's parsed templates: one set per page, each made
// of the layout dir/base.html (which defines "base" and calls "main"),
// the shared fragments dir/parts/*.html when there are any, and the
// page's own dir/NAME.html (which defines "main").
type Pages struct {
	t   map[string]*template.Template
	log *slog.Logger
}

// NewPages parses the pages names from fsys.
func NewPages(log *slog.Logger, fsys fs.FS, dir string, names ...string) (*Pages, error) {
	p := &Pages{t: map[string]*template.Template{}, log: log}
	common := []string{path.Join(dir, "base.html")}
	if parts, _ := fs.Glob(fsys, path.Join(dir, "parts", "*.html")); len(parts) > 0 {
		common = append(common, path.Join(dir, "parts", "*.html"))
	}
	for _, name := range names {
		t, err := template.ParseFS(fsys, append(common, path.Join(dir, name+".html"))...)
		if err != nil {
			return nil, err
		}
		p.t[name] = t
	}
	return p, nil
}

// Render writes page name with data and a status; a template that fails
// writes a plain 500 and nothing of what it had produced.
func (p *Pages) Render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	t := p.t[name]
	if t == nil {
		p.log.Error("ui page not parsed", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "base", data); err != nil {
		p.log.Error("ui page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
