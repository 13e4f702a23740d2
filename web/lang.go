package web

import (
	"net/http"

	"github.com/oaq/custodia/web/ui"
)

// Lang is a language the pages speak (ui.Lang): the catalogue parts of the
// portal are written as map[Lang]map[string]string{Spanish: …, English: …}.
type Lang = ui.Lang

// The languages of the catalogue.
const (
	Spanish = ui.Spanish
	English = ui.English
)

// messages is the portal's catalogue. Each page brings its own part (a
// catalogue of its own, in the file of its handlers or beside it); a key
// may appear in one part only (ui.Merge refuses to start otherwise).
var messages = ui.Merge(baseMessages, approveMessages, zipMessages, opsMessages, uploadMessages, uploadScriptMessages)

// baseMessages are the texts of the layout, the login and the folder pages.
var baseMessages = map[Lang]map[string]string{
	Spanish: {
		"portal": "Portal de archivos", "login.title": "Iniciar sesión", "username": "Usuario", "password": "Contraseña",
		"login": "Entrar", "logout": "Salir", "login.failed": "Usuario o contraseña incorrectos.",
		"login.expired": "Su sesión terminó. Inicie sesión de nuevo.", "user": "Usuario",
		"files": "Archivos", "name": "Nombre", "size": "Tamaño", "modified": "Modificado", "folder": "Carpeta",
		"empty": "Esta carpeta está vacía.", "home": "Inicio", "breadcrumbs": "Ruta",
		"search": "Buscar", "search.title": "Buscar en esta carpeta", "search.name": "Nombre contiene (p. ej. número de pedimento)",
		"search.from": "Desde", "search.to": "Hasta", "search.results": "Resultados", "search.none": "Ningún archivo coincide.",
		"search.clear":     "Volver a la carpeta",
		"search.truncated": "La búsqueda se detuvo en su límite; acote el nombre, las fechas o busque en una subcarpeta.",
		"search.bad_date":  "Escriba las fechas como AAAA-MM-DD.",
		"page":             "Página", "of": "de", "prev": "Anterior", "next": "Siguiente", "pages": "Páginas",
		"notfound.title": "No encontrado", "notfound": "No existe, o no tiene acceso.",
		"forbidden.title": "Solicitud rechazada", "forbidden": "La solicitud no vino de un formulario de este portal. Vuelva a cargar la página e inténtelo de nuevo.",
		"error.title": "Error", "error": "Ocurrió un error. Inténtelo de nuevo más tarde.", "back": "Volver al inicio",
		"download":     "Descargar",
		"denied.title": "Sin permiso", "denied": "Su cuenta no tiene permiso para esto.",
	},
	English: {
		"portal": "File portal", "login.title": "Log in", "username": "User name", "password": "Password",
		"login": "Log in", "logout": "Log out", "login.failed": "Wrong user name or password.",
		"login.expired": "Your session ended. Please log in again.", "user": "User",
		"files": "Files", "name": "Name", "size": "Size", "modified": "Modified", "folder": "Folder",
		"empty": "This folder is empty.", "home": "Home", "breadcrumbs": "Path",
		"search": "Search", "search.title": "Search this folder", "search.name": "Name contains (e.g. pedimento number)",
		"search.from": "From", "search.to": "To", "search.results": "Results", "search.none": "No file matches.",
		"search.clear":     "Back to the folder",
		"search.truncated": "The search stopped at its limit; narrow the name or the dates, or search a subfolder.",
		"search.bad_date":  "Write dates as YYYY-MM-DD.",
		"page":             "Page", "of": "of", "prev": "Previous", "next": "Next", "pages": "Pages",
		"notfound.title": "Not found", "notfound": "It does not exist, or you have no access to it.",
		"forbidden.title": "Request refused", "forbidden": "The request did not come from a form of this portal. Reload the page and try again.",
		"error.title": "Error", "error": "Something went wrong. Please try again later.", "back": "Back to the start",
		"download":     "Download",
		"denied.title": "Not allowed", "denied": "Your account is not allowed to do this.",
	},
}

// textOf returns the portal's texts in a request's language.
func textOf(r *http.Request) ui.Text { return messages.In(ui.LangOf(r)) }
