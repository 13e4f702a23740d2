package letter

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// Render returns the letter as a one-page A4 PDF in Spanish. The
// password is printed once, in a framed monospace box; the fingerprints
// each on one line, in a font small enough to fit it.
func Render(l Letter) ([]byte, error) {
	if err := check(l); err != nil {
		return nil, err
	}
	org := strings.TrimSpace(l.Organization)
	if org == "" {
		org = "custodia"
	}
	date := l.Date
	if date.IsZero() {
		date = time.Now()
	}
	if l.Role != "staff" && l.Role != "manager" && l.Role != "admin" {
		l.WebDAV = "" // mapped drives are for staff
	}
	if !UsesPortal(l.Role) {
		l.Portal = ""
	}
	if l.Password == "" { // a key letter: only SFTP takes a key
		l.FTPS, l.WebDAV, l.Portal = "", "", ""
	}
	p := newPage(org, "Carta de acceso de "+l.Username, date)
	p.heading(org, date, l.Role)
	p.credentials(l)
	p.connections(l)
	p.fingerprints(l)
	p.closing(l.Password == "")
	if y := p.pdf.GetY(); y > bottom-8 {
		return nil, fmt.Errorf("letter: the text does not fit on one page (ends at %.0f mm)", y)
	}
	p.footer(org)
	var buf bytes.Buffer
	if err := p.pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("letter: %w", err)
	}
	return buf.Bytes(), nil
}

// check refuses a letter that cannot be written.
func check(l Letter) error {
	if strings.TrimSpace(l.Username) == "" {
		return errors.New("letter: empty user name")
	}
	if l.Password == "" && len(l.Keys) == 0 {
		return errors.New("letter: no password and no SSH key")
	}
	if l.Password == "" && l.SFTP == "" {
		return errors.New("letter: a key letter needs SFTP, the one way in that takes a key")
	}
	for _, k := range l.Keys {
		if strings.ContainsFunc(k, func(r rune) bool { return r < '!' || r > '~' }) {
			return errors.New("letter: a key fingerprint must be printable ASCII")
		}
	}
	for _, r := range l.Password {
		if r < '!' || r > '~' {
			return errors.New("letter: the password must be printable ASCII without spaces, to be typed off paper")
		}
	}
	return nil
}

// roleText is a role's name in the letter and what it lets the user do.
func roleText(role string) (name, can string) {
	switch role {
	case "client":
		return "cliente", "descargar los documentos PDF de sus operaciones"
	case "correspondent":
		return "corresponsal", "subir documentos al expediente digital de sus clientes"
	case "staff":
		return "personal", "trabajar con los documentos de su departamento"
	case "manager":
		return "gerente", "trabajar con los documentos de su departamento"
	case "publisher":
		return "publicador", "publicar documentos PDF para los clientes"
	case "admin":
		return "administrador", "administrar todos los archivos del servidor"
	}
	return role, ""
}

const (
	left, top, right = 20.0, 18.0, 20.0
	bottom           = 287.0 // the lowest y text may reach on A4 (297 mm)
	width            = 210 - left - right
	sans, mono       = "Helvetica", "Courier"
)

// page is the letter being drawn.
type page struct {
	pdf *fpdf.Fpdf
	tr  func(string) string // UTF-8 to the core fonts' cp1252
}

// newPage starts a document titled title, dated date, on its first A4
// page; it breaks no page by itself (a letter is one page by design,
// checked by Render; a receipt breaks its own).
func newPage(org, title string, date time.Time) *page {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(left, top, right)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCreationDate(date)
	pdf.SetModificationDate(date)
	pdf.SetTitle(title, true)
	pdf.SetAuthor(org, true)
	pdf.SetCreator("custodia", false)
	p := &page{pdf: pdf, tr: pdf.UnicodeTranslatorFromDescriptor("cp1252")}
	pdf.AddPage()
	return p
}

func (p *page) para(style string, size float64, s string) {
	p.pdf.SetFont(sans, style, size)
	p.pdf.MultiCell(width, size*0.45, p.tr(s), "", "L", false)
}

func (p *page) section(s string) {
	p.pdf.Ln(3)
	p.para("B", 11.5, s)
	p.pdf.Ln(0.8)
}

// fit returns the largest size up to max, in steps of half a point, at
// which s in font family/style fits in w.
func (p *page) fit(family, style string, max float64, s string, w float64) float64 {
	size := max
	for ; size > 6; size -= 0.5 {
		p.pdf.SetFont(family, style, size)
		if p.pdf.GetStringWidth(s) <= w {
			break
		}
	}
	return size
}

