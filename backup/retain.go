package backup

import (
	"context"
	"io"
	"time"
)

// retainer is a Remote that can lock what it stores against deletion
// (S3 object lock): not even the gateway's own credentials remove an
// archive before its retention ends.
type retainer interface {
	// PutRetained is Put, locked until the time given (none when zero).
	PutRetained(ctx context.Context, name string, r io.Reader, size int64, sum string, until time.Time) error
	// LockedUntil is when an archive's lock ends; zero when it has none.
	LockedUntil(ctx context.Context, name string) (time.Time, error)
}

// end is the longest a backup started at start can be kept by this
// retention: its daily, monthly or yearly horizon, whichever is last. A
// locked archive stays until then, even when retention drops it sooner.
func (r Retention) end(start time.Time) time.Time {
	end := start.AddDate(0, 0, r.Daily)
	if t := start.AddDate(0, r.Monthly, 0); t.After(end) {
		end = t
	}
	if t := start.AddDate(r.Yearly, 0, 0); t.After(end) {
		end = t
	}
	return end
}

// lockedUntil is when the last lock on a backup's copies ends, when one
// of its targets still locks it at now.
func (r *Runner) lockedUntil(ctx context.Context, name, targets string, now time.Time) (time.Time, error) {
	var last time.Time
	for _, t := range r.o.Remotes {
		l, ok := t.(retainer)
		if !ok || !hasTarget(targets, t.Name()) {
			continue
		}
		until, err := l.LockedUntil(ctx, name)
		if err != nil {
			return time.Time{}, err
		}
		if until.After(now) && until.After(last) {
			last = until
		}
	}
	return last, nil
}
