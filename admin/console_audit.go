package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/ui"
)

// auditPageSize is how many rows one page of the console's audit log
// shows.
const auditPageSize = 50

// auditPage is the audit page's data.
type auditPage struct {
	F       url.Values // the filters, as the form shows them
	Results []store.Result
	Rows    []store.AuditEntry // newest first
	Older   string             // the link to the next (older) page; "" on the last
	Newest  string             // the link to the newest page; "" on it
	Export  string             // the link to the CSV export of every filtered row
	Message string             // a refused filter, in the page's language
	R       url.Values         // the download report's form
	Max     int                // maxAuditExport
}

// auditFilters are the audit page's filter fields, as auditQueryOf takes
// them.
var auditFilters = []string{"user", "client", "action", "result", "path", "since", "until"}

// audit shows the audit log through the API's own query (auditQueryOf,
// store.QueryAudit): the filters, a page of rows newest first, a link to
// the page before (keyset on the row's id, as the API's cursor), a CSV
// export of every filtered row, and the per-client download report form.
func (c *console) audit(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	v := r.URL.Query()
	p := auditPage{F: url.Values{}, Results: store.Results, R: url.Values{}, Max: maxAuditExport}
	for _, k := range auditFilters {
		if s := strings.TrimSpace(v.Get(k)); s != "" {
			p.F.Set(k, s)
		}
	}
	for _, k := range []string{"client", "since", "until"} {
		if s := strings.TrimSpace(v.Get("r" + k)); s != "" {
			p.R.Set(k, s)
		}
	}
	p.Export = withQuery("/admin/audit.csv", p.F)
	aq, err := c.auditQuery(q, p.F, v.Get("cursor"))
	if err != nil {
		p.Message = err.Error()
		c.pages.Render(w, http.StatusBadRequest, "audit", q.page(q.L.T("nav.audit"), "/admin/audit", p))
		return
	}
	aq.Limit = auditPageSize
	rows, err := c.s.o.Store.QueryAudit(r.Context(), aq)
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	for i := len(rows) - 1; i >= 0; i-- {
		p.Rows = append(p.Rows, rows[i])
	}
	if aq.Before > 0 {
		p.Newest = withQuery("/admin/audit", p.F)
	}
	if len(rows) == auditPageSize {
		older := cloneValues(p.F)
		older.Set("cursor", strconv.FormatInt(rows[0].ID, 10))
		p.Older = withQuery("/admin/audit", older)
	}
	c.pages.Render(w, http.StatusOK, "audit", q.page(q.L.T("nav.audit"), "/admin/audit", p))
}

// auditExport sends every row the filters match as CSV (streamAuditCSV:
// the API's columns, newest first, bounded).
func (c *console) auditExport(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	f := url.Values{}
	for _, k := range auditFilters {
		if s := strings.TrimSpace(r.URL.Query().Get(k)); s != "" {
			f.Set(k, s)
		}
	}
	aq, err := c.auditQuery(q, f, "")
	if err != nil {
		c.pages.Render(w, http.StatusBadRequest, "audit", q.page(q.L.T("nav.audit"), "/admin/audit",
			auditPage{F: f, Results: store.Results, R: url.Values{}, Message: err.Error(), Max: maxAuditExport,
				Export: withQuery("/admin/audit.csv", f)}))
		return
	}
	name := "auditoria-" + time.Now().UTC().Format("20060102T150405Z") + ".csv"
	if wrote, err := c.s.streamAuditCSV(r.Context(), w, aq, name); err != nil {
		if !wrote {
			c.serverError(w, r, q, err)
			return
		}
		c.s.log.Error("console audit export cut short", "user", q.user.Name, "session", q.s.ID, "err", err)
		panic(http.ErrAbortHandler) // the client sees a broken download, not a short one that looks whole
	}
}

