package backup

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/store"
)

// pausedReader gives its bytes only after release; reading says so once.
type pausedReader struct {
	io.ReadCloser
	reading chan struct{}
	release chan struct{}
	said    bool
}

func (h *pausedReader) Read(p []byte) (int, error) {
	if !h.said {
		h.said = true
		h.reading <- struct{}{}
		<-h.release
	}
	return h.ReadCloser.Read(p)
}

// pausedRemote is a slowRemote whose archives are read through a pausedReader.
type pausedRemote struct {
	*slowRemote
	reading, release chan struct{}
}

func (h *pausedRemote) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	rc, err := h.slowRemote.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	return &pausedReader{ReadCloser: rc, reading: h.reading, release: h.release}, nil
}

// A verification honours its context while it reads; one runs at a time
// (another is refused as busy, at once); and Close waits for the one in
// flight, which it ends.
func TestVerifyIsBoundedAndOwned(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	local := t.TempDir()
	id := newIdentity(t)
	remote := &pausedRemote{slowRemote: &slowRemote{files: map[string][]byte{}}, reading: make(chan struct{}, 2), release: make(chan struct{})}
	r := New(Options{Store: st, FilesDir: t.TempDir(), Local: Local{Dir: local}, Remotes: []Remote{remote},
		Recipients: []age.Recipient{id.Recipient()}, Location: time.UTC,
		Jobs: []Job{{Name: "database", Source: DatabaseSource, Full: "30 1 * * *", Keep: Retention{Daily: 30}}}})
	b, err := r.Run(ctx, "database", Full)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := r.Verify(ctx, b.ID, []age.Identity{id}); err != nil {
		t.Fatalf("the backup does not verify: %v", err)
	}
	if err := os.Remove(filepath.Join(local, filepath.FromSlash(archiveName("database", b.ID)))); err != nil {
		t.Fatal(err)
	}

	// The request ends (the browser went away) while the archive is read.
	gone, cancel := context.WithCancel(ctx)
	cancelled := make(chan error, 1)
	go func() { _, err := r.Verify(gone, b.ID, []age.Identity{id}); cancelled <- err }()
	<-remote.reading
	cancel()
	remote.release <- struct{}{}
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("a verification whose context ended while reading: %v, want context.Canceled", err)
	}

	first := make(chan error, 1)
	go func() { _, err := r.Verify(ctx, b.ID, []age.Identity{id}); first <- err }()
	<-remote.reading // the first verification reads the off-site copy
	second := make(chan error, 1)
	go func() { _, err := r.Verify(ctx, b.ID, []age.Identity{id}); second <- err }()
	select {
	case err := <-second:
		if !errors.Is(err, store.ErrVerifyBusy) {
			t.Errorf("a second verification while one runs: %v, want busy", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("a second verification while one runs was not refused at once")
	}
	closed := make(chan struct{})
	go func() { r.Close(); close(closed) }()
	select {
	case <-closed:
		t.Error("Close returned while a verification was reading")
	case <-time.After(200 * time.Millisecond):
	}
	close(remote.release)
	<-closed
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("the verification Close ended: %v, want context.Canceled", err)
	}
}
