package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/gateway/sftp"
)

// Init makes the data dir cfg names ready to serve, without serving: the
// store with the default policies, the files tree, the SSH host key and
// the TLS certificate, and the first admin, whose generated password it
// returns ("" when the store already had users). It takes the data dir's
// lock, so it refuses while a server runs there.
func Init(ctx context.Context, cfg config.Config) (password string, err error) {
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return "", err
	}
	defer lock.Unlock()
	state, err := open(ctx, cfg, true)
	if err != nil {
		return "", err
	}
	defer func() { err = errors.Join(err, state.Close()) }()
	if config.Enabled(cfg.SFTP.Listen) {
		if _, err := sftp.LoadOrCreateHostKey(HostKeyFile(cfg)); err != nil {
			return "", err
		}
	}
	if _, err := gateway.LoadCertificate(cfg.TLS.Cert, cfg.TLS.Key, cfg.KeysDir()); err != nil {
		return "", fmt.Errorf("tls: %w", err)
	}
	return firstAdmin(ctx, state.Store)
}
