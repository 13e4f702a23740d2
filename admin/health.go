package admin

import (
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var openapiDoc []byte

// healthz answers while the process serves requests, with the id of
// its gateway (the one the session list names each session's holder by).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request, c *caller) error {
	body := map[string]string{"status": "ok"}
	if s.o.Core != nil {
		body["gateway"] = s.o.Core.GatewayID()
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// readyz answers 200 when the store answers and the listeners are up.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, c *caller) error {
	if s.o.Ready != nil {
		if err := s.o.Ready(r.Context()); err != nil {
			s.log.Warn("not ready", "err", err)
			return fail(http.StatusServiceUnavailable, "", "not ready; see the server log")
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

// metrics serves the Prometheus registry cmd built.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request, c *caller) error {
	if s.o.Metrics == nil {
		return fail(http.StatusNotFound, "", "metrics are not configured")
	}
	s.o.Metrics.ServeHTTP(w, r)
	return nil
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request, c *caller) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiDoc)
	return nil
}
