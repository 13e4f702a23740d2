package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/store"
)

// presenceTTL is how long a gateway that died still counts as present:
// until then the others leave its uploads in progress alone.
const presenceTTL = 15 * time.Second

// gatewayIDFile holds the random half of the gateway's id, made once per
// data dir. Copying it to another gateway's data dir makes the two one
// gateway to the others: copy keys/ only.
const gatewayIDFile = "gateway-id"

// GatewayID names this gateway among those sharing the database: its host
// name and a random value kept in its data dir, the same across restarts
// (one process per data dir: the dir's lock), so that it settles its own
// previous run's uploads and sessions at start, and different for every
// data dir even where containers share a host name and a path. The session
// registry, the presence lease, the uploads in progress and the S3 staging
// objects all name the gateway by it; /healthz shows it.
func GatewayID(cfg config.Config) (string, error) {
	host, _ := os.Hostname()
	p := filepath.Join(cfg.DataDir, gatewayIDFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		var r [6]byte
		rand.Read(r[:])
		if err := writeNew(p, []byte(hex.EncodeToString(r[:])+"\n")); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("gateway id %s: %w", p, err)
		}
		b, err = os.ReadFile(p)
	}
	if err != nil {
		return "", fmt.Errorf("gateway id: %w", err)
	}
	id := strings.TrimSpace(string(b))
	if _, err := hex.DecodeString(id); err != nil || len(id) != 12 {
		return "", fmt.Errorf("gateway id %s: want 12 hex digits, found %q: remove the file to make a new id", p, id)
	}
	return host + "-" + id, nil
}

// writeNew writes a file that must not exist yet, durably.
func writeNew(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(p)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(p)
		return err
	}
	return f.Close()
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
