package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/oaq/custodia/letter"
	"github.com/oaq/custodia/store"
)

// clientDownloads answers GET /api/v1/clients/{id}/downloads?since=&until=
// &format=: who downloaded which of the client's files, when, from where
// (letter.DownloadsFor, as the console makes it), as JSON, CSV or the
// PDF report (format=csv|pdf, or Accept: text/csv or application/pdf).
func (s *Server) clientDownloads(w http.ResponseWriter, r *http.Request, c *caller) error {
	format, err := downloadsFormat(r)
	if err != nil {
		return err
	}
	d, err := s.downloadsOf(r.Context(), r.PathValue("id"), r.URL.Query())
	if err != nil {
		return err
	}
	return writeDownloads(w, d, format)
}

// downloadsFormat is the format a request for a download report asks
// for: its format parameter, else its Accept header; json by default.
func downloadsFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "json", "csv", "pdf":
		return f, nil
	case "":
	default:
		return "", fail(http.StatusBadRequest, "format", "format %q: want json, csv or pdf", f)
	}
	switch r.Header.Get("Accept") {
	case "text/csv":
		return "csv", nil
	case "application/pdf":
		return "pdf", nil
	}
	return "json", nil
}

// downloadsOf makes the download report of client id over the range in v
// (since, until: RFC 3339), the errors as the API answers them.
func (s *Server) downloadsOf(ctx context.Context, id string, v url.Values) (letter.Downloads, error) {
	since, until, err := rangeOf(v)
	if err != nil {
		return letter.Downloads{}, err
	}
	if id, err = store.NormalizeClientID(id); err != nil {
		return letter.Downloads{}, fail(http.StatusBadRequest, "id", "%v", err)
	}
	d, err := letter.DownloadsFor(ctx, s.o.Store, s.o.Organization, letter.DownloadQuery{Client: id, Since: since, Until: until})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return d, fail(http.StatusNotFound, "id", "%v", err)
	case errors.Is(err, letter.ErrTooManyDownloads), errors.Is(err, letter.ErrEmptyRange):
		return d, fail(http.StatusBadRequest, "since", "%v", err)
	}
	return d, err
}

// writeDownloads answers a download report in format (json, csv, pdf).
func writeDownloads(w http.ResponseWriter, d letter.Downloads, format string) error {
	name := "descargas-" + d.Client.ID + "-" + d.Issued.Format("20060102T150405Z")
	switch format {
	case "csv":
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		return writeDownloadsCSV(w, d.Rows)
	case "pdf":
		pdf, err := letter.DownloadReport(d)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.pdf"`)
		w.Header().Set("Cache-Control", "no-store")
		w.Write(pdf)
		return nil
	}
	rows := d.Rows
	if rows == nil {
		rows = []letter.Downloaded{}
	}
	since := ""
	if !d.Query.Since.IsZero() {
		since = d.Query.Since.Format(time.RFC3339Nano)
	}
	writeJSON(w, http.StatusOK, map[string]any{"client": d.Client.ID, "since": since,
		"until": d.Query.Until.Format(time.RFC3339Nano), "downloads": rows})
	return nil
}
