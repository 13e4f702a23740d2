package admin

import (
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
	cell := store.CSVCell // a name or path must not become a spreadsheet formula
	cw.Write([]string{"id", "at", "session", "user", "role", "protocol", "remote", "action", "path", "storage_path",
		"target", "bytes", "sha256", "result", "reason"})
	for _, e := range rows {
		cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), cell(e.Session), cell(e.User),
			cell(string(e.Role)), cell(e.Protocol), cell(e.Remote), cell(e.Action), cell(e.VPath), cell(e.SPath), cell(e.Target),
			strconv.FormatInt(e.Bytes, 10), cell(e.SHA256), cell(string(e.Result)), cell(e.Reason)})
	}
	cw.Flush()
	return cw.Error()
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
