package webdav_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// promptTimeout bounds a request that must not block on a FIFO.
const promptTimeout = 10 * time.Second

// incomingLeft lists what is left in files/.incoming.
func incomingLeft(t *testing.T, tg *testkit.Gateway) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(tg.DataDir, "files", ".incoming"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestWebDAVFolderCopyIsAllOrNothing: a COPY of a folder that is refused
// part way (a file type the destination refuses, after other files were
// copied) leaves nothing: no destination, nothing staged in .incoming, no
// audit row of a completed write. The same copy without that file appears
// whole, with a row for each folder and file.
func TestWebDAVFolderCopyIsAllOrNothing(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.Put("departments/operaciones/src/a.docx", "a")
	tg.Put("departments/operaciones/src/sub/b.docx", "b")
	tg.Put("departments/operaciones/src/z.exe", "MZ planted on disk") // departments refuse to take it
	disk := func(p string) string { return filepath.Join(tg.DataDir, "files/departments/operaciones", p) }
	d := tg.DAV("ana")

	r := d.Do("COPY", "/operaciones/src", "", "Destination", d.URL("/operaciones/dst"))
	if r.Code != http.StatusForbidden {
		t.Errorf("COPY of a folder holding an .exe into a department: %d %q, want 403", r.Code, r.Body)
	}
	if _, err := os.Lstat(disk("dst")); !os.IsNotExist(err) {
		t.Errorf("the refused COPY left its destination on disk (lstat: %v)", err)
	}
	if left := incomingLeft(t, tg); len(left) > 0 {
		t.Errorf("the refused COPY left %q in .incoming", left)
	}
	for _, row := range tg.AuditRows("ana") {
		if strings.HasPrefix(row.Path, "/operaciones/dst") && row.Result == "ok" {
			t.Errorf("the refused COPY has an audit row of a change that took place: %+v", row)
		}
	}

	if err := os.Remove(disk("src/z.exe")); err != nil {
		t.Fatal(err)
	}
	r = d.Do("COPY", "/operaciones/src", "", "Destination", d.URL("/operaciones/dst"))
	if r.Code != http.StatusCreated {
		t.Fatalf("COPY of the folder: %d %q, want 201", r.Code, r.Body)
	}
	for p, want := range map[string]string{"dst/a.docx": "a", "dst/sub/b.docx": "b"} {
		if b, err := os.ReadFile(disk(p)); err != nil || string(b) != want {
			t.Errorf("the copy's %s: %q (%v), want %q", p, b, err, want)
		}
	}
	if left := incomingLeft(t, tg); len(left) > 0 {
		t.Errorf("the COPY left %q in .incoming", left)
	}
	rows := tg.AuditRows("ana")
	for _, want := range []struct{ action, path string }{
		{"mkdir", "/operaciones/dst"}, {"mkdir", "/operaciones/dst/sub"},
		{"write", "/operaciones/dst/a.docx"}, {"write", "/operaciones/dst/sub/b.docx"},
	} {
		if _, ok := testkit.FindAudit(rows, func(r testkit.AuditRow) bool {
			return r.Action == want.action && r.Path == want.path && r.Result == "ok"
		}); !ok {
			t.Errorf("no audit row for %s %s:\n%s", want.action, want.path, tg.AuditLog("ana", 100))
		}
	}
}

// TestWebDAVFIFOsNeverBlock: a FIFO planted on disk is not there for
// PROPFIND, PROPPATCH or a COPY of its folder, which answer at once; and
// a PUT whose folder is swapped for a FIFO while its body arrives is
// refused at once instead of waiting for ever for the FIFO's writer.
func TestWebDAVFIFOsNeverBlock(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	disk := func(p string) string { return filepath.Join(tg.DataDir, "files/departments/operaciones", p) }
	plant := func(name string) {
		t.Helper()
		if err := syscall.Mkfifo(name, 0o640); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { // let a stuck open end, so the gateway can stop
			for _, flag := range []int{os.O_WRONLY, os.O_RDONLY} {
				if f, err := os.OpenFile(name, flag|syscall.O_NONBLOCK, 0); err == nil {
					f.Close()
				}
			}
		})
	}
	tg.Put("departments/operaciones/src/a.docx", "a")
	plant(disk("src/pipe.docx"))
	d := tg.DAV("ana")
	d.HTTP.Timeout = promptTimeout

	for _, c := range []struct {
		method, path, body string
		hdr                []string
		want               int
	}{
		{"PROPFIND", "/operaciones/src/pipe.docx", testkit.AllProp, []string{"Depth", "0"}, 404},
		{"PROPPATCH", "/operaciones/src/pipe.docx", `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:x>1</D:x></D:prop></D:set></D:propertyupdate>`, nil, 404},
		{"GET", "/operaciones/src/pipe.docx", "", nil, 404},
		{"COPY", "/operaciones/src", "", []string{"Destination", d.URL("/operaciones/dst")}, 201},
	} {
		r, err := d.Try(c.method, c.path, c.body, c.hdr...)
		if err != nil || r.Code != c.want {
			t.Errorf("%s %s with a FIFO planted on disk: %d (%v), want %d at once", c.method, c.path, r.Code, err, c.want)
		}
	}
	if _, err := os.Lstat(disk("dst/pipe.docx")); !os.IsNotExist(err) {
		t.Errorf("the COPY made something of the FIFO (lstat: %v)", err)
	}

	// A PUT whose folder becomes a FIFO while the body is on its way.
	tg.Put("departments/operaciones/up/keep.docx", "k")
	pr, pw := io.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), promptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "PUT", d.URL("/operaciones/up/new.docx"), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("ana", testkit.Password)
	req.ContentLength = 8
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := d.HTTP.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp.Body.Close()
		done <- result{code: resp.StatusCode}
	}()
	if _, err := pw.Write([]byte("half")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, promptTimeout, "the upload to begin in .incoming", func() bool { return len(incomingLeft(t, tg)) > 0 })
	if err := os.Rename(disk("up"), disk("up.aside")); err != nil {
		t.Fatal(err)
	}
	plant(disk("up"))
	pw.Write([]byte("more"))
	pw.Close()
	res := <-done
	if res.err != nil || res.code < 400 {
		t.Errorf("PUT into a folder swapped for a FIFO: %d (%v), want a refusal within %v", res.code, res.err, promptTimeout)
	}
	testkit.WaitFor(t, promptTimeout, ".incoming to be empty", func() bool { return len(incomingLeft(t, tg)) == 0 })
}

