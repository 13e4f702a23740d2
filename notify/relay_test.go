package notify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// relay is a real SMTP server on loopback (go-smtp) that offers STARTTLS
// with a certificate of its own CA, takes AUTH PLAIN only over TLS, and
// keeps what it is sent.
type relay struct {
	t      *testing.T
	addr   string
	caFile string
	tlsCfg *tls.Config

	mu   sync.Mutex
	srv  *smtp.Server
	msgs []mailed
	slow time.Duration // each message takes this long to be accepted
}

// mailed is one message the relay took.
type mailed struct {
	From string
	To   []string
	Data []byte
	TLS  bool
	User string
}

const relayUser, relayPassword = "portal", "s3cret-relay-pass"

func newRelay(t *testing.T) *relay {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{t: t, caFile: filepath.Join(t.TempDir(), "relay-ca.pem")}
	if err := os.WriteFile(r.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	r.tlsCfg = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	r.start("127.0.0.1:0")
	t.Cleanup(r.stop)
	return r
}

// start serves on addr (the relay's own again after stop).
func (r *relay) start(addr string) {
	r.t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		r.t.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{r: r, c: c}, nil }))
	srv.Domain = "relay.test"
	srv.TLSConfig = r.tlsCfg
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	r.mu.Lock()
	r.srv, r.addr = srv, l.Addr().String()
	r.mu.Unlock()
	go srv.Serve(l)
}

// stop closes the listener and every connection: the relay is down.
func (r *relay) stop() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (r *relay) messages() []mailed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]mailed(nil), r.msgs...)
}

type session struct {
	r    *relay
	c    *smtp.Conn
	m    mailed
	user string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != relayUser || pass != relayPassword {
			return errors.New("bad credentials")
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.m = mailed{From: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.m.To = append(s.m.To, to); return nil }

func (s *session) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	_, s.m.TLS = s.c.TLSConnectionState()
	s.m.Data, s.m.User = b, s.user
	s.r.mu.Lock()
	slow := s.r.slow
	s.r.mu.Unlock()
	time.Sleep(slow)
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, s.m)
	s.r.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.m = mailed{} }
func (s *session) Logout() error { return nil }
