package letter

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oaq/custodia/store"
)

// Receipt returns the receipt of b as an A4 PDF in Spanish, as many pages
// as its list takes: the organisation, the uploader and the clients, each
// file with its path, size, time, protocol, address and sha256, the
// digest of the listing (Batch.Digest) and how to check it. Every name
// comes from a stranger: control and invisible characters are shown as
// escapes (store.Printable), and characters the PDF's fonts lack as
// \uXXXX, never dropped or replaced by a look-alike.
func Receipt(b Batch) ([]byte, error) {
	if strings.TrimSpace(b.User) == "" {
		return nil, errors.New("receipt: empty user name")
	}
	if len(b.Files) == 0 {
		return nil, fmt.Errorf("receipt: %w", ErrNoUploads)
	}
	org := strings.TrimSpace(b.Organization)
	if org == "" {
		org = "custodia"
	}
	issued := b.Issued
	if issued.IsZero() {
		issued = time.Now()
	}
	issued = issued.UTC()
	p := newPage(org, "Acuse de recibo de documentos de "+b.User, issued)
	pdf := p.pdf
	pdf.AliasNbPages("{nb}")
	pdf.SetAutoPageBreak(true, 297-bottom+8)
	pdf.SetFooterFunc(func() {
		pdf.SetY(bottom - 6)
		pdf.SetFont(sans, "", 8)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(width, 4, p.tr(fmt.Sprintf("Acuse de recibo de %s para %s · página %d de {nb}", org, b.User, pdf.PageNo())),
			"T", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	p.masthead(org, issued, "Acuse de recibo de documentos")
	p.para("", 10, org+" hace constar que su servidor de archivos recibió completos y guardó los archivos "+
		"siguientes, enviados por el usuario que se indica. Cada archivo se identifica por su huella SHA-256: "+
		"el mismo contenido da siempre la misma huella, y cualquier cambio, por pequeño que sea, da otra.")
	pdf.Ln(2)
	p.field("Usuario:", b.User)
	if name, _ := roleText(b.Role); name != "" {
		p.plainField("Perfil:", name)
	}
	if len(b.Clients) > 0 {
		names := make([]string, len(b.Clients))
		for i, c := range b.Clients {
			names[i] = c.ID
			if c.Name != "" {
				names[i] += " (" + c.Name + ")"
			}
		}
		label := "Cliente:"
		if len(names) > 1 {
			label = "Clientes:"
		}
		p.plainField(label, p.safe(strings.Join(names, ", ")))
	}
	from := "el primer registro"
	if !b.Query.Since.IsZero() {
		from = stamp(b.Query.Since)
	}
	p.plainField("Periodo:", "desde "+from+" hasta "+stamp(b.Query.Until))
	p.plainField("Archivos:", fmt.Sprintf("%d, %s en total", len(b.Files), size(b.Bytes())))
	p.plainField("Emitido:", stamp(issued))

	p.section("Archivos recibidos")
	for i, f := range b.Files {
		p.file(i+1, f)
	}

	p.section("Cómo comprobar este acuse")
	p.para("", 10, "Huella del listado (SHA-256 de la lista de arriba en su forma canónica, que incluye "+
		"el usuario y, de cada archivo, su número de registro, fecha, tamaño, huella, protocolo, dirección y nombre):")
	pdf.Ln(1)
	p.code(b.Digest(), 10)
	p.para("", 10, "El área de Sistemas de "+org+" comprueba este acuse con el comando siguiente, que lee la "+
		"bitácora del servidor y muestra los mismos archivos y la misma huella del listado. Si la huella "+
		"o alguno de los archivos difiere, este acuse fue alterado.")
	pdf.Ln(1)
	p.code(b.Command(), 10)
	p.para("", 10, "Para comprobar que un archivo que usted conserva es el que se recibió, calcule su huella "+
		"y compárela con la de la lista: en Windows «certutil -hashfile ARCHIVO SHA256», "+
		"en macOS «shasum -a 256 ARCHIVO», en Linux «sha256sum ARCHIVO».")
	if pdf.Err() {
		return nil, fmt.Errorf("receipt: %w", pdf.Error())
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	return buf.Bytes(), nil
}

// file draws one received file: its number and path, then its size,
// time, protocol, address and audit row, then its sha256; kept on one
// page.
func (p *page) file(n int, f Received) {
	pdf := p.pdf
	const indent = 8.0
	name := p.safe(f.Path)
	pdf.SetFont(sans, "B", 10)
	lines := len(pdf.SplitLines([]byte(p.tr(name)), width-indent)) // bytes: the text is cp1252 now
	if need := float64(lines)*4.6 + 4.2 + 4.6 + 2; pdf.GetY()+need > bottom-10 {
		pdf.AddPage()
	}
	pdf.SetFont(sans, "", 10)
	pdf.CellFormat(indent, 4.6, strconv.Itoa(n)+".", "", 0, "R", false, 0, "")
	pdf.SetFont(sans, "B", 10)
	pdf.MultiCell(width-indent, 4.6, p.tr(name), "", "L", false)
	detail := fmt.Sprintf("%s · recibido %s · %s desde %s · registro %d",
		size(f.Size), stamp(f.At), strings.ToUpper(p.safe(f.Protocol)), p.safe(dash(f.Remote)), f.ID)
	pdf.SetX(left + indent)
	pdf.SetFont(sans, "", 8.5)
	pdf.MultiCell(width-indent, 4.2, p.tr(detail), "", "L", false)
	pdf.SetX(left + indent)
	pdf.SetFont(mono, "", 8.5)
	pdf.CellFormat(width-indent, 4.6, "SHA-256 "+p.safe(f.SHA256), "", 1, "L", false, 0, "")
	pdf.Ln(2)
}

// plainField is a label and a value in the body font.
func (p *page) plainField(label, value string) {
	p.pdf.SetFont(sans, "", 10)
	p.pdf.CellFormat(32, 5.5, p.tr(label), "", 0, "L", false, 0, "")
	p.pdf.MultiCell(width-32, 5.5, p.tr(value), "", "L", false)
}

// safe is a stranger's text as the receipt shows it: store.Printable
// (control and invisible characters as escapes), and every character the
// core fonts' cp1252 lacks as a \uXXXX escape, rather than the "." the
// translation would put in its place.
func (p *page) safe(s string) string {
	s = store.Printable(s)
	var b strings.Builder
	for _, r := range s {
		if r >= 0x80 && p.tr(string(r)) == "." {
			if r <= 0xffff {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				fmt.Fprintf(&b, `\U%08x`, r)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stamp is a time as receipts print it: RFC 3339 in UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// size is n bytes, exactly, and in KiB/MiB/GiB when that is shorter to read.
func size(n int64) string {
	s := strconv.FormatInt(n, 10) + " bytes"
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	v, u := float64(n), -1
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u >= 0 {
		s += " (" + strings.Replace(strconv.FormatFloat(v, 'f', 1, 64), ".", ",", 1) + " " + units[u] + ")"
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
