package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
)

//go:embed assets templates
var embedded embed.FS

// Assets serves the embedded style sheet and scripts under /assets/: the
// only sources the Content-Security-Policy allows. tus.min.js is
// tus-js-client 4.3.1's dist/tus.min.js from npm, unchanged (MIT:
// tus-js-client.LICENSE; sha256 8cbb1b63fccc3bba0ae73ad1deb160ce046c3750851d0c3e94921ae3ef070eb8);
// upload.js is the upload page's own.
func Assets() http.Handler {
	sub, _ := fs.Sub(embedded, "assets") // a directory embedded above: no error
	files := http.StripPrefix("/assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // files only: no listing of the folder
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// pages are the parsed templates, one set per page on the common base.
type pages struct {
	t   map[string]*template.Template
	log *slog.Logger
}

func newPages(log *slog.Logger) (*pages, error) {
	p := &pages{t: map[string]*template.Template{}, log: log}
	for _, name := range []string{"login", "folder", "message", "approvals", "rename", "delete", "upload", "receipt"} {
		t, err := template.ParseFS(embedded, "templates/base.html", "templates/"+name+".html", "templates/parts/*.html")
		if err != nil {
			return nil, err
		}
		p.t[name] = t
	}
	return p, nil
}

// view is what every page's template gets.
type view struct {
	L     Lang
	Title string
	User  string // "" before login
	CSRF  string // the token the page's forms carry
	Body  any    // the page's own data

	Approver bool // shows the link to the approvals page (a manager's)
}

// render writes a page with a status; a template that fails writes a
// plain 500 and nothing of what it had produced.
func (p *pages) render(w http.ResponseWriter, status int, name string, v view) {
	var buf bytes.Buffer
	if err := p.t[name].ExecuteTemplate(&buf, "base", v); err != nil {
		p.log.Error("web page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
