package server

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/notify"
	"github.com/oaq/custodia/store"
)

// Notifier is the e-mail notifier the configuration asks for; nil when
// notify.smtp is empty. Its password and CA file are read here, once.
func Notifier(cfg config.Config, st *store.Store, reg prometheus.Registerer, log *slog.Logger) (*notify.Notifier, error) {
	if !cfg.NotifyOn() {
		return nil, nil
	}
	n := cfg.Notify
	password := n.Password
	if n.PasswordFile != "" {
		b, err := os.ReadFile(n.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("notify.password_file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	var roots *x509.CertPool
	if n.SMTPCA != "" {
		b, err := os.ReadFile(n.SMTPCA)
		if err != nil {
			return nil, fmt.Errorf("notify.smtp_ca: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("notify.smtp_ca: %s holds no PEM certificate", n.SMTPCA)
		}
	}
	host, _ := os.Hostname()
	return notify.New(notify.Options{Store: st, SMTP: n.SMTP, From: n.From, Username: n.Username, Password: password,
		RootCAs: roots, Interval: n.Interval.Duration, PortalURL: cfg.PortalURL(), Organization: cfg.Organization,
		Hostname: host, Logger: log, Metrics: reg}), nil
}
