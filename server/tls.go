package server

import (
	"crypto/tls"

	"github.com/oaq/custodia/gateway"
)

// tlsConfig loads (or generates) the certificate the TLS front ends share
// and logs its fingerprint, once.
func (s *Server) tlsConfig() (*tls.Config, error) {
	if s.tls != nil {
		return s.tls, nil
	}
	cert, err := gateway.LoadCertificate(s.cfg.TLS.Cert, s.cfg.TLS.Key, s.cfg.KeysDir())
	if err != nil {
		return nil, err
	}
	if cert.Generated {
		s.log.Info("generated a self-signed TLS certificate; set tls.cert and tls.key to use your own")
	}
	s.log.Info("tls certificate", "sha256", gateway.Fingerprint(cert.Certificate), "subject", cert.Leaf.Subject.String(),
		"expires", cert.Leaf.NotAfter.Format("2006-01-02"))
	s.tls = gateway.TLSConfig(cert.Certificate)
	return s.tls, nil
}
