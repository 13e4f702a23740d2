package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
)

// errNoSTARTTLS refuses a relay that would take the digest in clear text.
var errNoSTARTTLS = errors.New("smtp: the relay offers no STARTTLS: refusing to send in clear text")

// send hands msg to the relay for rcpts: STARTTLS always (the relay's
// certificate checked against RootCAs), then AUTH PLAIN when a username
// is set. Nothing of the password reaches an error or a log.
func (n *Notifier) send(ctx context.Context, rcpts []string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, n.o.Timeout)
	defer cancel()
	host, _, err := net.SplitHostPort(n.o.SMTP)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	from, err := mail.ParseAddress(n.o.From)
	if err != nil {
		return fmt.Errorf("smtp: from: %w", err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", n.o.SMTP)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // shutdown ends a conversation at once
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(n.o.Hostname); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return errNoSTARTTLS
	}
	if err := c.StartTLS(&tls.Config{ServerName: host, RootCAs: n.o.RootCAs, MinVersion: tls.VersionTLS12}); err != nil {
		return fmt.Errorf("smtp: STARTTLS: %w", err)
	}
	if n.o.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", n.o.Username, n.o.Password, host)); err != nil {
			return fmt.Errorf("smtp: AUTH as %s: %w", n.o.Username, err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	// A contact the relay refuses does not hold back the others'
	// digest; with none accepted the digest waits for the next try.
	var refused error
	accepted := 0
	for _, r := range rcpts {
		if err := c.Rcpt(r); err != nil {
			refused = fmt.Errorf("smtp: RCPT TO %s: %w", r, err)
			n.log.Warn("contact refused by the relay", "err", refused)
			continue
		}
		accepted++
	}
	if accepted == 0 {
		return refused
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: message refused: %w", err)
	}
	c.Quit() // the relay took the message: a lost goodbye does not make it unsent
	return nil
}
