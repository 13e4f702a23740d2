package account_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/oaq/custodia/account"
	"github.com/oaq/custodia/store"
)

// kicks records the live sessions a change ends.
type kicks []string

func (k *kicks) KickUser(name string) int { *k = append(*k, name); return 1 }

func newService(t *testing.T) (*account.Service, *kicks) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "custodia.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	k := &kicks{}
	return &account.Service{Store: st, Sessions: k}, k
}

// Each change writes one audit row naming the actor and the account; a
// reset, a disable and a delete revoke the user's tokens and end its
// sessions; enabling revives no token; a change that fails writes no row.
func TestChangesAreAuditedAndEndCredentials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, k := newService(t)
	st := svc.Store
	root := account.Actor{Name: "os:root", Protocol: "cli"}
	if _, err := svc.CreateUser(ctx, root, store.NewUser{Name: "sys2", Role: store.RoleAdmin, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	token := func() int64 {
		tk, err := st.CreateToken(ctx, store.NewToken{Kind: store.TokenAPIKey, Name: "n", User: "sys2",
			Scope: store.ScopeAdmin, Hash: fmt.Sprintf("hash-%d", len(*k))})
		if err != nil {
			t.Fatal(err)
		}
		return tk.ID
	}
	revoked := func(id int64) bool {
		tk, err := st.TokenByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return tk.RevokedAt != nil
	}

	first := token()
	if _, err := svc.SetStatus(ctx, root, "sys2", store.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if !revoked(first) {
		t.Error("a disable left the user's API key valid")
	}
	if _, err := svc.SetStatus(ctx, root, "sys2", store.StatusActive); err != nil {
		t.Fatal(err)
	}
	if !revoked(first) {
		t.Error("enabling the user revived its old API key")
	}
	second := token()
	if _, err := svc.SetPassword(ctx, root, "sys2", "y", true); err != nil {
		t.Fatal(err)
	}
	if !revoked(second) {
		t.Error("a password reset left the user's API key valid")
	}
	third := token()
	if _, err := svc.Delete(ctx, root, "sys2", nil); err != nil {
		t.Fatal(err)
	}
	if !revoked(third) {
		t.Error("a delete left the user's API key valid")
	}
	if got := len(*k); got != 3 {
		t.Errorf("live sessions were ended %d times (%v), want 3: disable, reset, delete", got, *k)
	}
	if _, err := svc.SetStatus(ctx, root, "nobody", store.StatusDisabled); err == nil {
		t.Error("disabling an unknown user succeeded")
	}

	rows, err := st.QueryAudit(ctx, store.AuditQuery{User: "os:root"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range rows {
		if r.Protocol != "cli" || r.VPath != "/api/v1/users/sys2" || r.Result != store.ResultOK {
			t.Errorf("audit row %+v does not name the cli, sys2 and ok", r)
		}
		actions = append(actions, r.Action)
	}
	want := []string{"admin.user.create", "admin.user.update", "admin.user.update", "admin.user.password", "admin.user.delete"}
	if len(actions) != len(want) {
		t.Fatalf("audit actions %v, want %v (and none for the failed change)", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Errorf("audit actions %v, want %v", actions, want)
			break
		}
	}
}
