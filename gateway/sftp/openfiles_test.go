package sftp_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
)

// TestSFTPOpenFilesBounded: one session holds at most
// max_open_files_per_session handles and one user's sessions together at
// most max_open_files_per_user; an open over either fails with
// SSH_FX_FAILURE "too many open files" (the session goes on), and a
// closed handle gives its slot back. Downloads count as uploads do.
func TestSFTPOpenFilesBounded(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_LIMITS_MAX_OPEN_FILES_PER_SESSION=4", "CUSTODIA_LIMITS_MAX_OPEN_FILES_PER_USER=6")
	tg.Fixture()
	one, two := tg.SFTP("ana"), tg.SFTP("ana")
	tooMany := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: opened, want too many open files", what)
		}
		if se, ok := err.(*gosftp.StatusError); !ok || se.FxCode() != gosftp.ErrSSHFxFailure || !strings.Contains(err.Error(), "too many open files") {
			t.Fatalf("%s: %v, want SSH_FX_FAILURE too many open files", what, err)
		}
	}
	var files []*gosftp.File
	for i := range 3 {
		f, err := one.Create(fmt.Sprintf("/operaciones/up%d.txt", i))
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		files = append(files, f)
	}
	r, err := one.Open("/operaciones/reporte.xlsx")
	if err != nil {
		t.Fatalf("download beside three uploads: %v", err)
	}
	_, err = one.Create("/operaciones/fifth.txt")
	tooMany("a fifth file in one session", err)
	_, err = one.Open("/operaciones/reporte.xlsx")
	tooMany("a fifth file (a download) in one session", err)
	if _, err := one.ReadDir("/operaciones"); err != nil {
		t.Fatalf("the session does not go on after a refused open: %v", err)
	}
	for i := range 2 {
		f, err := two.Create(fmt.Sprintf("/operaciones/two%d.txt", i))
		if err != nil {
			t.Fatalf("file %d of the user's second session: %v", i+5, err)
		}
		defer f.Close()
	}
	_, err = two.Create("/operaciones/seventh.txt")
	tooMany("a seventh file of the user", err)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := two.Create("/operaciones/seventh.txt")
	if err != nil {
		t.Fatalf("an open after a close gave a slot back: %v", err)
	}
	f.Write([]byte("seven"))
	if err := f.Close(); err != nil {
		t.Fatalf("closing the upload: %v", err)
	}
	for _, f := range files {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(tg.DataDir + "/files/departments/operaciones/seventh.txt"); err != nil {
		t.Errorf("the upload opened in a freed slot is not in place: %v", err)
	}
}
