package admin

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// Letter is what a credential letter tells one user: the organisation's
// policy sends clients and correspondents their user and password "en
// una carta". Empty addresses and fingerprints are left out.
type Letter struct {
	Organization       string    // the heading, e.g. "Agencia Aduanal Querétaro"
	Username           string    // required
	Password           string    // required; printable ASCII without spaces, to be typed off paper
	Role               string    // store role name: client, correspondent, staff, manager, publisher, admin
	SFTP               string    // host:port; empty when SFTP is off
	FTPS               string    // host:port of explicit FTPS; empty when off
	WebDAV             string    // https URL of the share; shown to staff, manager and admin only (mapped drives)
	HostKeyFingerprint string    // SSH host key, "SHA256:…"
	TLSFingerprint     string    // certificate SHA-256 as colon hex (gateway.Fingerprint)
	Date               time.Time // the letter's date; zero: now
}

// RenderLetter returns the letter as a one-page A4 PDF in Spanish. The
// password is printed once, in a framed monospace box; the fingerprints
// each on one line, in a font small enough to fit it.
func RenderLetter(l Letter) ([]byte, error) {
	if strings.TrimSpace(l.Username) == "" {
		return nil, errors.New("admin: letter: empty user name")
	}
	if l.Password == "" {
		return nil, errors.New("admin: letter: empty password")
	}
	for _, r := range l.Password {
		if r < '!' || r > '~' {
			return nil, errors.New("admin: letter: the password must be printable ASCII without spaces, to be typed off paper")
		}
	}
	org := strings.TrimSpace(l.Organization)
	if org == "" {
		org = "custodia"
	}
	date := l.Date
	if date.IsZero() {
		date = time.Now()
	}
	months := []string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
		"septiembre", "octubre", "noviembre", "diciembre"}
	roles := map[string][2]string{
		"client":        {"cliente", "descargar los documentos PDF de sus operaciones"},
		"correspondent": {"corresponsal", "subir documentos al expediente digital de sus clientes"},
		"staff":         {"personal", "trabajar con los documentos de su departamento"},
		"manager":       {"gerente", "trabajar con los documentos de su departamento"},
		"publisher":     {"publicador", "publicar documentos PDF para los clientes"},
		"admin":         {"administrador", "administrar todos los archivos del servidor"},
	}
	role, known := roles[l.Role]
	if !known {
		role = [2]string{l.Role, ""}
	}
	webdav := l.WebDAV
	if l.Role != "staff" && l.Role != "manager" && l.Role != "admin" {
		webdav = "" // mapped drives are for staff
	}

	const (
		left, top, right = 20.0, 18.0, 20.0
		bottom           = 287.0 // the lowest y text may reach on A4 (297 mm)
		width            = 210 - left - right
		sans, mono       = "Helvetica", "Courier"
	)
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(left, top, right)
	pdf.SetAutoPageBreak(false, 0) // one page by design; checked below
	pdf.SetCreationDate(date)
	pdf.SetModificationDate(date)
	pdf.SetTitle("Carta de acceso de "+l.Username, true)
	pdf.SetAuthor(org, true)
	pdf.SetCreator("custodia", false)
	tr := pdf.UnicodeTranslatorFromDescriptor("cp1252") // the core fonts' encoding
	pdf.AddPage()

	para := func(style string, size float64, s string) {
		pdf.SetFont(sans, style, size)
		pdf.MultiCell(width, size*0.45, tr(s), "", "L", false)
	}
	heading := func(s string) {
		pdf.Ln(3)
		para("B", 11.5, s)
		pdf.Ln(0.8)
	}
	// fit returns the largest size up to max, in steps of half a point,
	// at which s in font family/style fits in w.
	fit := func(family, style string, max float64, s string, w float64) float64 {
		size := max
		for ; size > 6; size -= 0.5 {
			pdf.SetFont(family, style, size)
			if pdf.GetStringWidth(s) <= w {
				break
			}
		}
		return size
	}
	// code prints s on one line of its own, indented, in monospace, so
	// that nothing (a reader, pdftotext) splits it.
	code := func(s string, max float64) {
		const indent = 6.0
		size := fit(mono, "", max, s, width-indent-2*pdf.GetCellMargin())
		pdf.SetFont(mono, "", size)
		pdf.SetX(left + indent)
		pdf.CellFormat(width-indent, size*0.5, s, "", 1, "L", false, 0, "")
		pdf.Ln(0.8)
	}
	field := func(label, value string) {
		pdf.SetFont(sans, "", 10)
		pdf.CellFormat(32, 6, tr(label), "", 0, "L", false, 0, "")
		pdf.SetFont(mono, "B", fit(mono, "B", 12, value, width-32-2*pdf.GetCellMargin()))
		pdf.CellFormat(width-32, 6, tr(value), "", 1, "L", false, 0, "")
	}

	// Heading and date.
	size := max(fit(sans, "B", 18, tr(org), width-2*pdf.GetCellMargin()), 13) // wraps below 13 pt
	pdf.SetFont(sans, "B", size)
	pdf.MultiCell(width, size*0.5, tr(org), "", "L", false)
	pdf.SetDrawColor(60, 60, 60)
	pdf.SetLineWidth(0.5)
	pdf.Line(left, pdf.GetY()+1, left+width, pdf.GetY()+1)
	pdf.Ln(3)
	pdf.SetFont(sans, "", 10)
	pdf.CellFormat(width, 5, tr(fmt.Sprintf("%d de %s de %d", date.Day(), months[date.Month()-1], date.Year())),
		"", 1, "R", false, 0, "")
	pdf.SetFont(sans, "B", 12)
	pdf.CellFormat(width, 7, tr("Carta de acceso al servidor de archivos"), "", 1, "L", false, 0, "")
	pdf.Ln(2)

	para("", 10, "Estimado(a) usuario(a):")
	pdf.Ln(1)
	intro := "Le enviamos sus datos de acceso al servidor de archivos de " + org + "."
	if role[1] != "" {
		intro += " Con ellos puede " + role[1] + "."
	}
	para("", 10, intro)
	pdf.Ln(3)

	// Credentials.
	field("Usuario:", l.Username)
	if role[0] != "" {
		pdf.SetFont(sans, "", 10)
		pdf.CellFormat(32, 6, tr("Perfil:"), "", 0, "L", false, 0, "")
		pdf.CellFormat(width-32, 6, tr(role[0]), "", 1, "L", false, 0, "")
	}
	pdf.SetFont(sans, "", 10)
	pdf.CellFormat(32, 12, tr("Contraseña:"), "", 0, "L", false, 0, "")
	pdf.SetFont(mono, "B", fit(mono, "B", 18, l.Password, width-32-12))
	pdf.SetFillColor(242, 242, 242)
	pdf.SetLineWidth(0.4)
	pdf.CellFormat(pdf.GetStringWidth(l.Password)+12, 12, l.Password, "1", 1, "C", true, 0, "")
	pdf.Ln(1)
	para("I", 8.5, "Escríbala exactamente como aparece en el recuadro: distingue mayúsculas de minúsculas, "+
		"no tiene espacios y sus signos de puntuación son parte de ella.")

	// How to connect.
	hostPort := func(addr string) (string, string) {
		h, p, err := net.SplitHostPort(addr)
		if err != nil {
			return addr, ""
		}
		return h, p
	}
	if l.SFTP != "" {
		h, p := hostPort(l.SFTP)
		heading("Conexión por SFTP (recomendada)")
		para("", 10, fmt.Sprintf("Servidor: %s    Puerto: %s", h, p))
		para("", 10, "Desde una terminal (Windows, macOS, Linux):")
		if strings.Contains(h, ":") {
			h = "[" + h + "]"
		}
		code(fmt.Sprintf("sftp -P %s %s@%s", p, l.Username, h), 10)
		para("", 10, "Con WinSCP o FileZilla: protocolo SFTP, el servidor y el puerto de arriba, su usuario y su contraseña.")
	}
	if l.FTPS != "" {
		h, p := hostPort(l.FTPS)
		heading("Conexión por FTPS")
		para("", 10, fmt.Sprintf("Servidor: %s    Puerto: %s", h, p))
		para("", 10, "En FileZilla (Gestor de sitios): protocolo FTP, cifrado «Requiere FTP explícito sobre TLS», "+
			"modo de acceso Normal. En WinSCP: protocolo FTP, cifrado «Cifrado TLS/SSL explícito».")
	}
	if webdav != "" {
		heading("Unidad de red")
		para("", 10, "En Windows: Explorador de archivos > Este equipo > Conectar unidad de red. "+
			"En «Carpeta» escriba la dirección siguiente, marque «Conectar con otras credenciales» "+
			"y use su usuario y su contraseña:")
		code(webdav, 10)
	}

	// Fingerprints.
	var tlsUse []string
	if l.FTPS != "" {
		tlsUse = append(tlsUse, "FTPS")
	}
	if webdav != "" {
		tlsUse = append(tlsUse, "unidad de red")
	}
	showSSH := l.SFTP != "" && l.HostKeyFingerprint != ""
	showTLS := len(tlsUse) > 0 && l.TLSFingerprint != ""
	if showSSH || showTLS {
		heading("Verifique el servidor en la primera conexión")
		para("", 10, "La primera vez que se conecte, su programa le mostrará la huella digital (fingerprint) "+
			"del servidor y le preguntará si confía en él. Compárela, carácter por carácter, con la de esta carta. "+
			"Si es igual, acéptela. Si es distinta, no se conecte y llame a Sistemas.")
		if showSSH {
			pdf.Ln(1)
			para("", 9.5, "Clave del servidor SSH (SFTP); algunos programas no muestran el prefijo «SHA256:»:")
			code(l.HostKeyFingerprint, 10)
		}
		if showTLS {
			pdf.Ln(1)
			para("", 9.5, "Certificado TLS ("+strings.Join(tlsUse, " y ")+"), huella SHA-256:")
			code(l.TLSFingerprint, 10)
		}
	}

	// The password is personal.
	heading("Su contraseña es personal")
	para("", 10, "Esta contraseña es solo para usted: no la comparta con nadie, ni con compañeros ni con Sistemas, "+
		"que nunca se la pedirá. No la anote ni la guarde en ningún otro lugar (correo, notas, archivos). "+
		"Guarde esta carta en un lugar seguro. Si cree que alguien más pudo verla, pida a Sistemas que la cambie de inmediato.")

	if y := pdf.GetY(); y > bottom-8 {
		return nil, fmt.Errorf("admin: letter: the text does not fit on one page (ends at %.0f mm)", y)
	}
	pdf.SetY(bottom - 6)
	footer := tr("Documento confidencial de " + org + ".")
	pdf.SetFont(sans, "", fit(sans, "", 8, footer, width-2*pdf.GetCellMargin()))
	pdf.SetTextColor(110, 110, 110)
	pdf.CellFormat(width, 4, footer, "T", 0, "C", false, 0, "")

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("admin: letter: %w", err)
	}
	return buf.Bytes(), nil
}