// code prints s on one line of its own, indented, in monospace, so that
// nothing (a reader, pdftotext) splits it; s too long for one line even
// in the smallest size wraps.
func (p *page) code(s string, max float64) {
	const indent = 6.0
	w := width - indent
	size := p.fit(mono, "", max, s, w-2*p.pdf.GetCellMargin())
	p.pdf.SetFont(mono, "", size)
	p.pdf.SetX(left + indent)
	if p.pdf.GetStringWidth(s) > w-2*p.pdf.GetCellMargin() {
		p.pdf.MultiCell(w, size*0.5, s, "", "L", false)
	} else {
		p.pdf.CellFormat(w, size*0.5, s, "", 1, "L", false, 0, "")
	}
	p.pdf.Ln(0.8)
}

func (p *page) field(label, value string) {
	p.pdf.SetFont(sans, "", 10)
	p.pdf.CellFormat(32, 6, p.tr(label), "", 0, "L", false, 0, "")
	p.pdf.SetFont(mono, "B", p.fit(mono, "B", 12, value, width-32-2*p.pdf.GetCellMargin()))
	p.pdf.CellFormat(width-32, 6, p.tr(value), "", 1, "L", false, 0, "")
}

// masthead draws the organisation, a rule, the date and the title.
func (p *page) masthead(org string, date time.Time, title string) {
	pdf := p.pdf
	months := [...]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
		"septiembre", "octubre", "noviembre", "diciembre"}
	size := max(p.fit(sans, "B", 18, p.tr(org), width-2*pdf.GetCellMargin()), 13) // wraps below 13 pt
	pdf.SetFont(sans, "B", size)
	pdf.MultiCell(width, size*0.5, p.tr(org), "", "L", false)
	pdf.SetDrawColor(60, 60, 60)
	pdf.SetLineWidth(0.5)
	pdf.Line(left, pdf.GetY()+1, left+width, pdf.GetY()+1)
	pdf.Ln(3)
	pdf.SetFont(sans, "", 10)
	pdf.CellFormat(width, 5, p.tr(fmt.Sprintf("%d de %s de %d", date.Day(), months[date.Month()-1], date.Year())),
		"", 1, "R", false, 0, "")
	pdf.SetFont(sans, "B", 12)
	pdf.CellFormat(width, 7, p.tr(title), "", 1, "L", false, 0, "")
	pdf.Ln(2)
}

// heading draws the masthead and the greeting.
func (p *page) heading(org string, date time.Time, role string) {
	pdf := p.pdf
	p.masthead(org, date, "Carta de acceso al servidor de archivos")
	p.para("", 10, "Estimado(a) usuario(a):")
	pdf.Ln(1)
	intro := "Le enviamos sus datos de acceso al servidor de archivos de " + org + "."
	if _, can := roleText(role); can != "" {
		intro += " Con ellos puede " + can + "."
	}
	p.para("", 10, intro)
	pdf.Ln(3)
}

// credentials draws the user name, the role and the framed password, or
// a key letter's keys.
func (p *page) credentials(l Letter) {
	pdf := p.pdf
	p.field("Usuario:", l.Username)
	if name, _ := roleText(l.Role); name != "" {
		pdf.SetFont(sans, "", 10)
		pdf.CellFormat(32, 6, p.tr("Perfil:"), "", 0, "L", false, 0, "")
		pdf.CellFormat(width-32, 6, p.tr(name), "", 1, "L", false, 0, "")
	}
	if l.Password == "" {
		p.keys(l.Keys)
		return
	}
	pdf.SetFont(sans, "", 10)
	pdf.CellFormat(32, 12, p.tr("Contraseña:"), "", 0, "L", false, 0, "")
	pdf.SetFont(mono, "B", p.fit(mono, "B", 18, l.Password, width-32-12))
	pdf.SetFillColor(242, 242, 242)
	pdf.SetLineWidth(0.4)
	pdf.CellFormat(pdf.GetStringWidth(l.Password)+12, 12, l.Password, "1", 1, "C", true, 0, "")
	pdf.Ln(1)
	p.para("I", 8.5, "Escríbala exactamente como aparece en el recuadro: distingue mayúsculas de minúsculas, "+
		"no tiene espacios y sus signos de puntuación son parte de ella.")
}

// keys says that the account logs in with its SSH key, not a password,
// and lists the keys it has.
func (p *page) keys(keys []string) {
	p.pdf.Ln(2)
	p.para("", 10, "Esta cuenta no tiene contraseña: entra por SFTP con su clave SSH. "+
		"Use la clave privada que corresponde a una de estas claves públicas registradas (huella SHA-256):")
	p.pdf.Ln(1)
	for _, k := range keys {
		p.code(k, 10)
	}
}

// hostPort splits host:port, or returns addr whole.
func hostPort(addr string) (string, string) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, ""
	}
	return h, p
}

