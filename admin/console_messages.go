package admin

import "github.com/oaq/custodia/web/ui"

// consoleMessages is the console's catalogue. Each section brings its own
// part (a ui.Catalogue in its own console_*.go file, keys prefixed with
// the section's name, e.g. "users.") and adds it here; a key may appear
// in one part only (ui.Merge refuses to start otherwise), and every key
// in both languages (TestConsoleCatalogueSpeaksBothLanguages).
var consoleMessages = ui.Merge(consoleBaseMessages, dashboardMessages, clientsMessages, policiesMessages, usersMessages, auditMessages, sessionsMessages, backupsMessages)

// consoleBaseMessages are the texts of the layout, the login and the
// message pages.
var consoleBaseMessages = ui.Catalogue{
	ui.Spanish: {
		"console": "Consola de administración", "login.title": "Iniciar sesión", "username": "Usuario", "password": "Contraseña",
		"login": "Entrar", "logout": "Salir", "login.failed": "Usuario o contraseña incorrectos.",
		"login.banned": "Esta dirección está bloqueada por inicios de sesión fallidos; inténtelo de nuevo en",
		"login.busy":   "Hay demasiados inicios de sesión en curso; inténtelo de nuevo en un momento.",
		"user":         "Usuario", "nav": "Secciones",
		"notfound.title": "No encontrado", "notfound": "Esta página no existe.",
		"forbidden.title": "Solicitud rechazada", "forbidden": "La solicitud no vino de un formulario de esta consola. Vuelva a cargar la página e inténtelo de nuevo.",
		"error.title": "Error", "error": "Ocurrió un error. Inténtelo de nuevo más tarde.", "back": "Volver al tablero",
		"nav.dashboard":  "Tablero",
		"toolarge.title": "Solicitud demasiado grande", "toolarge": "El formulario enviado es demasiado grande.",
		"badrequest.title": "Solicitud no válida", "badrequest": "El formulario enviado no se pudo leer. Vuelva a cargar la página e inténtelo de nuevo.",
	},
	ui.English: {
		"console": "Admin console", "login.title": "Log in", "username": "User name", "password": "Password",
		"login": "Log in", "logout": "Log out", "login.failed": "Wrong user name or password.",
		"login.banned": "This address is banned after failed logins; try again in",
		"login.busy":   "Too many logins in progress; try again in a moment.",
		"user":         "User", "nav": "Sections",
		"notfound.title": "Not found", "notfound": "This page does not exist.",
		"forbidden.title": "Request refused", "forbidden": "The request did not come from a form of this console. Reload the page and try again.",
		"error.title": "Error", "error": "Something went wrong. Please try again later.", "back": "Back to the dashboard",
		"nav.dashboard":  "Dashboard",
		"toolarge.title": "Request too large", "toolarge": "The form sent is too large.",
		"badrequest.title": "Bad request", "badrequest": "The form sent could not be read. Reload the page and try again.",
	},
}
