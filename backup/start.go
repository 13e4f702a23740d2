package backup

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/oaq/custodia/store"
)

// errClosed: the runner is stopping and starts no run.
var errClosed = errors.New("backups are stopping: no new run starts")

// background is the runs Start began: the runner owns them, and Close
// ends and waits for them.
type background struct {
	mu     sync.Mutex
	life   context.Context // ends at Close
	stop   context.CancelFunc
	closed bool
	verify bool           // a verification runs
	runs   sync.WaitGroup // the runs Start began and the verification
}

func newBackground() *background {
	b := &background{}
	b.life, b.stop = context.WithCancel(context.Background())
	return b
}

// Start begins a run of a job, as Run does, and returns as soon as the
// run holds the job and its backup is recorded as running; the run goes
// on in the background until it ends or Close. A job runs once at a
// time: while it runs (here or in another custodia process) Start fails
// as Run does. ctx bounds only the start.
func (r *Runner) Start(ctx context.Context, name, kind string) (store.Backup, error) {
	bg := r.bg
	bg.mu.Lock()
	defer bg.mu.Unlock()
	if bg.closed {
		return store.Backup{}, errClosed
	}
	b, finish, err := r.begin(ctx, name, kind)
	if err != nil {
		return b, err
	}
	bg.runs.Add(1)
	go func() {
		defer bg.runs.Done()
		finish(bg.life) // the outcome is recorded, audited and logged
	}()
	return b, nil
}

// Close ends the runs Start began (each is recorded as failed, as a
// scheduled run a stop interrupts) and a verification in flight, and
// waits for them; Start and Verify then start no more.
func (r *Runner) Close() {
	bg := r.bg
	bg.mu.Lock()
	bg.closed = true
	bg.mu.Unlock()
	bg.stop()
	bg.runs.Wait()
}

// beginVerify admits one verification at a time: it returns ctx, ended
// also by Close, and done, to call when the verification ends, which
// Close waits for. Another verification meanwhile is refused at once
// (store.ErrVerifyBusy): each decrypts a whole archive.
func (bg *background) beginVerify(ctx context.Context) (context.Context, func(), error) {
	bg.mu.Lock()
	defer bg.mu.Unlock()
	if bg.closed {
		return nil, nil, errClosed
	}
	if bg.verify {
		return nil, nil, fmt.Errorf("backup: %w", store.ErrVerifyBusy)
	}
	bg.verify = true
	bg.runs.Add(1)
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(bg.life, cancel)
	return ctx, func() {
		stop()
		cancel()
		bg.mu.Lock()
		bg.verify = false
		bg.mu.Unlock()
		bg.runs.Done()
	}, nil
}
