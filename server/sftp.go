package server

import (
	"context"
	"path/filepath"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway/sftp"
)

// HostKeyFile is the SSH host key the SFTP front end serves: sftp.host_key,
// or the one generated in the keys dir.
func HostKeyFile(cfg config.Config) string {
	if cfg.SFTP.HostKey != "" {
		return cfg.SFTP.HostKey
	}
	return filepath.Join(cfg.KeysDir(), "ssh_host_ed25519_key")
}

func (s *Server) startSFTP(ctx context.Context) error {
	c := s.cfg.SFTP
	if !config.Enabled(c.Listen) {
		s.log.Warn("sftp listener is off")
		return nil
	}
	hostKey, err := sftp.LoadOrCreateHostKey(HostKeyFile(s.cfg))
	if err != nil {
		return err
	}
	srv, err := sftp.New(sftp.Options{
		Core: s.core, HostKey: hostKey, IdleTimeout: c.IdleTimeout.Duration,
		LoginTimeout: c.LoginTimeout.Duration, MaxAuthTries: c.MaxAuthTries,
		LegacyClients: c.LegacyClients, Logger: s.log,
	})
	if err != nil {
		return err
	}
	ln, err := listen("sftp.listen", c.Listen)
	if err != nil {
		return err
	}
	if c.LegacyClients {
		s.log.Warn("sftp.legacy_clients is on: AES-CTR with SHA-2 MACs is offered besides AES-GCM and chacha20-poly1305")
	}
	s.log.Info("sftp listening", "addr", ln.Addr().String(),
		"host_key", ssh.FingerprintSHA256(hostKey.PublicKey()), "data", s.cfg.DataDir)
	s.serve(ctx, "sftp", ln, srv.Serve, srv.Shutdown)
	return nil
}
