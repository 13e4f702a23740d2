package store

import (
	"context"
	"testing"
)

// UploadAccounts reads, in its one statement, the user's quota and usage,
// the client account's (none outside client folders or for a folder with
// no account) and what the file at the path is charged, on both databases.
func TestUploadAccountsOnBothDatabases(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.CreateClient(ctx, "c1", "Client 1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, NewUser{Name: "Ana", Role: RoleStaff}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateUser(ctx, "ana", UserUpdate{Quota: &Limit{Bytes: 1000, Files: 5}}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetClientQuota(ctx, "c1", Limit{Bytes: 100, Files: 2}); err != nil {
			t.Fatal(err)
		}
		if err := s.Audit(ctx, AuditEntry{User: "ana", Protocol: "sftp", Action: "write", VPath: "/c1/x",
			SPath: "/clients/c1/x", Bytes: 7, Result: ResultOK}); err != nil {
			t.Fatal(err)
		}
		a, err := s.UploadAccounts(ctx, "ANA", "/clients/c1/x")
		if err != nil {
			t.Fatal(err)
		}
		if a.UserID == 0 || a.User != (Account{Name: "Ana", Quota: Limit{1000, 5}, Used: Usage{7, 1}}) {
			t.Errorf("user account %d %+v", a.UserID, a.User)
		}
		if a.Client != (Account{Name: "c1", Quota: Limit{100, 2}, Used: Usage{7, 1}}) {
			t.Errorf("client account %+v", a.Client)
		}
		if a.Existing == nil || *a.Existing != (Charge{UserID: a.UserID, Client: "c1", Bytes: 7}) {
			t.Errorf("existing charge %+v", a.Existing)
		}
		for _, spath := range []string{"/clients/c1/new", "/clients/nobody/x", "/departments/ops/x"} {
			a, err := s.UploadAccounts(ctx, "ana", spath)
			if err != nil {
				t.Fatal(err)
			}
			if a.Existing != nil {
				t.Errorf("%s: existing charge %+v, want none", spath, a.Existing)
			}
			if want := spath == "/clients/c1/new"; (a.Client.Name != "") != want {
				t.Errorf("%s: client account %+v", spath, a.Client)
			}
		}
		if _, err := s.UploadAccounts(ctx, "nobody", "/departments/ops/x"); err == nil {
			t.Error("an unknown user has accounts")
		}
	})
}
