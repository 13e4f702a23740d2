package storage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// TestConcurrentNewUploadsOneWins: two correspondents of the same client
// upload the same new name into the dossier at once, from real goroutines.
// Exactly one upload is stored; the other is refused with ErrExists and
// does not replace it; the file holds the winner's bytes; the audit log
// records one completed upload with the winner's sha256 and one failed.
func TestConcurrentNewUploadsOneWins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	e.write(t, "dossiers/ACME/2026/.keep", "")
	names := []string{"ana", "beto"}
	views := []*storage.View{
		e.view(t, names[0], store.RoleCorrespondent, "ACME"),
		e.view(t, names[1], store.RoleCorrespondent, "ACME"),
	}
	for round := range 10 {
		vpath := fmt.Sprintf("/ACME/2026/pedimento-%d.pdf", round)
		content := []string{
			strings.Repeat(fmt.Sprintf("ana %d ", round), 2000),
			strings.Repeat(fmt.Sprintf("beto %d ", round), 2000),
		}
		ups := make([]*storage.Upload, 2)
		for i, v := range views {
			u, err := v.Create(ctx, vpath)
			if err != nil {
				t.Fatalf("correspondent %s cannot create %s: %v", names[i], vpath, err)
			}
			if _, err := u.Write([]byte(content[i])); err != nil {
				t.Fatal(err)
			}
			ups[i] = u
		}
		// Both uploads are open and written; close them at the same moment.
		errs := make([]error, 2)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range ups {
			wg.Go(func() {
				<-start
				errs[i] = ups[i].Close()
			})
		}
		close(start)
		wg.Wait()

		win, lose := 0, 1
		if errs[0] != nil {
			win, lose = 1, 0
		}
		if errs[win] != nil {
			t.Fatalf("round %d: neither upload of %s was stored: %v, %v", round, vpath, errs[0], errs[1])
		}
		if !errors.Is(errs[lose], storage.ErrExists) {
			t.Errorf("round %d: both %s and %s stored %s (the second: %v); the second must get ErrExists and not replace the first.",
				round, names[win], names[lose], vpath, errs[lose])
		}
		got, err := os.ReadFile(e.path("dossiers" + vpath))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != content[win] {
			t.Errorf("round %d: %s holds %.12q…, want the bytes of %s, whose upload was acknowledged.", round, vpath, got, names[win])
		}
		w, ok := e.lastAudit(t, names[win], "write", vpath)
		if !ok || w.Result != store.ResultOK || w.SHA256 != sha256Hex([]byte(content[win])) {
			t.Errorf("round %d: the winner %s's upload of %s is audited as %+v, want ok with its sha256.", round, names[win], vpath, w)
		}
		l, ok := e.lastAudit(t, names[lose], "write", vpath)
		if !ok || l.Result != store.ResultFailed || !strings.Contains(l.Reason, "already exists") || l.SHA256 != "" {
			t.Errorf("round %d: the loser %s's upload of %s is audited as %+v, want failed because the name already exists.", round, names[lose], vpath, l)
		}
	}
	if left := e.incoming(t); len(left) > 0 {
		t.Errorf("the refused uploads left %q in .incoming.", left)
	}
}
