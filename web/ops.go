package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/web/ui"
)

// Folder operations of the portal: new folder, rename, delete. Each is a
// plain form with the CSRF field, done through the view (which decides
// and audits), and answered with a redirect to the folder page that names
// the outcome by a catalogue key (POST → redirect → GET: a reload does not
// post again). A page shows an operation's control only where the view
// says the user may use it (View.May); a request for one the user may not
// use answers as s.fail does: the same 404 as a missing file when the
// target is hidden, else "not allowed".

var opsMessages = map[Lang]map[string]string{
	Spanish: {
		"ops.mkdir": "Nueva carpeta", "ops.mkdir.name": "Nombre de la nueva carpeta", "ops.create": "Crear",
		"ops.rename": "Renombrar", "ops.rename.title": "Renombrar", "ops.rename.name": "Nuevo nombre",
		"ops.delete": "Eliminar", "ops.delete.title": "¿Eliminar?", "ops.actions": "Acciones",
		"ops.delete.file":   "Se eliminará el archivo %s. Esta acción no se puede deshacer desde el portal.",
		"ops.delete.folder": "Se eliminará la carpeta vacía %s.",
		"ops.delete.yes":    "Sí, eliminar", "ops.cancel": "Cancelar",
		"ops.created": "Carpeta creada.", "ops.renamed": "Nombre cambiado.", "ops.deleted": "Eliminado.",
		"ops.exists":   "Ya existe un archivo o carpeta con ese nombre.",
		"ops.notempty": "La carpeta no está vacía: elimine primero lo que contiene.",
		"ops.badname":  "Ese nombre no es válido (sin / ni \\, sin caracteres de control, ni nombres reservados de Windows).",
		"ops.quota":    "No hay espacio: se alcanzó la cuota o la reserva del disco.",
	},
	English: {
		"ops.mkdir": "New folder", "ops.mkdir.name": "Name of the new folder", "ops.create": "Create",
		"ops.rename": "Rename", "ops.rename.title": "Rename", "ops.rename.name": "New name",
		"ops.delete": "Delete", "ops.delete.title": "Delete?", "ops.actions": "Actions",
		"ops.delete.file":   "The file %s will be deleted. This cannot be undone from the portal.",
		"ops.delete.folder": "The empty folder %s will be deleted.",
		"ops.delete.yes":    "Yes, delete", "ops.cancel": "Cancel",
		"ops.created": "Folder created.", "ops.renamed": "Renamed.", "ops.deleted": "Deleted.",
		"ops.exists":   "A file or folder with that name exists already.",
		"ops.notempty": "The folder is not empty: delete what it holds first.",
		"ops.badname":  "That name is not valid (no / or \\, no control characters, no names Windows reserves).",
		"ops.quota":    "No room: the quota or the disk reserve is reached.",
	},
}

// notices are the outcomes a folder page may name (?msg=): the only keys
// it shows, true for a refusal.
var notices = map[string]bool{
	"ops.created": false, "ops.renamed": false, "ops.deleted": false,
	"ops.exists": true, "ops.notempty": true, "ops.badname": true, "ops.quota": true,
}

// noticeOf is the whitelisted outcome a folder page's query names.
func noticeOf(key string) (msg string, refused bool) {
	if refused, ok := notices[key]; ok {
		return key, refused
	}
	return "", false
}

// controls marks on a folder page the operations the user may use: a
// checkbox for each file they may read (the zip), rename and delete per
// entry, and the new-folder form. names are all the folder's entries (a
// probe for "may make a folder here" must be a new name).
func controls(ctx context.Context, v *storage.View, dir string, p *folderPage, names []fs.FileInfo) {
	for i := range p.Rows {
		rw := &p.Rows[i]
		if !rw.Dir && v.May(ctx, authz.Read, rw.Path) {
			rw.Zip, p.Zip = true, true
		}
		if p.Searching {
			continue
		}
		if v.May(ctx, authz.Rename, rw.Path) {
			rw.RenameHref = "/rename" + escapePath(rw.Path)
			p.Actions = true
		}
		if v.May(ctx, authz.Delete, rw.Path) {
			rw.DeleteHref = "/delete" + escapePath(rw.Path)
			p.Actions = true
		}
	}
	if p.Searching {
		return
	}
	taken := map[string]bool{}
	for _, e := range names {
		taken[e.Name()] = true
	}
	probe := "nueva carpeta"
	for i := 2; taken[probe]; i++ {
		probe = fmt.Sprintf("nueva carpeta %d", i)
	}
	if v.May(ctx, authz.Mkdir, path.Join(dir, probe)) {
		p.MkdirAction = "/mkdir" + escapePath(dir)
	}
}

// newName reads a form's new name: one path segment (oneName); false
// when it is not one.
func newName(r *http.Request) (string, bool) {
	n := strings.TrimSpace(r.PostForm.Get("name"))
	return n, oneName(n)
}

