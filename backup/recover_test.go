package backup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/store"
)

// slowRemote stores archives in memory; removing one of job slowJob's
// archives says so on removing and waits for release.
type slowRemote struct {
	mu       sync.Mutex
	files    map[string][]byte
	slowJob  string
	removing chan struct{}
	release  chan struct{}
}

func (s *slowRemote) Name() string { return "offsite" }

func (s *slowRemote) Put(_ context.Context, name string, r io.Reader, _ int64, _ string) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[name] = body
	return nil
}

func (s *slowRemote) Open(_ context.Context, name string) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, ok := s.files[name]
	if !ok {
		return nil, fmt.Errorf("offsite: %s: %w", name, fs.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(body)), nil
}

func (s *slowRemote) Remove(_ context.Context, name string) error {
	if strings.HasPrefix(name, s.slowJob+"/") {
		s.removing <- struct{}{}
		<-s.release
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, name)
	return nil
}

// Recovery at start reads the runs left running, then handles one job
// after another; a run of another job that finishes meanwhile (the
// console's "run now", the CLI through the socket) stays ok, with its
// archives.
func TestRecoveryKeepsRunFinishedMeanwhile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	local := t.TempDir()
	remote := &slowRemote{files: map[string][]byte{}, slowJob: "first", removing: make(chan struct{}), release: make(chan struct{})}
	r := New(Options{Store: st, FilesDir: t.TempDir(), Local: Local{Dir: local}, Remotes: []Remote{remote},
		Recipients: []age.Recipient{newIdentity(t).Recipient()}, Location: time.UTC,
		Jobs: []Job{{Name: "first", Source: DatabaseSource, Full: "30 1 * * *", Keep: Retention{Daily: 30}},
			{Name: "second", Source: DatabaseSource, Full: "30 2 * * *", Keep: Retention{Daily: 30}}}})
	old := time.Now().Add(-72 * time.Hour)
	stale := store.Backup{ID: newID("first", old), Job: "first", Kind: Full, StartedAt: old}
	if err := st.StartBackup(ctx, stale); err != nil {
		t.Fatal(err)
	}
	b, finish, err := r.begin(ctx, "second", Full) // running as recovery reads
	if err != nil {
		t.Fatal(err)
	}
	recovered := make(chan error, 1)
	go func() { recovered <- r.recoverInterrupted(ctx) }()
	<-remote.removing // recovery cleans up the stale run of "first"
	if b, err = finish(ctx); err != nil || b.Status != store.BackupOK {
		t.Fatalf("the run of second: %s %v", b.Status, err)
	}
	close(remote.release)
	if err := <-recovered; err != nil {
		t.Fatal(err)
	}
	got, err := st.BackupByID(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.BackupOK {
		t.Errorf("the run that finished during recovery is %s (%s), want ok", got.Status, got.Error)
	}
	name := archiveName("second", b.ID)
	if _, err := os.Stat(filepath.Join(local, filepath.FromSlash(name))); err != nil {
		t.Errorf("its local archive is gone: %v", err)
	}
	if _, err := remote.Open(ctx, name); err != nil {
		t.Errorf("its off-site archive is gone: %v", err)
	}
	if s, err := st.BackupByID(ctx, stale.ID); err != nil || s.Status != store.BackupFailed {
		t.Errorf("the stale run is %s (%v), want failed", s.Status, err)
	}
}
