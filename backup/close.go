package backup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oaq/custodia/store"
)

// admin reports whether the actor may act on any request: an active
// admin, or the operator.
func admin(a store.RestoreActor) bool {
	return a.User == nil && strings.HasPrefix(a.Name, Operator) ||
		a.User != nil && a.User.Role == store.RoleAdmin && a.User.Status == store.StatusActive
}

// Reject refuses a request still waiting for approval: by an admin, or
// by a manager who could have approved it. It then no longer holds its
// backups from pruning.
func (r *Runner) Reject(ctx context.Context, id string, by store.RestoreActor, note string) (q store.RestoreRequest, err error) {
	defer func() { r.auditRestore(ctx, "backup.restore.reject", q, by.Name, err) }()
	if q, err = r.o.Store.RestoreRequestByID(ctx, id); err != nil {
		return q, err
	}
	if q.Status != store.RestoreRequested {
		return q, badState("restore request %s is %s, not waiting for approval", id, q.Status)
	}
	if !admin(by) {
		if by.User == nil {
			return q, refused("%s may not reject restore %s: a manager who approves it or an admin does", by.Name, id)
		}
		if err := r.mayApprove(q, by.User); err != nil {
			return q, err
		}
	}
	return r.close(ctx, q, store.RestoreRequested, store.RestoreRejected, by.Name, note)
}

// Cancel withdraws a request not yet run: by its requester or an admin.
// It then no longer holds its backups from pruning.
func (r *Runner) Cancel(ctx context.Context, id string, by store.RestoreActor, note string) (q store.RestoreRequest, err error) {
	defer func() { r.auditRestore(ctx, "backup.restore.cancel", q, by.Name, err) }()
	if q, err = r.o.Store.RestoreRequestByID(ctx, id); err != nil {
		return q, err
	}
	if !q.Open() {
		return q, badState("restore request %s is %s: only a request not yet run is cancelled", id, q.Status)
	}
	if !admin(by) && !strings.EqualFold(by.Name, q.Requester) {
		return q, refused("%s may not cancel restore %s: its requester %s or an admin does", by.Name, id, q.Requester)
	}
	return r.close(ctx, q, q.Status, store.RestoreCancelled, by.Name, note)
}

func (r *Runner) close(ctx context.Context, q store.RestoreRequest, from, to, by, note string) (store.RestoreRequest, error) {
	err := r.o.Store.MoveRestoreRequest(ctx, q.ID, from, store.RestoreMove{To: to, By: by, Note: strings.TrimSpace(note)})
	if errors.Is(err, store.ErrNotFound) { // another step won
		return q, badState("restore request %s changed meanwhile: %v", q.ID, err)
	}
	if err != nil {
		return q, err
	}
	return r.o.Store.RestoreRequestByID(ctx, q.ID)
}

// ExpireGrants ends the grants of the restores whose time is up: the
// requester no longer lists or reads the restored folder (which stays,
// for admins, until they remove it), and the request is marked expired,
// with an audit row. It returns the requests it expired.
func (r *Runner) ExpireGrants(ctx context.Context) ([]store.RestoreRequest, error) {
	qs, err := r.o.Store.RestoreRequests(ctx)
	if err != nil {
		return nil, err
	}
	now := r.o.Now()
	var expired []store.RestoreRequest
	var errs []error
	for _, q := range qs {
		if q.Status != store.RestoreDone || q.ExpiresAt.IsZero() || now.Before(q.ExpiresAt) {
			continue
		}
		err := r.expire(ctx, q)
		if err != nil {
			errs = append(errs, fmt.Errorf("expire restore %s: %w", q.ID, err))
			continue
		}
		expired = append(expired, q)
	}
	return expired, errors.Join(errs...)
}

func (r *Runner) expire(ctx context.Context, q store.RestoreRequest) (err error) {
	defer func() { r.auditRestore(ctx, "backup.restore.expire", q, q.Requester, err) }()
	if r.o.Rules != nil && !strings.HasPrefix(q.Requester, Operator) {
		if err := r.o.Rules.RevokeTree(ctx, q.Requester, RestoreDir(q.ID)); err != nil {
			return err
		}
	}
	note := "the grant expired on " + q.ExpiresAt.UTC().Format(time.RFC3339)
	err = r.o.Store.MoveRestoreRequest(ctx, q.ID, store.RestoreDone, store.RestoreMove{To: store.RestoreExpired, By: "custodia", Note: note})
	if errors.Is(err, store.ErrNotFound) {
		return nil // another process expired it
	}
	return err
}

// SweepGrants expires grants (ExpireGrants) now and then until ctx ends:
// every half of the grant's lifetime, at least every minute and at most
// every second. Errors go to report and are retried at the next sweep.
func (r *Runner) SweepGrants(ctx context.Context, report func(error)) {
	every := min(max(r.o.GrantTTL/2, time.Second), time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := r.ExpireGrants(ctx); err != nil && ctx.Err() == nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