// done answers an operation's outcome: success or a refusal the user can
// act on goes back to the folder page with its message; a hidden or
// missing target, or an operation the user may not do, answers as s.fail.
func (s *Server) done(w http.ResponseWriter, r *http.Request, q *request, dir, ok string, err error) {
	key := ok
	switch {
	case err == nil:
	case errors.Is(err, storage.ErrExists):
		key = "ops.exists"
	case errors.Is(err, storage.ErrNotEmpty):
		key = "ops.notempty"
	case errors.Is(err, storage.ErrQuota):
		key = "ops.quota"
	case errors.Is(err, storage.ErrInvalidPath):
		key = "ops.badname" // the target was found: what is invalid is the new name
	default:
		s.fail(w, r, q, err)
		return
	}
	http.Redirect(w, r, folderHref(dir)+"?msg="+key, http.StatusSeeOther)
}

// mkdir makes a folder in the folder the address names.
func (s *Server) mkdir(w http.ResponseWriter, r *http.Request, q *request) {
	if !ui.CheckForm(w, r, q.s.CSRF) {
		s.forbidden(w, r)
		return
	}
	dir := path.Clean(vpathOf(r))
	fi, err := q.view.Stat(r.Context(), dir)
	if err == nil && !fi.IsDir() {
		err = &storage.PathError{Op: "mkdir", Path: dir, Err: storage.ErrNotDir}
	}
	if err != nil {
		s.fail(w, r, q, err)
		return
	}
	name, ok := newName(r)
	if !ok {
		s.done(w, r, q, dir, "", storage.ErrBadName)
		return
	}
	s.done(w, r, q, dir, "ops.created", q.view.Mkdir(r.Context(), path.Join(dir, name)))
}

// opPage is the data of the rename and delete pages.
type opPage struct {
	Name, Action, Back string
	Dir                bool
	Question           string
}

// target is the existing entry an operation's address names, which the
// user may act on; on failure the answer is written. The POST that acts
// asks the view (View.Check, which audits a denial); the page that only
// asks for a name or a confirmation decides with View.May, so looking
// leaves no denied row.
func (s *Server) target(w http.ResponseWriter, r *http.Request, q *request, act authz.Action, acting bool) (string, fs.FileInfo, bool) {
	vpath := path.Clean(vpathOf(r))
	fi, err := q.view.Stat(r.Context(), vpath)
	switch {
	case err != nil:
	case acting:
		err = q.view.Check(r.Context(), act, vpath)
	case !q.view.May(r.Context(), act, vpath):
		err = &storage.PathError{Op: string(act), Path: vpath, Err: storage.ErrDenied}
	}
	if err != nil {
		s.fail(w, r, q, err)
		return "", nil, false
	}
	return vpath, fi, true
}

// renamePage asks for the new name.
func (s *Server) renamePage(w http.ResponseWriter, r *http.Request, q *request) {
	vpath, fi, ok := s.target(w, r, q, authz.Rename, false)
	if !ok {
		return
	}
	s.pages.Render(w, http.StatusOK, "rename", q.page(q.lang.T("ops.rename.title"), opPage{
		Name: fi.Name(), Dir: fi.IsDir(), Action: "/rename" + escapePath(vpath), Back: folderHref(path.Dir(vpath))}))
}

// rename renames an entry within its folder; it never replaces one.
func (s *Server) rename(w http.ResponseWriter, r *http.Request, q *request) {
	if !ui.CheckForm(w, r, q.s.CSRF) {
		s.forbidden(w, r)
		return
	}
	vpath, fi, ok := s.target(w, r, q, authz.Rename, true)
	if !ok {
		return
	}
	dir := path.Dir(vpath)
	name, ok := newName(r)
	switch {
	case !ok:
		s.done(w, r, q, dir, "", storage.ErrBadName)
	case name == fi.Name():
		http.Redirect(w, r, folderHref(dir), http.StatusSeeOther)
	default:
		s.done(w, r, q, dir, "ops.renamed", q.view.Rename(r.Context(), vpath, path.Join(dir, name), false))
	}
}

// deletePage asks to confirm.
func (s *Server) deletePage(w http.ResponseWriter, r *http.Request, q *request) {
	vpath, fi, ok := s.target(w, r, q, authz.Delete, false)
	if !ok {
		return
	}
	l := q.lang
	question := fmt.Sprintf(l.T("ops.delete.file"), fi.Name())
	if fi.IsDir() {
		question = fmt.Sprintf(l.T("ops.delete.folder"), fi.Name())
	}
	s.pages.Render(w, http.StatusOK, "delete", q.page(l.T("ops.delete.title"), opPage{
		Name: fi.Name(), Dir: fi.IsDir(), Action: "/delete" + escapePath(vpath), Back: folderHref(path.Dir(vpath)),
		Question: question}))
}

// delete deletes a file, or an empty folder.
func (s *Server) delete(w http.ResponseWriter, r *http.Request, q *request) {
	if !ui.CheckForm(w, r, q.s.CSRF) {
		s.forbidden(w, r)
		return
	}
	vpath := path.Clean(vpathOf(r))
	fi, err := q.view.Stat(r.Context(), vpath)
	if err != nil {
		s.fail(w, r, q, err)
		return
	}
	if fi.IsDir() {
		err = q.view.RemoveDir(r.Context(), vpath)
	} else {
		err = q.view.Remove(r.Context(), vpath)
	}
	s.done(w, r, q, path.Dir(vpath), "ops.deleted", err)
}
