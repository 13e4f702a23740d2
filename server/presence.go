package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/store"
)

// presenceTTL is how long a gateway that died still counts as present:
// until then the others leave its uploads in progress alone.
const presenceTTL = 15 * time.Second

// gatewayID names this gateway among those sharing the database: its
// host and a digest of its data dir's path (the path itself stays off
// /healthz), the same across its restarts (it runs once per data dir:
// the dir's lock), so that it settles its own previous run's uploads and
// sessions at start. The session registry, the presence lease and the
// uploads in progress all name the gateway by it.
func gatewayID(cfg config.Config) string {
	host, _ := os.Hostname()
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		dir = cfg.DataDir
	}
	sum := sha256.Sum256([]byte(dir))
	return host + "-" + hex.EncodeToString(sum[:4])
}

// holdPresence holds the gateway's presence lease until ctx ends, taking
// it again whenever it is lost (the database stalled), and gives it up at
// the end. The returned channel is closed then.
func holdPresence(ctx context.Context, st *store.Store, id string, log *slog.Logger) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			held, release, err := st.Hold(ctx, store.PresenceLease(id), id, presenceTTL)
			if err != nil {
				log.Warn("gateway presence lease not taken", "err", err)
				t := time.NewTimer(presenceTTL / 4)
				select {
				case <-ctx.Done():
				case <-t.C:
				}
				t.Stop()
				continue
			}
			<-held.Done()
			release()
		}
	}()
	return done
}
