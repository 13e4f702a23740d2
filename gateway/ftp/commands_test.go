package ftp_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

func TestFTPCommandsUsersExpect(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	content := strings.Repeat("0123456789", 1000)
	tg.Put("departments/operaciones/datos.csv", content)
	c := tg.FTP("ana")

	if n, err := c.FileSize("/operaciones/datos.csv"); err != nil || n != int64(len(content)) {
		t.Errorf("SIZE: got %d, %v; want %d", n, err, len(content))
	}
	if _, err := c.GetTime("/operaciones/datos.csv"); err != nil {
		t.Errorf("MDTM: %v", err)
	}
	when := time.Date(2025, 6, 1, 8, 30, 0, 0, time.UTC)
	if err := c.SetTime("/operaciones/datos.csv", when); err != nil {
		t.Errorf("MFMT: %v", err)
	} else if fi, _ := os.Stat(filepath.Join(tg.DataDir, "files/departments/operaciones/datos.csv")); !fi.ModTime().Equal(when) {
		t.Errorf("MFMT set %v, want %v", fi.ModTime(), when)
	}
	if e, err := c.GetEntry("/operaciones/datos.csv"); err != nil || e.Size != uint64(len(content)) {
		t.Errorf("MLST: %+v, %v", e, err)
	}

	// REST+RETR resumes a download.
	resp, err := c.RetrFrom("/operaciones/datos.csv", 9995)
	if err != nil {
		t.Fatalf("REST+RETR: %v", err)
	}
	tail, _ := io.ReadAll(resp)
	resp.Close()
	if string(tail) != content[9995:] {
		t.Errorf("REST 9995 + RETR gave %q, want %q", tail, content[9995:])
	}

	// APPE adds to a file the user may overwrite, atomically.
	if err := c.Append("/operaciones/datos.csv", strings.NewReader("+more")); err != nil {
		t.Fatalf("APPE: %v", err)
	}
	got, _ := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/datos.csv"))
	if string(got) != content+"+more" {
		t.Errorf("after APPE the file has %d bytes ending %q", len(got), got[max(0, len(got)-10):])
	}
	// REST+STOR resumes an upload: the head up to the offset is kept.
	if err := c.StorFrom("/operaciones/datos.csv", strings.NewReader("RESUMED"), 10); err != nil {
		t.Fatalf("REST+STOR: %v", err)
	}
	got, _ = os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/datos.csv"))
	if string(got) != content[:10]+"RESUMED" {
		t.Errorf("after REST 10 + STOR the file is %q", got)
	}
	sum := sha256.Sum256(got)
	if out := tg.AuditLog("ana", 100); !strings.Contains(out, hex.EncodeToString(sum[:])) {
		t.Errorf("the resumed upload's sha256 is not audited:\n%s", out)
	}

	// XSHA256 and HASH report the file's digest.
	r := tg.RawFTPConn(tg.FTPAddr, false)
	r.Login("ana")
	if msg := r.Expect(250, "XSHA256 /operaciones/datos.csv"); !strings.Contains(msg, hex.EncodeToString(sum[:])) {
		t.Errorf("XSHA256 answered %q", msg)
	}
	r.Expect(200, "OPTS HASH SHA-256")
	if msg := r.Expect(213, "HASH /operaciones/datos.csv"); !strings.Contains(msg, hex.EncodeToString(sum[:])) {
		t.Errorf("HASH answered %q", msg)
	}
	if code, _ := r.Cmd("XMD5 /operaciones/datos.csv"); code < 500 {
		t.Errorf("XMD5 answered %d; weak digests are not offered", code)
	}
	r.Expect(200, "OPTS UTF8 ON")
}

func TestFTPAppendNeedsOverwrite(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.FTP("juan")
	if got := testkit.FTPOutcome(c.Append("/ACME/2026/pedimento.pdf", strings.NewReader("more"))); got != "denied" {
		t.Errorf("a correspondent's APPE to an existing file: got %s, want denied", got)
	}
	if got := testkit.FTPOutcome(c.StorFrom("/ACME/2026/pedimento.pdf", strings.NewReader("more"), 4)); got != "denied" {
		t.Errorf("a correspondent's REST+STOR on an existing file: got %s, want denied", got)
	}
	if err := c.Append("/ACME/2026/nuevo-appe.pdf", strings.NewReader("%PDF-1.4 new")); err != nil {
		t.Errorf("a correspondent's APPE creating a new file: %v", err)
	}
	got, _ := os.ReadFile(filepath.Join(tg.DataDir, "files/dossiers/ACME/2026/pedimento.pdf"))
	if string(got) != "%PDF-1.4 pedimento" {
		t.Errorf("the refused APPE changed the file: %q", got)
	}
}
