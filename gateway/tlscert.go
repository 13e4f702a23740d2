package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// certLifetime is how long a generated certificate is valid; an expired
// generated certificate is replaced at the next start.
const certLifetime = 2 * 365 * 24 * time.Hour

// Certificate is the TLS certificate every TLS front end serves, and
// whether LoadCertificate has just generated it.
type Certificate struct {
	tls.Certificate
	Generated bool
}

// LoadCertificate loads the TLS certificate every TLS front end serves.
// With certFile and keyFile set it reads them; otherwise it reads
// dir/tls.crt and dir/tls.key, generating a self-signed ECDSA P-256
// certificate there (for localhost, this host's name and the loopback
// addresses) when they are missing or expired.
func LoadCertificate(certFile, keyFile, dir string) (Certificate, error) {
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return Certificate{}, fmt.Errorf("tls: certificate %s and key %s: %w", certFile, keyFile, err)
		}
		return Certificate{Certificate: cert}, nil
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	switch {
	case err == nil && time.Now().Before(cert.Leaf.NotAfter):
		return Certificate{Certificate: cert}, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return Certificate{}, fmt.Errorf("tls: %s: %w", certFile, err)
	}
	if err := generateCertificate(certFile, keyFile); err != nil {
		return Certificate{}, fmt.Errorf("tls: generate certificate: %w", err)
	}
	cert, err = tls.LoadX509KeyPair(certFile, keyFile)
	return Certificate{Certificate: cert, Generated: true}, err
}

func generateCertificate(certFile, keyFile string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	names := []string{"localhost"}
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		names = append(names, h)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[len(names)-1], Organization: []string{"custodia"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              names,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return err
	}
	if err := WriteFileAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return WriteFileAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// Fingerprint is the SHA-256 of a certificate's DER encoding, as the
// colon-separated hex that browsers and FTP clients show.
func Fingerprint(cert tls.Certificate) string {
	if len(cert.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(cert.Certificate[0])
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// TLSConfig is the server configuration of every TLS front end: TLS 1.2
// or later, and for TLS 1.2 only ECDHE key exchange with AEAD ciphers
// (TLS 1.3's suites are all AEAD).
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}
}
