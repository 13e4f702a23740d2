package server

import (
	"context"
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
// host and data dir, the same across its restarts (it runs once per data
// dir: the dir's lock), so that it settles its own previous run's uploads
// at start.
func gatewayID(cfg config.Config) string {
	host, _ := os.Hostname()
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		dir = cfg.DataDir
	}
	return host + ":" + dir
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
