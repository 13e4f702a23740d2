package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestDAVLockConflicts: a lock conflicts with one on the same path, with
// a depth-infinity one above it, and (when it is depth-infinity itself)
// with any below it; expired locks and unlocked ones do not count; a
// user's live locks are bounded.
func TestDAVLockConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachDB(t, func(t *testing.T, s *Store) {
		now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		take := func(root string, zero bool, user string) (DAVLock, error) {
			return s.CreateDAVLock(ctx, DAVLock{Root: root, VRoot: root, User: user, ZeroDepth: zero}, now, time.Minute, 3)
		}
		folder, err := take("/departments/ops/a", false, "ana") // depth infinity
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			root string
			zero bool
			want bool // conflicts
		}{
			{"/departments/ops/a", true, true},
			{"/departments/ops/a/x.docx", true, true},
			{"/departments/ops/a/b/y.docx", true, true},
			{"/departments/ops/ab", true, false}, // a sibling sharing a prefix
			{"/departments/ops", true, false},    // the folder itself, depth 0
			{"/departments/ops", false, true},    // depth infinity above the lock
			{"/", false, true},
			{"/departments/ops/b", false, false},
		} {
			got, err := s.DAVLockConflicts(ctx, c.root, c.zero, now)
			if err != nil || got != c.want {
				t.Errorf("a lock on %s (zero depth %v) beside ana's depth-infinity lock on %s: conflicts %v %v, want %v",
					c.root, c.zero, folder.Root, got, err, c.want)
			}
		}
		if _, err := take("/departments/ops/a/x.docx", true, "luis"); !errors.Is(err, ErrDAVLocked) {
			t.Fatalf("luis locked a file below ana's depth-infinity lock: %v", err)
		}
		if _, err := s.RefreshDAVLock(ctx, folder.Token, "luis", now, time.Hour); !errors.Is(err, ErrNotFound) {
			t.Errorf("luis refreshed ana's lock: %v", err)
		}
		if l, err := s.RefreshDAVLock(ctx, folder.Token, "ana", now.Add(30*time.Second), time.Minute); err != nil || !l.Expires.Equal(now.Add(90*time.Second)) {
			t.Errorf("ana's refresh: %+v %v", l, err)
		}
		if _, err := s.DAVLockByToken(ctx, folder.Token, now.Add(91*time.Second)); !errors.Is(err, ErrNotFound) {
			t.Errorf("an expired lock is still found: %v", err)
		}
		if got, err := s.DAVLockConflicts(ctx, "/departments/ops/a", true, now.Add(91*time.Second)); err != nil || got {
			t.Errorf("an expired lock still conflicts: %v %v", got, err)
		}
		for i, root := range []string{"/c/1", "/c/2"} {
			if _, err := take(root, true, "ana"); err != nil {
				t.Fatalf("ana's lock %d: %v", i+2, err)
			}
		}
		if _, err := take("/c/3", true, "ana"); !errors.Is(err, ErrDAVLocked) {
			t.Errorf("ana's fourth lock, over the limit of 3: %v", err)
		}
		if err := s.DeleteDAVLock(ctx, folder.Token); err != nil {
			t.Fatal(err)
		}
		if l, err := take("/c/3", true, "ana"); err != nil || l.Token == folder.Token {
			t.Errorf("ana's lock once she unlocked one: %+v %v", l, err)
		}
	})
}

// TestDAVLockConflictsBelowAccentedFolder: a lock on a file inside a
// folder whose name is not ASCII (Año: more bytes than characters) is
// seen by a depth-infinity lock or change of the folder.
func TestDAVLockConflictsBelowAccentedFolder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachDB(t, func(t *testing.T, s *Store) {
		now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		if _, err := s.CreateDAVLock(ctx, DAVLock{Root: "/departments/ops/Año/x.docx", VRoot: "/ops/Año/x.docx", User: "ana", ZeroDepth: true},
			now, time.Minute, 3); err != nil {
			t.Fatal(err)
		}
		if got, err := s.DAVLockConflicts(ctx, "/departments/ops/Año", false, now); err != nil || !got {
			t.Errorf("a change of /departments/ops/Año beside ana's lock on a file in it: conflicts %v %v, want true", got, err)
		}
		if _, err := s.CreateDAVLock(ctx, DAVLock{Root: "/departments/ops/Año", VRoot: "/ops/Año", User: "bob"},
			now, time.Minute, 3); !errors.Is(err, ErrDAVLocked) {
			t.Errorf("bob took a depth-infinity lock over ana's locked file: %v", err)
		}
	})
}
