package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/oaq/custodia/store"
)

// maxListed is how many files one digest names; the rest are counted.
const maxListed = 200

// digest is the e-mail that tells c's contacts of pubs, in Spanish (the
// brokerage's language): plain text, quoted-printable, every header
// ASCII (a client's name RFC 2047 Q-encoded). Names come from the
// publisher, so control characters are escaped. Its Message-ID is made
// of the publications it tells of: the same digest sent again after a
// crash carries the same id.
func (n *Notifier) digest(c *store.Client, pubs []store.Publication, now time.Time) ([]byte, error) {
	from, err := mail.ParseAddress(n.o.From)
	if err != nil {
		return nil, fmt.Errorf("notify.from %q: %w", n.o.From, err)
	}
	to := make([]string, len(c.Contacts))
	for i, a := range c.Contacts {
		to[i] = (&mail.Address{Name: c.Name, Address: a}).String()
	}
	sum := sha256.New()
	for _, p := range pubs {
		sum.Write([]byte(p.EventID + "\n"))
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	subject := fmt.Sprintf("Nuevos documentos publicados para %s (%s)", c.Name, c.ID)
	if len(pubs) == 1 {
		subject = fmt.Sprintf("Nuevo documento publicado para %s (%s)", c.Name, c.ID)
	}

	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from.String())
	header("To", strings.Join(to, ",\r\n "))
	header("Subject", mime.QEncoding.Encode("utf-8", store.Printable(subject)))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(sum.Sum(nil))[:40]+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Content-Language", "es")
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")

	qp := quotedprintable.NewWriter(&b)
	fmt.Fprint(qp, n.body(c, pubs))
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// body is the digest's text, lines ending in CRLF.
func (n *Notifier) body(c *store.Client, pubs []store.Publication) string {
	var t strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&t, format+"\r\n", a...) }
	line("Estimado cliente:")
	line("")
	if len(pubs) == 1 {
		line("Se publicó un documento nuevo para %s (%s):", store.Printable(c.Name), c.ID)
	} else {
		line("Se publicaron %d documentos nuevos para %s (%s):", len(pubs), store.Printable(c.Name), c.ID)
	}
	line("")
	for i, p := range pubs {
		if i == maxListed {
			line("  … y %d más.", len(pubs)-maxListed)
			break
		}
		line("  - %s  (%s UTC)", store.Printable(p.Name), p.At.UTC().Format("2006-01-02 15:04"))
	}
	line("")
	line("Puede consultarlos y descargarlos en el portal, con su usuario y contraseña:")
	line("%s", n.o.PortalURL)
	line("")
	line("Por su seguridad, este mensaje no incluye los archivos ni enlaces de descarga.")
	line("Es un aviso automático de %s; por favor no lo responda.", store.Printable(n.o.Organization))
	return t.String()
}
