package storage_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// heldScanner stands where clamd does and finds every file clean, but
// holds the first scan until release is closed, so that a test can finish
// another upload while that scan runs.
type heldScanner struct {
	first   chan struct{} // closed when the first scan starts
	release chan struct{}
}

func (s *heldScanner) Scan(ctx context.Context, r io.Reader) (string, error) {
	select {
	case <-s.first:
	default:
		close(s.first)
		<-s.release
	}
	_, err := io.Copy(io.Discard, r)
	return "", err
}

// TestQuotaRecheckedAfterTheScan: the last quota check of an upload runs
// after its antivirus scan, not before, so an upload of the same account
// that completes while the scan runs is counted: of two uploads of 60
// bytes against a client quota of 100, the one whose scan was held is
// refused with ErrQuota and the account is charged once.
func TestQuotaRecheckedAfterTheScan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	top := t.TempDir()
	d := openDataDir(t, filepath.Join(top, "custodia.db"), filepath.Join(top, "files"))
	if _, err := d.st.CreateClient(ctx, "ACME", "ACME S.A."); err != nil {
		t.Fatal(err)
	}
	if err := d.st.SetClientQuota(ctx, "ACME", store.Limit{Bytes: 100}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(d.files, "dossiers", "ACME", ".keep"), "")
	d.tree.SetLimits(storage.Limits{Accounts: d.st})
	sc := &heldScanner{first: make(chan struct{}), release: make(chan struct{})}
	if err := d.tree.SetAntivirus(storage.Antivirus{Scanner: sc, Quarantine: filepath.Join(top, "quarantine")}); err != nil {
		t.Fatal(err)
	}
	v := d.view(t, addUser(t, d.st, "root", store.RoleAdmin))
	put := func(name string) (*storage.Upload, error) {
		u, err := v.Create(ctx, "/dossiers/ACME/"+name)
		if err != nil {
			return nil, err
		}
		_, err = u.Write([]byte("%PDF-1.4 " + string(make([]byte, 51))))
		return u, err
	}
	held, err := put("held.pdf")
	if err != nil {
		t.Fatal(err)
	}
	heldDone := make(chan error, 1)
	go func() { heldDone <- held.Close() }()
	<-sc.first
	other, err := put("other.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Close(); err != nil {
		t.Fatalf("the upload that completed during the other's scan: %v", err)
	}
	close(sc.release)
	if err := <-heldDone; !errors.Is(err, storage.ErrQuota) {
		t.Errorf("the upload whose scan outlasted another upload's completion: %v, want ErrQuota", err)
	}
	c, err := d.st.ClientByID(ctx, "ACME")
	if err != nil {
		t.Fatal(err)
	}
	if c.Used != (store.Usage{Bytes: 60, Files: 1}) {
		t.Errorf("ACME's usage: %+v, want one upload of 60 bytes", c.Used)
	}
}