// connections draws how to connect with each protocol the letter names.
func (p *page) connections(l Letter) {
	if l.Portal != "" {
		p.section("Portal web")
		p.para("", 10, "En su navegador, abra la dirección siguiente y entre con su usuario y su contraseña:")
		p.code(l.Portal, 10)
	}
	if l.SFTP != "" {
		h, port := hostPort(l.SFTP)
		p.section("Conexión por SFTP (recomendada)")
		p.para("", 10, fmt.Sprintf("Servidor: %s    Puerto: %s", h, port))
		p.para("", 10, "Desde una terminal (Windows, macOS, Linux):")
		if strings.Contains(h, ":") {
			h = "[" + h + "]"
		}
		if l.Password == "" {
			p.code(fmt.Sprintf("sftp -i CLAVE -P %s %s@%s", port, l.Username, h), 10)
			p.para("", 10, "donde CLAVE es el archivo de su clave privada. Con WinSCP o FileZilla: protocolo SFTP, "+
				"el servidor y el puerto de arriba, su usuario y su clave privada.")
		} else {
			p.code(fmt.Sprintf("sftp -P %s %s@%s", port, l.Username, h), 10)
			p.para("", 10, "Con WinSCP o FileZilla: protocolo SFTP, el servidor y el puerto de arriba, su usuario y su contraseña.")
		}
	}
	if l.FTPS != "" {
		h, port := hostPort(l.FTPS)
		p.section("Conexión por FTPS")
		p.para("", 10, fmt.Sprintf("Servidor: %s    Puerto: %s", h, port))
		p.para("", 10, "En FileZilla (Gestor de sitios): protocolo FTP, cifrado «Requiere FTP explícito sobre TLS», "+
			"modo de acceso Normal. En WinSCP: protocolo FTP, cifrado «Cifrado TLS/SSL explícito».")
	}
	if l.WebDAV != "" {
		p.section("Unidad de red")
		p.para("", 10, "En Windows: Explorador de archivos > Este equipo > Conectar unidad de red. "+
			"En «Carpeta» escriba la dirección siguiente, marque «Conectar con otras credenciales» "+
			"y use su usuario y su contraseña:")
		p.code(l.WebDAV, 10)
	}
}

// fingerprints draws the server's fingerprints to check on the first
// connection, for the protocols the letter names.
func (p *page) fingerprints(l Letter) {
	var tlsUse []string
	if l.FTPS != "" {
		tlsUse = append(tlsUse, "FTPS")
	}
	if l.WebDAV != "" {
		tlsUse = append(tlsUse, "unidad de red")
	}
	if l.Portal != "" {
		tlsUse = append(tlsUse, "portal web")
	}
	showSSH := l.SFTP != "" && l.HostKeyFingerprint != ""
	showTLS := len(tlsUse) > 0 && l.TLSFingerprint != ""
	if !showSSH && !showTLS {
		return
	}
	p.section("Verifique el servidor en la primera conexión")
	p.para("", 10, "La primera vez que se conecte, su programa le mostrará la huella digital (fingerprint) "+
		"del servidor y le preguntará si confía en él. Compárela, carácter por carácter, con la de esta carta. "+
		"Si es igual, acéptela. Si es distinta, no se conecte y llame a Sistemas.")
	if showSSH {
		p.pdf.Ln(1)
		p.para("", 9.5, "Clave del servidor SSH (SFTP); algunos programas no muestran el prefijo «SHA256:»:")
		p.code(l.HostKeyFingerprint, 10)
	}
	if showTLS {
		p.pdf.Ln(1)
		p.para("", 9.5, "Certificado TLS ("+strings.Join(tlsUse, " y ")+"), huella SHA-256:")
		p.code(l.TLSFingerprint, 10)
	}
}

// closing says the password (or the private key) is personal.
func (p *page) closing(keyOnly bool) {
	if keyOnly {
		p.section("Su clave privada es personal")
		p.para("", 10, "La clave privada es solo para este servicio: no la comparta con nadie ni la envíe por correo, "+
			"y guárdela protegida. Si cree que alguien más pudo obtenerla, pida a Sistemas que retire su clave de inmediato.")
		return
	}
	p.section("Su contraseña es personal")
	p.para("", 10, "Esta contraseña es solo para usted: no la comparta con nadie, ni con compañeros ni con Sistemas, "+
		"que nunca se la pedirá. No la anote ni la guarde en ningún otro lugar (correo, notas, archivos). "+
		"Guarde esta carta en un lugar seguro. Si cree que alguien más pudo verla, pida a Sistemas que la cambie de inmediato.")
}

func (p *page) footer(org string) {
	pdf := p.pdf
	pdf.SetY(bottom - 6)
	footer := p.tr("Documento confidencial de " + org + ".")
	pdf.SetFont(sans, "", p.fit(sans, "", 8, footer, width-2*pdf.GetCellMargin()))
	pdf.SetTextColor(110, 110, 110)
	pdf.CellFormat(width, 4, footer, "T", 0, "C", false, 0, "")
}