// downloadReport sends a client's download report (the API's
// downloadsOf and writeDownloads) as CSV or PDF; a refused form is the
// audit page with the reason.
func (c *console) downloadReport(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	v := r.URL.Query()
	form := url.Values{}
	for _, k := range []string{"client", "since", "until"} {
		if s := strings.TrimSpace(v.Get(k)); s != "" {
			form.Set(k, s)
		}
	}
	refuse := func(status int, msg string) {
		c.pages.Render(w, status, "audit", q.page(q.L.T("nav.audit"), "/admin/audit",
			auditPage{F: url.Values{}, Results: store.Results, R: form, Message: msg, Max: maxAuditExport, Export: "/admin/audit.csv"}))
	}
	format := v.Get("format")
	if format != "csv" && format != "pdf" {
		refuse(http.StatusBadRequest, q.L.T("audit.bad.format"))
		return
	}
	rng, err := consoleRange(q, form)
	if err != nil {
		refuse(http.StatusBadRequest, err.Error())
		return
	}
	if form.Get("client") == "" {
		refuse(http.StatusBadRequest, q.L.T("audit.bad.client"))
		return
	}
	d, err := c.s.downloadsOf(r.Context(), form.Get("client"), rng)
	var ae *apiError
	if errors.As(err, &ae) {
		msg := q.L.T("audit.bad.client")
		switch {
		case ae.status == http.StatusNotFound:
			msg = q.L.T("audit.report.noclient")
		case ae.field == "since":
			msg = q.L.T("audit.report.range")
		}
		refuse(ae.status, msg)
		return
	}
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	if err := writeDownloads(w, d, format); err != nil {
		c.serverError(w, r, q, err)
	}
}

