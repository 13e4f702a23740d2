package admin

import (
	"cmp"
	"errors"
	"net/http"
	"slices"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/web/ui"
)

// sessionsPage is the sessions page's data.
type sessionsPage struct {
	Sessions []gateway.SessionInfo // oldest first
	Bans     []gateway.Ban         // soonest to end first
	Self     string                // the console session showing the page
	Done     string                // "kick" or "lift" after one, to say so
	Message  string                // a refused kick or lift
}

// sessionsList lists the live sessions of every protocol (the core's
// registry, as GET /api/v1/sessions) with a button to end each, and the
// defender's bans (as GET /api/v1/bans) with a button to lift each.
func (c *console) sessionsList(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	c.renderSessions(w, q, http.StatusOK, sessionsPage{Done: r.URL.Query().Get("done")})
}

func (c *console) renderSessions(w http.ResponseWriter, q *consoleRequest, status int, p sessionsPage) {
	if p.Done != "kick" && p.Done != "lift" {
		p.Done = ""
	}
	p.Sessions, p.Bans, p.Self = c.s.o.Core.Sessions(), c.s.o.Core.Bans(), q.s.ID
	slices.SortFunc(p.Sessions, func(a, b gateway.SessionInfo) int {
		return cmp.Or(a.Started.Compare(b.Started), cmp.Compare(a.ID, b.ID))
	})
	c.pages.Render(w, status, "sessions", q.page(q.L.T("nav.sessions"), "/admin/sessions", p))
}

// kick ends a live session through the API's own kick (the same audit
// row, admin.session.kick, as DELETE /api/v1/sessions/{id}).
func (c *console) kick(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	id := r.PostFormValue("id")
	if id == q.s.ID {
		q.unbind() // ending its own session must not cut this answer
	}
	c.changed(w, r, q, "kick", c.s.kick(r, q.caller(), id))
}

// lift lifts a ban through the API's own lift (the same audit row,
// admin.ban.lift, as DELETE /api/v1/bans/{addr}).
func (c *console) lift(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	c.changed(w, r, q, "lift", c.s.lift(r, q.caller(), r.PostFormValue("addr")))
}

// changed answers a kick or a lift: back to the list, saying so, or the
// list with the refusal (the session or ban was already gone).
func (c *console) changed(w http.ResponseWriter, r *http.Request, q *consoleRequest, what string, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		c.renderSessions(w, q, ae.status, sessionsPage{Message: q.L.T("sessions.gone." + what)})
	case err != nil:
		c.serverError(w, r, q, err)
	default:
		http.Redirect(w, r, "/admin/sessions?done="+what, http.StatusSeeOther)
	}
}

// sessionsMessages are the sessions page's texts.
var sessionsMessages = ui.Catalogue{
	ui.Spanish: {
		"nav.sessions": "Sesiones", "sessions.live": "Sesiones activas", "sessions.user": "Usuario",
		"sessions.protocol": "Protocolo", "sessions.remote": "Dirección", "sessions.since": "Desde (UTC)",
		"sessions.in": "Recibido", "sessions.out": "Enviado", "sessions.none": "No hay sesiones activas.",
		"sessions.kick": "Terminar", "sessions.self": "esta sesión",
		"sessions.bans": "Direcciones bloqueadas", "sessions.ban.addr": "Dirección", "sessions.ban.prefix": "Red bloqueada",
		"sessions.ban.until": "Hasta (UTC)", "sessions.ban.lift": "Desbloquear", "sessions.ban.none": "No hay direcciones bloqueadas.",
		"sessions.done.kick": "La sesión terminó.", "sessions.done.lift": "La dirección se desbloqueó.",
		"sessions.gone.kick": "Esa sesión ya no está activa.", "sessions.gone.lift": "Esa dirección ya no está bloqueada.",
		"sessions.action": "Acción",
	},
	ui.English: {
		"nav.sessions": "Sessions", "sessions.live": "Live sessions", "sessions.user": "User",
		"sessions.protocol": "Protocol", "sessions.remote": "Address", "sessions.since": "Since (UTC)",
		"sessions.in": "Received", "sessions.out": "Sent", "sessions.none": "No live sessions.",
		"sessions.kick": "End", "sessions.self": "this session",
		"sessions.bans": "Banned addresses", "sessions.ban.addr": "Address", "sessions.ban.prefix": "Network banned",
		"sessions.ban.until": "Until (UTC)", "sessions.ban.lift": "Lift", "sessions.ban.none": "No banned addresses.",
		"sessions.done.kick": "The session ended.", "sessions.done.lift": "The ban was lifted.",
		"sessions.gone.kick": "That session is no longer live.", "sessions.gone.lift": "That address is no longer banned.",
		"sessions.action": "Action",
	},
}
