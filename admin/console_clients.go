package admin

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/ui"
)

// clientRow is one row of the console's client list.
type clientRow struct {
	ID, Name       string
	Quota          store.Limit
	Used           store.Usage
	Contacts       int
	Holders, Serve int // client users that hold it, correspondents that serve it
}

// clientsPage is the client list with the creation form.
type clientsPage struct {
	Clients []clientRow
	Form    createClientRequest // the form's values, kept after an error
	Problem string              // what was wrong with the form, "" when nothing
}

// clientPage is one client account with its users and contacts.
type clientPage struct {
	Client   *store.Client
	Groups   []userGroup // the client users that hold it, the correspondents assigned to it
	Notice   string      // what the last change did, "" when nothing
	Contact  string      // the contact form's value, kept after an error
	Problem  string
	Contacts []string
}

// userGroup is a titled list of users on a client's page.
type userGroup struct {
	ID, Title string // the section's id and the key of its title
	Users     []*store.User
}

// clients lists the client accounts and offers the form that creates one.
func (c *console) clients(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	c.renderClients(w, r, q, http.StatusOK, clientsPage{})
}

func (c *console) renderClients(w http.ResponseWriter, r *http.Request, q *consoleRequest, status int, p clientsPage) {
	cs, err := c.s.o.Store.ListClients(r.Context())
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	us, err := c.s.o.Store.ListUsers(r.Context())
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	holders, serve := map[string]int{}, map[string]int{}
	for _, u := range us {
		for _, id := range u.Clients {
			switch u.Role {
			case store.RoleClient:
				holders[id]++
			case store.RoleCorrespondent:
				serve[id]++
			}
		}
	}
	for _, cl := range cs {
		p.Clients = append(p.Clients, clientRow{ID: cl.ID, Name: cl.Name, Quota: cl.Quota, Used: cl.Used,
			Contacts: len(cl.Contacts), Holders: holders[cl.ID], Serve: serve[cl.ID]})
	}
	c.pages.Render(w, status, "clients", q.page(q.L.T("nav.clients"), "/admin/clients", p))
}

// createClient adds a client account and its folders through the API's
// own code (addClient), then shows the new account.
func (c *console) createClient(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	req := createClientRequest{ID: r.PostFormValue("id"), Name: r.PostFormValue("name")}
	cl, err := c.s.addClient(r.Context(), q.caller(), req)
	if err != nil {
		status, problem, ok := consoleProblem(q.L, "clients", err)
		if !ok {
			c.serverError(w, r, q, err)
			return
		}
		c.renderClients(w, r, q, status, clientsPage{Form: req, Problem: problem})
		return
	}
	http.Redirect(w, r, "/admin/clients/"+url.PathEscape(cl.ID)+"?done=created", http.StatusSeeOther)
}

// client shows a client account: the users that hold it, the
// correspondents that serve it, its contact addresses.
func (c *console) client(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	var notice string
	switch r.URL.Query().Get("done") {
	case "created":
		notice = q.L.T("clients.created")
	case "added":
		notice = q.L.T("clients.contact.added")
	case "removed":
		notice = q.L.T("clients.contact.removed")
	}
	c.renderClient(w, r, q, http.StatusOK, clientPage{Notice: notice})
}

func (c *console) renderClient(w http.ResponseWriter, r *http.Request, q *consoleRequest, status int, p clientPage) {
	id, err := store.NormalizeClientID(r.PathValue("id"))
	if err != nil {
		c.notFound(w, r, q)
		return
	}
	p.Client, err = c.s.o.Store.ClientByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		c.notFound(w, r, q)
		return
	}
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	us, err := c.s.o.Store.ListUsers(r.Context())
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	holders := userGroup{ID: "holders", Title: "clients.holders.title"}
	serve := userGroup{ID: "serve", Title: "clients.serve.title"}
	for _, u := range us {
		if !slices.Contains(u.Clients, id) {
			continue
		}
		switch u.Role {
		case store.RoleClient:
			holders.Users = append(holders.Users, u)
		case store.RoleCorrespondent:
			serve.Users = append(serve.Users, u)
		}
	}
	p.Groups = []userGroup{holders, serve}
	p.Contacts = p.Client.Contacts
	c.pages.Render(w, status, "client", q.page(p.Client.ID+" · "+q.L.T("nav.clients"), "/admin/clients", p))
}

// addContact adds a contact address to a client account through the
// account service, as `custodia client contact add` does.
func (c *console) addContact(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	id, ok := c.clientOfPath(w, r, q)
	if !ok {
		return
	}
	addr := r.PostFormValue("contact")
	_, err := c.s.accounts.AddClientContact(r.Context(), q.caller().actor(), id, addr)
	var problem string
	switch {
	case err == nil:
		http.Redirect(w, r, "/admin/clients/"+url.PathEscape(id)+"?done=added", http.StatusSeeOther)
		return
	case errors.Is(err, store.ErrConflict):
		problem = q.L.T("clients.contact.exists")
	case errors.Is(err, store.ErrNotFound):
		c.notFound(w, r, q)
		return
	default:
		if _, nerr := store.NormalizeContact(addr); nerr == nil {
			c.serverError(w, r, q, err)
			return
		}
		problem = q.L.T("clients.bad.contact")
	}
	c.renderClient(w, r, q, http.StatusUnprocessableEntity, clientPage{Contact: addr, Problem: problem})
}