// TestWebDAVFolderCopyOverwriteIsAllOrNothing: a COPY of a folder with
// Overwrite: T onto an existing folder or file replaces it whole or not
// at all. Refused part way (a file type the destination refuses, or the
// quota), it leaves the destination as it was; accepted, the destination
// is the copy alone, the replaced files have delete rows and their
// charges are freed.
func TestWebDAVFolderCopyOverwriteIsAllOrNothing(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		refuse func(*testing.T, *testkit.Gateway) // makes the copy refused; undo makes it pass
		undo   func(*testing.T, *testkit.Gateway)
		status int
	}{
		{"refused file", func(t *testing.T, tg *testkit.Gateway) {
			tg.Put("departments/operaciones/src/z.exe", "MZ planted on disk")
		}, func(t *testing.T, tg *testkit.Gateway) {
			if err := os.Remove(filepath.Join(tg.DataDir, "files/departments/operaciones/src/z.exe")); err != nil {
				t.Fatal(err)
			}
		}, http.StatusForbidden},
		{"quota", func(t *testing.T, tg *testkit.Gateway) {
			setQuota(t, tg, "ana", store.Limit{Files: 1}) // the copy's two files do not fit
		}, func(t *testing.T, tg *testkit.Gateway) {
			setQuota(t, tg, "ana", store.Limit{Files: 2}) // they do once the one they replace is freed
		}, http.StatusInsufficientStorage},
	} {
		for _, dstKind := range []string{"folder", "file"} {
			t.Run(c.name+" onto a "+dstKind, func(t *testing.T) {
				t.Parallel()
				tg := testkit.Start(t)
				tg.Fixture()
				tg.Put("departments/operaciones/src/a.docx", "a")
				tg.Put("departments/operaciones/src/sub/b.docx", "b")
				d := tg.DAV("ana")
				keep := "/operaciones/dst/keep.docx"
				dst := "/operaciones/dst"
				if dstKind == "file" {
					keep, dst = "/operaciones/dst.docx", "/operaciones/dst.docx"
				} else if r := d.Do("MKCOL", dst, ""); r.Code != http.StatusCreated {
					t.Fatalf("MKCOL: %d", r.Code)
				}
				if r := d.Do("PUT", keep, "precious"); r.Code != http.StatusCreated {
					t.Fatalf("PUT %s: %d", keep, r.Code)
				}
				disk := func(vpath string) string {
					return filepath.Join(tg.DataDir, "files/departments", filepath.FromSlash(vpath))
				}
				c.refuse(t, tg)
				r := d.Do("COPY", "/operaciones/src", "", "Destination", d.URL(dst), "Overwrite", "T")
				if r.Code != c.status {
					t.Errorf("refused COPY onto an existing %s: %d %q, want %d", dstKind, r.Code, r.Body, c.status)
				}
				if b, err := os.ReadFile(disk(keep)); err != nil || string(b) != "precious" {
					t.Errorf("the refused COPY destroyed %s: %q, %v", keep, b, err)
				}
				if left := incomingLeft(t, tg); len(left) > 0 {
					t.Errorf("the refused COPY left %q in .incoming", left)
				}
				if u := userUsage(t, tg, "ana"); u != (store.Usage{Bytes: 8, Files: 1}) {
					t.Errorf("ana's usage after the refused COPY: %+v, want her one file of 8 bytes", u)
				}

				c.undo(t, tg)
				if r := d.Do("COPY", "/operaciones/src", "", "Destination", d.URL(dst), "Overwrite", "T"); r.Code != http.StatusNoContent {
					t.Fatalf("COPY onto an existing %s: %d %q, want 204", dstKind, r.Code, r.Body)
				}
				if _, err := os.Lstat(disk(keep)); !os.IsNotExist(err) && dstKind == "folder" {
					t.Errorf("the COPY left the replaced %s (lstat: %v)", keep, err)
				}
				for p, want := range map[string]string{dst + "/a.docx": "a", dst + "/sub/b.docx": "b"} {
					if b, err := os.ReadFile(disk(p)); err != nil || string(b) != want {
						t.Errorf("the copy's %s: %q (%v), want %q", p, b, err, want)
					}
				}
				if left := incomingLeft(t, tg); len(left) > 0 {
					t.Errorf("the COPY left %q in .incoming", left)
				}
				if u := userUsage(t, tg, "ana"); u != (store.Usage{Bytes: 2, Files: 2}) {
					t.Errorf("ana's usage after the COPY: %+v, want the copy's 2 files of 1 byte", u)
				}
				if _, ok := testkit.FindAudit(tg.AuditRows("ana"), func(r testkit.AuditRow) bool {
					return r.Action == "delete" && r.Path == keep && r.Result == "ok"
				}); !ok {
					t.Errorf("no delete row for the replaced %s:\n%s", keep, tg.AuditLog("ana", 30))
				}
			})
		}
	}
}
