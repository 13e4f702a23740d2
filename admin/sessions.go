package admin

import (
	"net/http"
	"net/netip"
)

// kick ends the live session id for the caller and audits it
// (admin.session.kick, with the session as it was): the one way the API
// (DELETE /api/v1/sessions/{id}) and the console end a session.
func (s *Server) kick(r *http.Request, c *caller, id string) error {
	var before *sessionJSON
	for _, si := range s.o.Core.Sessions() {
		if si.ID == id {
			j := sessionOf(si)
			before = &j
		}
	}
	if before == nil || !s.o.Core.Kick(id) {
		return fail(http.StatusNotFound, "id", "no live session %q", id)
	}
	s.audit(r, c, "admin.session.kick", "/api/v1/sessions/"+id, before, nil)
	return nil
}

// lift lifts the defender's ban of addr for the caller and audits it
// (admin.ban.lift): the one way the API (DELETE /api/v1/bans/{addr}) and
// the console lift a ban.
func (s *Server) lift(r *http.Request, c *caller, addr string) error {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return fail(http.StatusBadRequest, "addr", "%q is not an IP address", addr)
	}
	if !s.o.Core.Lift(a) {
		return fail(http.StatusNotFound, "addr", "%s is not banned", a)
	}
	s.audit(r, c, "admin.ban.lift", "/api/v1/bans/"+addr, map[string]string{"address": a.String()}, nil)
	return nil
}
