package sftp_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// An open without truncate keeps the file's content (a resumed upload,
// OpenSSH's reput); it needs the right to overwrite.
func TestSFTPResumedUpload(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.Put("departments/operaciones/parcial.docx", "first half|")
	c := tg.SFTP("ana")
	f, err := c.OpenFile("/operaciones/parcial.docx", os.O_WRONLY)
	if err != nil {
		t.Fatalf("open for resume: %v", err)
	}
	if _, err := f.WriteAt([]byte("second half"), 11); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/parcial.docx"))
	if string(got) != "first half|second half" {
		t.Errorf("after the resumed upload the file is %q", got)
	}
	j := tg.SFTP("juan")
	if _, err := j.OpenFile("/ACME/2026/pedimento.pdf", os.O_WRONLY); testkit.SFTPOutcome(err) != "denied" {
		t.Errorf("a correspondent's resume of an existing file: %v, want denied", err)
	}
	if _, err := j.OpenFile("/ACME/2026/x.pdf", os.O_WRONLY|os.O_APPEND|os.O_CREATE); err == nil {
		t.Error("append mode was accepted")
	}
}
