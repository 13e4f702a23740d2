package web

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/web/ui"
)

// PageSize is how many entries a folder page shows (?page=N, from 1).
const PageSize = 100

// crumb is one step of the path above a folder.
type crumb struct{ Name, Href string }

// row is one entry of a listing or of search results.
type row struct {
	Name, Href     string
	Dir            bool
	Folder         string // search results: the folder it is in
	Size, Modified string
	ISO            string // the modification time, machine-readable
	// The operations the user may use on it (ops.go): Path is its
	// virtual path, Zip a checkbox for the zip.
	Path                   string
	Zip                    bool
	RenameHref, DeleteHref string
}

// folderPage is the folder template's data.
type folderPage struct {
	Name, Here  string // the folder's name and its own address
	Crumbs      []crumb
	Rows        []row
	Page, Pages int
	Prev, Next  string
	Q, From, To string
	Searching   bool
	Upload      string // the folder's upload page, where the user may upload
	Truncated   bool
	BadDate     bool
	// The controls the user may use (ops.go), and the outcome of the
	// last operation (a catalogue key), Refused when it was refused.
	Zip, Actions bool
	MkdirAction  string
	Msg          string
	Refused      bool
}

// folderHref is a folder's address: /f/ and its escaped virtual path, with
// a trailing slash.
func folderHref(vpath string) string {
	h := "/f" + escapePath(vpath)
	if !strings.HasSuffix(h, "/") {
		h += "/"
	}
	return h
}

// fileHref is a file's download address.
func fileHref(vpath string) string { return "/d" + escapePath(vpath) }

func escapePath(vpath string) string {
	parts := strings.Split(vpath, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// vpathOf is the virtual path a request names after /f/ or /d/.
func vpathOf(r *http.Request) string { return "/" + r.PathValue("path") }

// browse lists a folder through the view, folders first, a page at a
// time; with a search query it searches the folder's tree instead.
func (s *Server) browse(w http.ResponseWriter, r *http.Request, q *request) {
	vpath := path.Clean(vpathOf(r))
	entries, err := q.view.ReadDir(r.Context(), vpath)
	if errors.Is(err, storage.ErrNotDir) {
		http.Redirect(w, r, fileHref(vpath), http.StatusSeeOther)
		return
	}
	if err != nil {
		s.fail(w, r, q, err)
		return
	}
	p := folderPage{Name: path.Base(vpath), Here: folderHref(vpath), Crumbs: crumbsOf(vpath, q.lang)}
	p.Msg, p.Refused = noticeOf(r.URL.Query().Get("msg"))
	if vpath == "/" {
		p.Name = q.lang.T("home")
	}
	form := r.URL.Query()
	p.Q, p.From, p.To = strings.TrimSpace(form.Get("q")), form.Get("from"), form.Get("to")
	if p.Q != "" || p.From != "" || p.To != "" {
		p.Searching = true
		crit, ok := parseCriteria(p.Q, p.From, p.To)
		if !ok {
			p.BadDate = true
		} else {
			found, truncated, err := search(r.Context(), q.view, vpath, entries, crit)
			if err != nil {
				s.fail(w, r, q, err)
				return
			}
			p.Truncated = truncated
			for _, f := range found {
				rw := rowOf(q.lang, f.dir, f.info)
				rw.Folder = f.dir
				p.Rows = append(p.Rows, rw)
			}
			controls(r.Context(), q.view, vpath, &p, entries)
		}
		s.pages.Render(w, http.StatusOK, "folder", q.page(q.lang.T("search.results"), p))
		return
	}
	// Folders first, each group by name (ReadDir sorts by name).
	slices.SortStableFunc(entries, func(a, b fs.FileInfo) int {
		switch {
		case a.IsDir() == b.IsDir():
			return 0
		case a.IsDir():
			return -1
		}
		return 1
	})
	p.Pages = max(1, (len(entries)+PageSize-1)/PageSize)
	p.Page = 1
	if n, err := strconv.Atoi(form.Get("page")); err == nil && n >= 1 && n <= p.Pages {
		p.Page = n
	}
	lo, hi := (p.Page-1)*PageSize, min(p.Page*PageSize, len(entries))
	for _, e := range entries[lo:hi] {
		p.Rows = append(p.Rows, rowOf(q.lang, vpath, e))
	}
	controls(r.Context(), q.view, vpath, &p, entries)
	if s.o.Store != nil && q.view.May(r.Context(), authz.Write, vpath) {
		p.Upload = uploadHref(vpath)
	}
	if p.Page > 1 {
		p.Prev = fmt.Sprintf("%s?page=%d", p.Here, p.Page-1)
	}
	if p.Page < p.Pages {
		p.Next = fmt.Sprintf("%s?page=%d", p.Here, p.Page+1)
	}
	s.pages.Render(w, http.StatusOK, "folder", q.page(p.Name, p))
}

// rowOf describes an entry of the folder dir.
func rowOf(l ui.Text, dir string, e fs.FileInfo) row {
	vp := path.Join(dir, e.Name())
	rw := row{Name: e.Name(), Path: vp, Dir: e.IsDir(), Modified: e.ModTime().Format("2006-01-02 15:04"),
		ISO: e.ModTime().UTC().Format(time.RFC3339)}
	if e.IsDir() {
		rw.Href = folderHref(vp)
	} else {
		rw.Href = fileHref(vp)
		rw.Size = humanSize(l, e.Size())
	}
	return rw
}

// crumbsOf is the path from the top to vpath; the last step (the folder
// itself) has no link.
func crumbsOf(vpath string, l ui.Text) []crumb {
	out := []crumb{{Name: l.T("home"), Href: "/f/"}}
	if vpath == "/" {
		out[0].Href = ""
		return out
	}
	parts := strings.Split(strings.Trim(vpath, "/"), "/")
	for i, p := range parts {
		c := crumb{Name: p}
		if i < len(parts)-1 {
			c.Href = folderHref("/" + strings.Join(parts[:i+1], "/"))
		}
		out = append(out, c)
	}
	return out
}

// humanSize writes a size in bytes, kB, MB or GB (powers of 1000), with
// the language's decimal separator.
func humanSize(l ui.Text, n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f, u := float64(n), 0
	for f >= 1000 && u < len(units)-1 {
		f /= 1000
		u++
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	if u == 0 {
		s = strconv.FormatInt(n, 10)
	}
	if l.Lang == Spanish {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " " + units[u]
}

// fail answers a storage error: what does not exist and what the user
// may not see are the same 404; anything else is a 500 whose cause goes
// to the log only.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, q *request, err error) {
	switch {
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrInvalidPath), errors.Is(err, storage.ErrIsDir),
		errors.Is(err, storage.ErrNotDir):
		s.notFound(w, r)
	case errors.Is(err, storage.ErrDenied):
		l := q.lang
		s.pages.Render(w, http.StatusForbidden, "message", q.page(l.T("denied.title"), l.T("denied")))
	default:
		s.log.Error("web request failed", "user", q.user.Name, "session", q.s.ID, "proto", protocol, "err", err)
		s.serverError(w, r)
	}
}