// auditQuery is the store query of the console's filters f and cursor,
// through the API's auditQueryOf; times are read as consoleTime reads
// them. Its error is the refusal in the page's language.
func (c *console) auditQuery(q *consoleRequest, f url.Values, cursor string) (store.AuditQuery, error) {
	v, err := consoleRange(q, f)
	if err != nil {
		return store.AuditQuery{}, err
	}
	for _, k := range []string{"user", "client", "action", "result", "path"} {
		v.Set(k, f.Get(k))
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	aq, err := auditQueryOf(v)
	var ae *apiError
	if errors.As(err, &ae) {
		return aq, errors.New(q.L.T("audit.bad." + ae.field))
	}
	return aq, err
}

// consoleRange returns f's since and until as the API takes them (RFC
// 3339), read by consoleTime; its error names the field in the page's
// language.
func consoleRange(q *consoleRequest, f url.Values) (url.Values, error) {
	v := url.Values{}
	for _, k := range []string{"since", "until"} {
		s := f.Get(k)
		if s == "" {
			continue
		}
		t, ok := parseConsoleTime(s)
		if !ok {
			return nil, errors.New(q.L.T("audit.bad."+k) + " «" + s + "»")
		}
		v.Set(k, t.Format(time.RFC3339Nano))
	}
	return v, nil
}

// parseConsoleTime reads a time as an admin types it into the console: RFC
// 3339 (2026-11-01T09:30:00Z, 2026-11-01T09:30:00-06:00), or in UTC a
// date (2026-11-01) or a date and time (2026-11-01T09:30, 2026-11-01
// 09:30, with or without seconds).
func parseConsoleTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// withQuery is path with v as its query.
func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// auditMessages are the audit page's texts.
var auditMessages = ui.Catalogue{
	ui.Spanish: {
		"nav.audit": "Auditoría", "audit.filters": "Filtros", "audit.user": "Usuario", "audit.client": "Cliente",
		"audit.action": "Acción", "audit.result": "Resultado", "audit.path": "Ruta (prefijo)", "audit.pathcol": "Ruta",
		"audit.since": "Desde (UTC)", "audit.until": "Hasta, sin incluir (UTC)", "audit.any": "Cualquiera",
		"audit.filter": "Filtrar", "audit.clear": "Quitar filtros", "audit.time.hint": "p. ej. 2026-11-01 o 2026-11-01T09:30:00Z",
		"audit.at": "Fecha (UTC)", "audit.protocol": "Protocolo", "audit.remote": "Dirección", "audit.bytes": "Bytes",
		"audit.reason": "Detalle", "audit.none": "Ningún registro coincide con los filtros.",
		"audit.older": "Registros anteriores", "audit.newest": "Más recientes",
		"audit.export": "Exportar a CSV", "audit.export.note": "Todos los registros filtrados, los más recientes primero (como máximo",
		"audit.rows":        "filas)",
		"audit.report":      "Reporte de descargas de un cliente",
		"audit.report.note": "Quién descargó cuáles documentos del cliente, cuándo, por qué protocolo y desde qué dirección: la evidencia que pide el auditor del Nuevo Esquema de Empresas Certificadas.",
		"audit.report.csv":  "Reporte en CSV", "audit.report.pdf": "Reporte en PDF",
		"audit.report.noclient": "No existe ese cliente.",
		"audit.report.range":    "El periodo está vacío o tiene demasiadas descargas para un reporte; acótelo.",
		"audit.bad.since":       "La fecha «desde» no es válida; escriba por ejemplo 2026-11-01 o 2026-11-01T09:30:00Z:",
		"audit.bad.until":       "La fecha «hasta» no es válida; escriba por ejemplo 2026-11-01 o 2026-11-01T09:30:00Z:",
		"audit.bad.client":      "Escriba la clave de un cliente (letras, dígitos, &, _ y -).",
		"audit.bad.result":      "Elija un resultado de la lista.",
		"audit.bad.cursor":      "La página pedida no existe; vuelva a los registros más recientes.",
		"audit.bad.limit":       "El tamaño de página no es válido.",
		"audit.bad.format":      "Elija CSV o PDF.",
	},
	ui.English: {
		"nav.audit": "Audit", "audit.filters": "Filters", "audit.user": "User", "audit.client": "Client",
		"audit.action": "Action", "audit.result": "Result", "audit.path": "Path (prefix)", "audit.pathcol": "Path",
		"audit.since": "Since (UTC)", "audit.until": "Until, exclusive (UTC)", "audit.any": "Any",
		"audit.filter": "Filter", "audit.clear": "Clear filters", "audit.time.hint": "e.g. 2026-11-01 or 2026-11-01T09:30:00Z",
		"audit.at": "Time (UTC)", "audit.protocol": "Protocol", "audit.remote": "Address", "audit.bytes": "Bytes",
		"audit.reason": "Detail", "audit.none": "No row matches the filters.",
		"audit.older": "Older rows", "audit.newest": "Newest",
		"audit.export": "Export to CSV", "audit.export.note": "Every filtered row, newest first (at most",
		"audit.rows":        "rows)",
		"audit.report":      "A client's download report",
		"audit.report.note": "Who downloaded which of the client's documents, when, over which protocol and from which address: the evidence the auditor of the Nuevo Esquema de Empresas Certificadas asks for.",
		"audit.report.csv":  "Report as CSV", "audit.report.pdf": "Report as PDF",
		"audit.report.noclient": "There is no such client.",
		"audit.report.range":    "The period is empty or holds too many downloads for one report; narrow it.",
		"audit.bad.since":       "The “since” time is not valid; type e.g. 2026-11-01 or 2026-11-01T09:30:00Z:",
		"audit.bad.until":       "The “until” time is not valid; type e.g. 2026-11-01 or 2026-11-01T09:30:00Z:",
		"audit.bad.client":      "Type a client's code (letters, digits, &, _ and -).",
		"audit.bad.result":      "Choose a result from the list.",
		"audit.bad.cursor":      "The page asked for does not exist; go back to the newest rows.",
		"audit.bad.limit":       "The page size is not valid.",
		"audit.bad.format":      "Choose CSV or PDF.",
	},
}
