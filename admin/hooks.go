package admin

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/oaq/custodia/store"
)

// listDeadLetters answers GET /api/v1/hooks/{name}/dead-letters: the
// events the hook gave up on, oldest first.
func (s *Server) listDeadLetters(w http.ResponseWriter, r *http.Request, c *caller) error {
	ds, err := s.o.Store.DeadLetters(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []store.DeadLetter{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"dead_letters": ds})
	return nil
}

// skipHook answers POST /api/v1/hooks/{name}/skip: the event the hook is
// failing on becomes a dead letter and the hook goes on.
func (s *Server) skipHook(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("name")
	seq, err := s.o.Store.HookSkip(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusNotFound, "name", "hook %q is not failing on an event", name)
	}
	if err != nil {
		return err
	}
	s.audit(r, c, "admin.hook.skip", r.URL.Path, nil, map[string]any{"seq": seq})
	writeJSON(w, http.StatusOK, map[string]any{"hook": name, "skipped": seq})
	return nil
}

// retryDeadLetter answers POST /api/v1/hooks/{name}/dead-letters/{seq}/retry:
// the hook tries the event once more when it has nothing newer to deliver.
func (s *Server) retryDeadLetter(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("name")
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		return fail(http.StatusBadRequest, "seq", "%q is not an event number", r.PathValue("seq"))
	}
	err = s.o.Store.RetryDeadLetter(r.Context(), name, seq)
	if errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusNotFound, "seq", "hook %q has no dead letter %d", name, seq)
	}
	if err != nil {
		return err
	}
	s.audit(r, c, "admin.hook.retry", r.URL.Path, nil, map[string]any{"seq": seq})
	w.WriteHeader(http.StatusAccepted)
	return nil
}
