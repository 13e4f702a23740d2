package store

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

// The store's queries mean the same on both databases: prefixes with
// the characters LIKE would treat as wildcards, text ordered bytewise
// (the C collation), charges that follow a rename, counts and sums.
func TestQueriesMeanTheSameOnBothDatabases(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		must := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		for _, id := range []string{"b_1", "B%2", "a"} {
			_, err := s.CreateClient(ctx, id, "client "+id)
			must("create client "+id, err)
		}
		cs, err := s.ListClients(ctx)
		must("list clients", err)
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		if len(ids) != 3 || ids[0] != "B%2" || ids[1] != "a" || ids[2] != "b_1" {
			t.Errorf("clients are listed as %v, want bytewise order [B%%2 a b_1]", ids)
		}
		_, err = s.CreateUser(ctx, NewUser{Name: "Ana", Role: RoleCorrespondent, Clients: []string{"b_1"}})
		must("create user", err)
		cidrs := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
		exp := new(time.Time)
		*exp = time.Now().Add(time.Hour)
		_, err = s.UpdateUser(ctx, "ana", UserUpdate{AllowedCIDRs: &cidrs, ExpiresAt: &exp, Quota: &Limit{Bytes: 1000, Files: 5}})
		must("update user", err)
		must("add key", s.AddKey(ctx, "ana", NewKey{Fingerprint: "SHA256:x", PublicKey: "ssh-ed25519 AAAA", Comment: "c"}))
		must("touch login", s.TouchLogin(ctx, "ANA"))
		must("client quota", s.SetClientQuota(ctx, "b_1", Limit{Bytes: 10}))
		must("contacts", s.SetClientContacts(ctx, "b_1", []string{"x@example.com"}))

		for _, e := range []AuditEntry{
			{User: "ana", Protocol: "sftp", Action: "write", VPath: "/b_1/x.pdf", SPath: "/dossiers/b_1/x.pdf", Bytes: 7, Result: ResultOK},
			{User: "ana", Protocol: "sftp", Action: "write", VPath: "/b_1/sub/y.pdf", SPath: "/dossiers/b_1/sub/y.pdf", Bytes: 3, Result: ResultOK},
			{User: "ana", Protocol: "sftp", Action: "write", VPath: "/bX1/z.pdf", SPath: "/dossiers/bX1/z.pdf", Bytes: 1, Result: ResultOK},
		} {
			must("audit "+e.VPath, s.Audit(ctx, e))
		}
		rows, err := s.QueryAudit(ctx, AuditQuery{Client: "b_1", Since: time.Now().Add(-time.Hour), Uploads: true})
		must("query by client", err)
		if len(rows) != 2 {
			t.Errorf("client b_1 has %d audit rows, want 2 (not bX1's: _ is no wildcard)", len(rows))
		}
		rows, err = s.QueryAudit(ctx, AuditQuery{PathPrefix: "/dossiers/b_1/sub/", User: "ANA", Before: 1 << 40, Limit: 10})
		must("query by prefix", err)
		if len(rows) != 1 || rows[0].Bytes != 3 {
			t.Errorf("rows under /dossiers/b_1/sub: %+v, want y.pdf's", rows)
		}
		if len(rows) == 1 {
			got, err := s.QueryAudit(ctx, AuditQuery{IDs: []int64{rows[0].ID}})
			must("query by id", err)
			if len(got) != 1 {
				t.Errorf("query by id: %d rows, want 1", len(got))
			}
		}
		ch, err := s.ChargesUnder(ctx, "/dossiers/b_1")
		must("charges under", err)
		_ = ch
		info, err := s.Info(ctx, mustUser(t, s, "ana"))
		must("user info", err)
		_ = info
		n, err := s.CountUsers(ctx)
		must("count users", err)
		if n != 1 {
			t.Errorf("CountUsers = %d, want 1", n)
		}
		_, err = s.LastBackups(ctx)
		must("last backups with no good status", err)
		_, err = s.LastBackups(ctx, BackupOK)
		must("last backups", err)
		_, err = s.RecentBackups(ctx, "database", BackupOK, 5)
		must("recent backups", err)
		_, err = s.DeadLetterCounts(ctx)
		must("dead letter counts", err)
		_, err = s.PendingPublications(ctx)
		must("pending publications", err)
		_, err = s.ListTokens(ctx, TokenKind("api_key"))
		must("list tokens", err)
		must("revoke tokens of", s.RevokeTokensOf(ctx, "Ana"))
		_, err = s.AuditHours(ctx, time.Now().Add(-time.Hour), "write")
		must("audit hours", err)
		_, err = s.ReconcileUsage(ctx, map[string]int64{"/dossiers/b_1/x.pdf": 7}, func(string) (int64, bool) { return 0, false })
		must("reconcile usage", err)
		must("delete user", s.DeleteUser(ctx, "ana"))
	})
}

func mustUser(t *testing.T, s *Store, name string) *User {
	t.Helper()
	u, err := s.UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