// removeContact removes one of a client account's contact addresses
// through the account service.
func (c *console) removeContact(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	id, ok := c.clientOfPath(w, r, q)
	if !ok {
		return
	}
	err := c.s.accounts.RemoveClientContact(r.Context(), q.caller().actor(), id, r.PostFormValue("contact"))
	switch {
	case err == nil:
		http.Redirect(w, r, "/admin/clients/"+url.PathEscape(id)+"?done=removed", http.StatusSeeOther)
	case errors.Is(err, store.ErrNotFound):
		c.renderClient(w, r, q, http.StatusNotFound, clientPage{Problem: q.L.T("clients.contact.missing")})
	default:
		c.serverError(w, r, q, err)
	}
}

// clientOfPath is the normalized client id of the request's path; false
// (with the 404 page written) when it cannot be one.
func (c *console) clientOfPath(w http.ResponseWriter, r *http.Request, q *consoleRequest) (string, bool) {
	id, err := store.NormalizeClientID(r.PathValue("id"))
	if err != nil {
		c.notFound(w, r, q)
		return "", false
	}
	return id, true
}

// clientsMessages are the texts of the client pages.
var clientsMessages = ui.Catalogue{
	ui.Spanish: {
		"nav.clients": "Clientes",
		"clients.id":  "Clave", "clients.name": "Nombre", "clients.quota": "Cuota", "clients.used": "Ocupado",
		"clients.contacts": "Contactos", "clients.holders": "Usuarios cliente", "clients.serve": "Corresponsales",
		"clients.bytes": "bytes", "clients.files": "archivos", "clients.nolimit": "sin límite",
		"clients.none":       "No hay cuentas de cliente.",
		"clients.new":        "Nueva cuenta de cliente",
		"clients.id.hint":    "La clave del cliente (p. ej. su RFC): letras, dígitos, &, _ y -.",
		"clients.create":     "Crear con sus carpetas",
		"clients.created":    "Cuenta creada con sus carpetas (clients y dossiers).",
		"clients.problem.id": "La clave no es válida.", "clients.problem.name": "Escriba el nombre del cliente.",
		"clients.problem.exists": "Ya existe una cuenta con esa clave.",
		"clients.holders.title":  "Usuarios que tienen esta cuenta", "clients.serve.title": "Corresponsales asignados",
		"clients.user": "Usuario", "clients.status": "Estado", "clients.lastlogin": "Último acceso",
		"clients.nobody": "Nadie.", "clients.never": "nunca",
		"clients.contacts.title": "Contactos avisados de cada PDF publicado",
		"clients.contact":        "Correo electrónico", "clients.contact.add": "Añadir contacto", "clients.contact.remove": "Quitar",
		"clients.contact.added": "Contacto añadido.", "clients.contact.removed": "Contacto quitado.",
		"clients.contact.exists":  "El cliente ya tiene ese contacto.",
		"clients.contact.missing": "El cliente no tiene ese contacto.",
		"clients.bad.contact":     "Escriba una sola dirección de correo, como cuentas@acme.mx.",
		"clients.nocontacts":      "Sin contactos.",
		"clients.back":            "Todas las cuentas de cliente",
	},
	ui.English: {
		"nav.clients": "Clients",
		"clients.id":  "Id", "clients.name": "Name", "clients.quota": "Quota", "clients.used": "Used",
		"clients.contacts": "Contacts", "clients.holders": "Client users", "clients.serve": "Correspondents",
		"clients.bytes": "bytes", "clients.files": "files", "clients.nolimit": "no limit",
		"clients.none":       "No client accounts.",
		"clients.new":        "New client account",
		"clients.id.hint":    "The client's code (e.g. its RFC): letters, digits, &, _ and -.",
		"clients.create":     "Create with its folders",
		"clients.created":    "Account created with its folders (clients and dossiers).",
		"clients.problem.id": "The id is not valid.", "clients.problem.name": "Enter the client's name.",
		"clients.problem.exists": "An account with that id exists.",
		"clients.holders.title":  "Users that hold this account", "clients.serve.title": "Correspondents assigned",
		"clients.user": "User", "clients.status": "Status", "clients.lastlogin": "Last login",
		"clients.nobody": "Nobody.", "clients.never": "never",
		"clients.contacts.title": "Contacts told of every PDF published",
		"clients.contact":        "E-mail address", "clients.contact.add": "Add contact", "clients.contact.remove": "Remove",
		"clients.contact.added": "Contact added.", "clients.contact.removed": "Contact removed.",
		"clients.contact.exists":  "The client has that contact already.",
		"clients.contact.missing": "The client has no such contact.",
		"clients.bad.contact":     "Enter one e-mail address, such as cuentas@acme.mx.",
		"clients.nocontacts":      "No contacts.",
		"clients.back":            "All client accounts",
	},
}
