package admin

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/oaq/custodia/letter"
	"github.com/oaq/custodia/store"
)

// The API's CSV exports. Every cell that comes from a stranger goes
// through store.CSVCell: a name or path must not become a spreadsheet
// formula.

func writeAuditCSV(w http.ResponseWriter, rows []store.AuditEntry, next string) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
	if next != "" {
		w.Header().Set("X-Next-Cursor", next)
	}
	cw := csv.NewWriter(w)
	cw.Write(auditCSVHeader)
	for _, e := range rows {
		cw.Write(auditCSVRecord(e))
	}
	cw.Flush()
	return cw.Error()
}

// auditCSVHeader names the columns of the audit log's CSV.
var auditCSVHeader = []string{"id", "at", "session", "user", "role", "protocol", "remote", "action", "path", "storage_path",
	"target", "bytes", "sha256", "result", "reason"}

// auditCSVRecord is an audit row as a CSV record under auditCSVHeader.
func auditCSVRecord(e store.AuditEntry) []string {
	cell := store.CSVCell // a name or path must not become a spreadsheet formula
	return []string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), cell(e.Session), cell(e.User),
		cell(string(e.Role)), cell(e.Protocol), cell(e.Remote), cell(e.Action), cell(e.VPath), cell(e.SPath), cell(e.Target),
		strconv.FormatInt(e.Bytes, 10), cell(e.SHA256), cell(string(e.Result)), cell(e.Reason)}
}

// writeDownloadsCSV writes a download report's rows as CSV.
func writeDownloadsCSV(w http.ResponseWriter, rows []letter.Downloaded) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cell := store.CSVCell
	cw.Write([]string{"id", "at", "user", "role", "protocol", "remote", "path", "storage_path", "bytes", "result"})
	for _, d := range rows {
		cw.Write([]string{strconv.FormatInt(d.ID, 10), d.At.UTC().Format(time.RFC3339Nano), cell(d.User), cell(d.Role),
			cell(d.Protocol), cell(d.Remote), cell(d.Path), cell(d.StoragePath), strconv.FormatInt(d.Bytes, 10), cell(string(d.Result))})
	}
	cw.Flush()
	return cw.Error()
}

// maxAuditExport bounds one CSV export of the audit log (the newest rows
// first); auditExportPage is how many rows it reads at a time.
const (
	maxAuditExport  = 100_000
	auditExportPage = 1000
)

// streamAuditCSV writes the rows q matches as CSV, newest first, at most
// maxAuditExport, reading them a page at a time by id (the keyset the
// API's cursor is) and flushing each page, so that neither the server
// nor the client holds the whole export. wrote reports whether anything
// was sent before an error.
func (s *Server) streamAuditCSV(ctx context.Context, w http.ResponseWriter, q store.AuditQuery, name string) (wrote bool, err error) {
	q.Limit = auditExportPage
	rows, err := s.o.Store.QueryAudit(ctx, q)
	if err != nil {
		return false, err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write(auditCSVHeader)
	flusher, _ := w.(http.Flusher)
	for n := 0; ; {
		for i := len(rows) - 1; i >= 0 && n < maxAuditExport; i-- { // the page is oldest first
			cw.Write(auditCSVRecord(rows[i]))
			n++
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return true, err
		}
		if flusher != nil {
			flusher.Flush()
		}
		if len(rows) < q.Limit || n >= maxAuditExport {
			return true, nil
		}
		q.Before = rows[0].ID
		if rows, err = s.o.Store.QueryAudit(ctx, q); err != nil {
			return true, err
		}
	}
}
