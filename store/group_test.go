package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestConcurrentUploadCommitsShareOneTransaction: the audit commits of
// uploads that arrive while another commits run together, in one
// transaction; each caller gets its own audit row, answered once it is
// committed (another connection reads it), and one that fails (its note
// was already settled) fails alone, writing nothing, without failing the
// others.
func TestConcurrentUploadCommitsShareOneTransaction(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const n = 6
		ids := make([]int64, n)
		for i := range ids {
			id, err := s.BeginUpload(ctx, upload("juan", fmt.Sprintf("/ACME/%d.pdf", i)))
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = id
		}
		if _, err := s.CommitUpload(ctx, ids[n-1], upload("juan", fmt.Sprintf("/ACME/%d.pdf", n-1))); err != nil {
			t.Fatal(err)
		}
		commits := s.group.commits

		// Hold the group as if a commit were under way (once the last one
		// is done), so that all the callers queue behind it; then let it run.
		for {
			s.group.mu.Lock()
			if !s.group.running {
				s.group.running = true
				s.group.mu.Unlock()
				break
			}
			s.group.mu.Unlock()
			time.Sleep(time.Millisecond)
		}
		type result struct {
			row int64
			err error
		}
		results := make([]chan result, n)
		for i := range results {
			results[i] = make(chan result, 1)
			go func() {
				row, err := s.CommitUpload(ctx, ids[i], upload("juan", fmt.Sprintf("/ACME/%d.pdf", i)))
				results[i] <- result{row, err}
			}()
		}
		for deadline := time.Now().Add(10 * time.Second); ; {
			s.group.mu.Lock()
			queued := len(s.group.queue)
			s.group.mu.Unlock()
			if queued == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d commits queued", queued, n)
			}
			time.Sleep(time.Millisecond)
		}
		go s.runGroups()

		rows := map[int64]bool{}
		for i, r := range results {
			got := <-r
			if i == n-1 {
				if !errors.Is(got.err, ErrNotFound) {
					t.Errorf("committing an upload already settled: %v, want ErrNotFound", got.err)
				}
				continue
			}
			if got.err != nil {
				t.Fatalf("commit %d: %v", i, got.err)
			}
			if rows[got.row] {
				t.Errorf("commit %d got audit row %d, already another's", i, got.row)
			}
			rows[got.row] = true
			a, err := s.QueryAudit(ctx, AuditQuery{IDs: []int64{got.row}})
			if err != nil || len(a) != 1 || a[0].VPath != fmt.Sprintf("/ACME/%d.pdf", i) {
				t.Errorf("audit row %d of commit %d reads %+v (%v)", got.row, i, a, err)
			}
		}
		if c := s.group.commits - commits; c != 1 {
			t.Errorf("%d queued commits took %d transactions, want 1", n, c)
		}
		if p, err := s.PendingUploads(ctx); err != nil || len(p) != 0 {
			t.Errorf("after the commits %d uploads are pending (%v), want none", len(p), err)
		}
		evs, err := s.EventsAfter(ctx, 0, 100)
		if err != nil || len(evs) != n {
			t.Errorf("the outbox holds %d events (%v), want one per committed upload (%d)", len(evs), err, n)
		}
	})
}
