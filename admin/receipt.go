package admin

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/oaq/custodia/letter"
	"github.com/oaq/custodia/store"
)

// receipt answers GET /api/v1/users/{name}/receipt?client=&since=&until=&id=
// with the PDF receipt of the user's completed uploads (letter.ReceiptFor,
// as `custodia receipt` and the portal make it). No upload in the range is
// a 404, not an empty receipt.
func (s *Server) receipt(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.userNamed(r)
	if err != nil {
		return err
	}
	v := r.URL.Query()
	q := letter.ReceiptQuery{User: u.Name}
	if cl := v.Get("client"); cl != "" {
		if q.Client, err = store.NormalizeClientID(cl); err != nil {
			return fail(http.StatusBadRequest, "client", "%v", err)
		}
	}
	for _, t := range []struct {
		key string
		dst *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if s := v.Get(t.key); s != "" {
			if *t.dst, err = time.Parse(time.RFC3339, s); err != nil {
				return fail(http.StatusBadRequest, t.key, "%s %q: want an RFC 3339 time such as 2026-11-01T00:00:00Z", t.key, s)
			}
		}
	}
	for _, s := range v["id"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 1 {
			return fail(http.StatusBadRequest, "id", "id %q: want an audit row's id", s)
		}
		q.IDs = append(q.IDs, id)
	}
	b, err := letter.ReceiptFor(r.Context(), s.o.Store, s.o.Organization, q)
	switch {
	case errors.Is(err, letter.ErrNoUploads):
		return fail(http.StatusNotFound, "", "%v", err)
	case errors.Is(err, letter.ErrTooManyUploads):
		return fail(http.StatusBadRequest, "since", "%v", err)
	case errors.Is(err, store.ErrNotFound) && q.Client != "":
		return fail(http.StatusNotFound, "client", "%v", err)
	case errors.Is(err, store.ErrNotFound):
		return fail(http.StatusNotFound, "name", "%v", err)
	case errors.Is(err, letter.ErrEmptyRange):
		return fail(http.StatusBadRequest, "since", "%v", err)
	case err != nil:
		return err
	}
	pdf, err := letter.Receipt(b)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="acuse-`+b.User+`-`+b.Issued.Format("20060102T150405Z")+`.pdf"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Receipt-Digest", b.Digest())
	w.Write(pdf)
	return nil
}
