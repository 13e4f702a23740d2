package letter

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/oaq/custodia/store"
)

// DownloadReport returns the report of d as an A4 PDF in Spanish, as many
// pages as its list takes: the organisation, the client, the period, and
// each download with its file, who downloaded it (user and role), when,
// over which protocol, from which address, the bytes served, how it ended
// and its audit row. A period without downloads is a report that says so.
// Every name comes from a stranger and is shown as Receipt shows it
// (page.safe).
func DownloadReport(d Downloads) ([]byte, error) {
	if d.Client.ID == "" {
		return nil, fmt.Errorf("download report: no client")
	}
	org := strings.TrimSpace(d.Organization)
	if org == "" {
		org = "custodia"
	}
	issued := d.Issued
	if issued.IsZero() {
		issued = time.Now()
	}
	issued = issued.UTC()
	p := newPage(org, "Reporte de descargas de "+d.Client.ID, issued)
	pdf := p.pdf
	pdf.AliasNbPages("{nb}")
	pdf.SetAutoPageBreak(true, 297-bottom+8)
	pdf.SetFooterFunc(func() {
		pdf.SetY(bottom - 6)
		pdf.SetFont(sans, "", 8)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(width, 4, p.tr(fmt.Sprintf("Reporte de descargas de %s, cliente %s · página %d de {nb}", org, d.Client.ID, pdf.PageNo())),
			"T", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	p.masthead(org, issued, "Reporte de descargas de documentos")
	p.para("", 10, org+" hace constar que, según la bitácora de su servidor de archivos, los documentos "+
		"del cliente que se indica fueron descargados por los usuarios, en las fechas, por los medios y desde "+
		"las direcciones siguientes. Se listan también las descargas que no terminaron y las que fueron rechazadas.")
	pdf.Ln(2)
	client := d.Client.ID
	if d.Client.Name != "" {
		client += " (" + d.Client.Name + ")"
	}
	p.plainField("Cliente:", p.safe(client))
	from := "el primer registro"
	if !d.Query.Since.IsZero() {
		from = stamp(d.Query.Since)
	}
	p.plainField("Periodo:", "desde "+from+" hasta "+stamp(d.Query.Until))
	p.plainField("Descargas:", d.summary())
	p.plainField("Emitido:", stamp(issued))

	p.section("Descargas")
	if len(d.Rows) == 0 {
		p.para("", 10, "Ningún usuario descargó documentos de este cliente en el periodo.")
	}
	for i, r := range d.Rows {
		p.download(i+1, r)
	}

	p.section("Cómo reproducir este reporte")
	p.para("", 10, "El área de Sistemas de "+org+" obtiene el mismo listado de la bitácora en la consola de "+
		"administración (Auditoría, reporte de descargas) o con la consulta siguiente a su API:")
	pdf.Ln(1)
	p.code(d.APIPath(), 9)
	if pdf.Err() {
		return nil, fmt.Errorf("download report: %w", pdf.Error())
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("download report: %w", err)
	}
	return buf.Bytes(), nil
}

// APIPath is the admin API's request that lists the same downloads: the
// query, closed at the moment the report was issued.
func (d Downloads) APIPath() string {
	v := url.Values{}
	if !d.Query.Since.IsZero() {
		v.Set("since", d.Query.Since.UTC().Format(time.RFC3339))
	}
	v.Set("until", d.Query.Until.UTC().Format(time.RFC3339))
	return "GET /api/v1/clients/" + url.PathEscape(d.Client.ID) + "/downloads?" + v.Encode()
}

// summary counts the rows by how they ended.
func (d Downloads) summary() string {
	var ok, broken, refused int
	for _, r := range d.Rows {
		switch r.Result {
		case store.ResultOK:
			ok++
		case store.ResultDenied:
			refused++
		default:
			broken++
		}
	}
	return fmt.Sprintf("%d completas, %d interrumpidas, %d rechazadas", ok, broken, refused)
}

// resultText is how a download ended, in the report's words.
func resultText(r store.Result) string {
	switch r {
	case store.ResultOK:
		return "completa"
	case store.ResultFailed:
		return "interrumpida"
	case store.ResultDenied:
		return "rechazada"
	}
	return string(r)
}

// download draws one download: its number and file, then who, when,
// over what, from where, how much and how it ended; kept on one page.
func (p *page) download(n int, r Downloaded) {
	pdf := p.pdf
	const indent = 8.0
	name := p.safe(r.StoragePath)
	pdf.SetFont(sans, "B", 10)
	lines := len(pdf.SplitLines([]byte(p.tr(name)), width-indent))
	if need := float64(lines)*4.6 + 2*4.2 + 2; pdf.GetY()+need > bottom-10 {
		pdf.AddPage()
	}
	pdf.SetFont(sans, "", 10)
	pdf.CellFormat(indent, 4.6, strconv.Itoa(n)+".", "", 0, "R", false, 0, "")
	pdf.SetFont(sans, "B", 10)
	pdf.MultiCell(width-indent, 4.6, p.tr(name), "", "L", false)
	who := p.safe(dash(r.User))
	if role, _ := roleText(r.Role); role != "" {
		who += " (" + role + ")"
	}
	detail := fmt.Sprintf("%s · %s · %s desde %s", who, stamp(r.At), strings.ToUpper(p.safe(r.Protocol)), p.safe(dash(r.Remote)))
	pdf.SetX(left + indent)
	pdf.SetFont(sans, "", 8.5)
	pdf.MultiCell(width-indent, 4.2, p.tr(detail), "", "L", false)
	pdf.SetX(left + indent)
	pdf.MultiCell(width-indent, 4.2, p.tr(fmt.Sprintf("%s · %s · registro %d", resultText(r.Result), size(r.Bytes), r.ID)), "", "L", false)
	pdf.Ln(2)
}
