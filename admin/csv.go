package admin

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

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
