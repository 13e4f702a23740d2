package store

import (
	"context"
	"strings"
	"testing"
)

// upload is an audit row that is an event (upload.completed).
func upload(user, vpath string) AuditEntry {
	return AuditEntry{Session: "s1", User: user, Role: RoleCorrespondent, Protocol: "sftp", Remote: "192.0.2.1:1",
		Action: "write", VPath: vpath, SPath: "/dossiers" + vpath, Bytes: 3, SHA256: strings.Repeat("a", 64), Result: ResultOK}
}

// TestAuditAndOutboxShareATransaction: when the outbox insert fails (a
// trigger in the test's own database refuses it), the audit row it
// announces must not remain either; a row that is no event is unaffected.
func TestAuditAndOutboxShareATransaction(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		execDDL(t, s, `CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox
		BEGIN SELECT RAISE(ABORT, 'injected outbox failure'); END;`)
		err := s.Audit(ctx, upload("juan", "/ACME/factura.pdf"))
		if err == nil || !strings.Contains(err.Error(), "injected outbox failure") {
			t.Errorf("Audit of an upload whose outbox event could not be written returned %v, want the outbox error.", err)
		}
		rows, err := s.QueryAudit(ctx, AuditQuery{User: "juan"})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 0 {
			t.Errorf("the outbox insert failed but the audit row stayed: %+v. A change must not be audited without being announced.", rows[0])
		}
		var n int
		if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM outbox`); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("the outbox holds %d events after a refused insert.", n)
		}

		list := AuditEntry{User: "juan", Action: "list", VPath: "/ACME", Result: ResultOK}
		if err := s.Audit(ctx, list); err != nil {
			t.Errorf("a listing, which is no event, could not be audited while the outbox refuses inserts: %v", err)
		}
	})
}

// TestOutboxAppendsInOrder: events come back in the order they were
// audited, with their audit rows; rows that are no events stay out; limit
// and the seq cursor page through them.
func TestOutboxAppendsInOrder(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		entries := []AuditEntry{
			{User: "juan", Protocol: "ftp", Action: "login", Result: ResultOK, Reason: "password"},
			upload("juan", "/ACME/a.pdf"),
			{User: "juan", Action: "list", VPath: "/ACME", Result: ResultOK}, // no event
			{User: "juan", Action: "delete", VPath: "/ACME/a.pdf", Result: ResultDenied, Reason: "no rule allows it"},
			{User: "juan", Action: "rename", VPath: "/ACME/b.pdf", Target: "/ACME/c.pdf", Result: ResultOK},
			{User: "juan", Action: "mkdir", VPath: "/ACME/2026", Result: ResultOK},
		}
		for _, e := range entries {
			if err := s.Audit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		want := []struct{ typ, vpath string }{
			{EventLoginSucceeded, ""},
			{EventUploadCompleted, "/ACME/a.pdf"},
			{EventDenied, "/ACME/a.pdf"},
			{EventRename, "/ACME/b.pdf"},
			{EventMkdir, "/ACME/2026"},
		}
		all, err := s.EventsAfter(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(want) {
			t.Fatalf("the outbox holds %d events, want %d (the listing is no event): %+v", len(all), len(want), all)
		}
		ids := map[string]bool{}
		for i, ev := range all {
			if ev.Type != want[i].typ || ev.VPath != want[i].vpath {
				t.Errorf("event %d is %s %q, want %s %q.", i+1, ev.Type, ev.VPath, want[i].typ, want[i].vpath)
			}
			if i > 0 && ev.Seq <= all[i-1].Seq {
				t.Errorf("event %d has seq %d after %d: the outbox is out of order.", i+1, ev.Seq, all[i-1].Seq)
			}
			if ev.ID == "" || ids[ev.ID] {
				t.Errorf("event %d has id %q, want a unique one.", i+1, ev.ID)
			}
			ids[ev.ID] = true
		}
		if up := all[1]; up.SHA256 != strings.Repeat("a", 64) || up.Bytes != 3 || up.User != "juan" {
			t.Errorf("the upload event carries %+v, want its audit row (juan, 3 bytes, its sha256).", up.AuditEntry)
		}
		if rn := all[3]; rn.Target != "/ACME/c.pdf" {
			t.Errorf("the rename event names the target %q, want /ACME/c.pdf.", rn.Target)
		}

		page, err := s.EventsAfter(ctx, 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 2 || page[1].Seq != all[1].Seq {
			t.Errorf("the first page of two holds %+v, want the first two events.", page)
		}
		rest, err := s.EventsAfter(ctx, page[len(page)-1].Seq, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(rest) != 3 || rest[0].Seq != all[2].Seq {
			t.Errorf("the events after seq %d are %+v, want the last three.", page[1].Seq, rest)
		}
	})
}

// TestHookCursorMoves: a new hook starts after the events that exist (no
// replay of history), failures are counted until a delivery moves it on.
func TestHookCursorMoves(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.Audit(ctx, upload("juan", "/ACME/old.pdf")); err != nil {
			t.Fatal(err)
		}
		c, err := s.HookCursor(ctx, "notify")
		if err != nil {
			t.Fatal(err)
		}
		old, err := s.EventsAfter(ctx, 0, 10)
		if err != nil || len(old) != 1 {
			t.Fatalf("the outbox holds %+v, %v; want the one upload", old, err)
		}
		if c.LastID != old[0].Seq {
			t.Errorf("a new hook starts at %d, want after the existing event %d: adding a hook must not replay history.", c.LastID, old[0].Seq)
		}
		if err := s.Audit(ctx, upload("juan", "/ACME/new.pdf")); err != nil {
			t.Fatal(err)
		}
		next, err := s.EventsAfter(ctx, c.LastID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(next) != 1 || next[0].VPath != "/ACME/new.pdf" {
			t.Fatalf("after the hook's cursor come %+v, want only the new upload.", next)
		}
		for range 2 {
			if err := s.HookFailed(ctx, "notify", next[0].Seq, "exit status 1"); err != nil {
				t.Fatal(err)
			}
		}
		if c, err = s.HookCursor(ctx, "notify"); err != nil {
			t.Fatal(err)
		}
		if c.Attempts != 2 || c.Failures != 2 || c.LastError != "exit status 1" || c.LastID != old[0].Seq {
			t.Errorf("after two failures the cursor is %+v, want 2 attempts, 2 failures, the error, and not moved.", c)
		}
		if err := s.HookDelivered(ctx, "notify", next[0].Seq); err != nil {
			t.Fatal(err)
		}
		if c, err = s.HookCursor(ctx, "notify"); err != nil {
			t.Fatal(err)
		}
		if c.LastID != next[0].Seq || c.Attempts != 0 || c.LastError != "" || c.Failures != 2 {
			t.Errorf("after delivery the cursor is %+v, want at %d with attempts and error cleared, failures kept.", c, next[0].Seq)
		}
		if more, _ := s.EventsAfter(ctx, c.LastID, 10); len(more) != 0 {
			t.Errorf("after the delivered event the outbox still offers %+v.", more)
		}
		cs, err := s.HookCursors(ctx)
		if err != nil || len(cs) != 1 || cs[0].Hook != "notify" {
			t.Errorf("HookCursors lists %+v, %v; want the one hook notify.", cs, err)
		}
	})
}
