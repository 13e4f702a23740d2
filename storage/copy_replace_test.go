package storage_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// TestReplacingCopyNeedsEveryDelete: a folder copy that replaces an
// existing folder removes what it held, so it is refused, before anything
// is staged, unless the user could delete each entry one by one: a file
// the user may not see refuses it as the folder's delete would
// (ErrNotEmpty), a file the user may not delete as a denial.
func TestReplacingCopyNeedsEveryDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	rule := authz.Rule{Subject: "client", Object: "/clients/{client}/**", Actions: "mkdir|delete|write", Effect: authz.Allow}
	if err := e.rules.AddRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	deny := authz.Rule{Subject: "client", Object: "/clients/{client}/**/sellado.pdf", Actions: "delete", Effect: authz.Deny}
	if err := e.rules.AddRule(ctx, deny); err != nil {
		t.Fatal(err)
	}
	v := e.view(t, "acme", store.RoleClient, "ACME")
	for _, c := range []struct {
		file string
		want error
	}{
		{"notas.txt", storage.ErrNotEmpty}, // hidden from clients
		{"sellado.pdf", storage.ErrDenied},
	} {
		e.write(t, "clients/ACME/dst/keep.pdf", "%PDF keep")
		e.write(t, "clients/ACME/dst/"+c.file, "kept")
		if _, err := v.BeginCopy(ctx, "/ACME/dst", true); !errors.Is(err, c.want) {
			t.Errorf("a copy replacing a folder that holds %s: %v, want %v", c.file, err, c.want)
		}
		if err := os.Remove(e.path("clients/ACME/dst/" + c.file)); err != nil {
			t.Fatal(err)
		}
	}
	cp, err := v.BeginCopy(ctx, "/ACME/dst", true)
	if err != nil {
		t.Fatalf("a copy replacing a folder of files the user may delete: %v", err)
	}
	cp.Abort(ctx)
	if _, err := os.Stat(e.path("clients/ACME/dst/keep.pdf")); err != nil {
		t.Errorf("an aborted replacing copy touched the folder: %v", err)
	}
}
