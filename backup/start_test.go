package backup

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/store"
)

// heldRemote is an off-site target whose Put waits until released (or
// its context ends), so that a test sees a run in progress.
type heldRemote struct {
	flakyRemote
	entered chan struct{} // a Put began
	release chan struct{}
}

func (h *heldRemote) Put(ctx context.Context, name string, r io.Reader, size int64, sum string) error {
	h.entered <- struct{}{}
	select {
	case <-h.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return h.flakyRemote.Put(ctx, name, r, size, sum)
}

// Start returns while the run goes on, recorded as running; the job runs
// once at a time (a second Start, or a Run, is refused meanwhile); the
// run then completes as Run's would. Close ends a run in progress, which
// is recorded as failed, and no run starts after it.
func TestStartRunsInTheBackground(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	filesDir := t.TempDir()
	writeFile(t, filepath.Join(filesDir, "departments", "trafico", "a.txt"), []byte("pedimento 1"))
	id := newIdentity(t)
	remote := &heldRemote{flakyRemote: flakyRemote{files: map[string][]byte{}}, entered: make(chan struct{}, 1), release: make(chan struct{})}
	r := New(Options{Store: st, FilesDir: filesDir, Local: Local{Dir: t.TempDir()}, Remotes: []Remote{remote},
		Recipients: []age.Recipient{id.Recipient()},
		Jobs:       []Job{{Name: "departments", Source: "/departments", Keep: Retention{Daily: 30}}}})
	t.Cleanup(r.Close)

	b, err := r.Start(ctx, "departments", Full)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	<-remote.entered
	if got, err := st.BackupByID(ctx, b.ID); err != nil || got.Status != store.BackupRunning {
		t.Fatalf("while its copy waits, backup %s is %q (%v), want running", b.ID, got.Status, err)
	}
	if _, err := r.Start(ctx, "departments", Full); !errors.Is(err, store.ErrBackupBusy) || !strings.Contains(err.Error(), "already running") {
		t.Errorf("a second Start of a running job: %v, want already running", err)
	}
	if _, err := r.Run(ctx, "departments", Incremental); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("a Run of a running job: %v, want already running", err)
	}
	close(remote.release)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := st.BackupByID(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == store.BackupOK {
			if _, err := r.Verify(ctx, b.ID, []age.Identity{id}); err != nil {
				t.Fatalf("the background run's backup does not verify: %v", err)
			}
			break
		}
		if got.Status != store.BackupRunning || time.Now().After(deadline) {
			t.Fatalf("backup %s is %s (%s), want ok", b.ID, got.Status, got.Error)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Close ends a run in progress.
	// The run's record says ok a moment before it gives up the job's
	// lease in the store: wait for the job to be free (bounded).
	remote.release = make(chan struct{})
	var held store.Backup
	for i := 0; ; i++ {
		held, err = r.Start(ctx, "departments", Full)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrBackupBusy) || i == 500 {
			t.Fatalf("Start after the first run ended: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	<-remote.entered
	r.Close()
	if got, err := st.BackupByID(ctx, held.ID); err != nil || got.Status != store.BackupFailed {
		t.Errorf("after Close, the run in progress is %q (%v), want failed", got.Status, err)
	}
	if _, err := r.Start(ctx, "departments", Full); err == nil {
		t.Error("a run started after Close")
	}
}
