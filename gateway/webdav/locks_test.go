package webdav_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// lockinfo asks for an exclusive write lock, as Office and Explorer do.
const lockinfo = `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>` +
	`<D:owner><D:href>custodia test</D:href></D:owner></D:lockinfo>`

// lock takes a lock and returns its token without the angle brackets.
func lock(d *testkit.DAVClient, vpath, timeout string) string {
	d.Gateway.T.Helper()
	r := d.Do("LOCK", vpath, lockinfo, "Timeout", timeout, "Depth", "0", "Content-Type", "application/xml; charset=utf-8")
	tok := strings.Trim(strings.TrimSpace(r.Header.Get("Lock-Token")), "<>")
	if r.Code != 200 || tok == "" {
		d.Gateway.T.Fatalf("%s LOCK %s: %d with Lock-Token %q, want 200 and a token\n%s",
			d.User, vpath, r.Code, r.Header.Get("Lock-Token"), r.Body)
	}
	return tok
}

// Two staff members of one department edit the same document: a lock
// taken by one holds for the other on any connection, and its token is
// worth nothing in the other's hands.
func TestWebDAVLocksAreSharedAndBoundToTheOwner(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "luis", Role: store.RoleStaff, Department: "operaciones"})
	tg.Put("departments/operaciones/acta.docx", "acta v1")
	const p = "/operaciones/acta.docx"
	ana, luis := tg.DAV("ana"), tg.DAV("luis")
	onDisk := func() string {
		b, _ := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/acta.docx"))
		return string(b)
	}

	tok := lock(ana, p, "Second-600")
	if r := luis.Do("PUT", p, "luis sin token"); r.Code != 423 {
		t.Errorf("luis PUT on ana's locked file: %d, want 423", r.Code)
	}
	if r := luis.Do("DELETE", p, ""); r.Code != 423 {
		t.Errorf("luis DELETE of ana's locked file: %d, want 423", r.Code)
	}
	if r := luis.Do("PUT", p, "luis con token", "If", "(<"+tok+">)"); r.Code != 423 && r.Code != 412 {
		t.Errorf("luis PUT with ana's lock token: %d, want 423 or 412", r.Code)
	}
	if r := luis.Do("UNLOCK", p, "", "Lock-Token", "<"+tok+">"); r.Code != 403 {
		t.Errorf("luis UNLOCK with ana's token: %d, want 403", r.Code)
	}
	if got := onDisk(); got != "acta v1" {
		t.Fatalf("the locked file changed in someone else's hands: %q", got)
	}
	if r := ana.Do("PUT", p, "acta v2", "If", "(<"+tok+">)"); r.Code/100 != 2 {
		t.Errorf("ana PUT with her own token: %d, want 2xx\n%s", r.Code, r.Body)
	}
	if got := onDisk(); got != "acta v2" {
		t.Errorf("after ana's PUT the file is %q, want acta v2", got)
	}
	if r := ana.Do("UNLOCK", p, "", "Lock-Token", "<"+tok+">"); r.Code != 204 {
		t.Errorf("ana UNLOCK: %d, want 204", r.Code)
	}
	if r := luis.Do("PUT", p, "acta v3"); r.Code/100 != 2 {
		t.Errorf("luis PUT after the UNLOCK: %d, want 2xx\n%s", r.Code, r.Body)
	}
	if got := onDisk(); got != "acta v3" {
		t.Errorf("after luis's PUT the file is %q, want acta v3", got)
	}
}

// A client that dies holding a lock does not keep the file locked for
// good: the lock lapses at its timeout.
func TestWebDAVExpiredLockReleases(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "luis", Role: store.RoleStaff, Department: "operaciones"})
	tg.Put("departments/operaciones/acta.docx", "acta v1")
	const p = "/operaciones/acta.docx"
	luis := tg.DAV("luis")
	lock(tg.DAV("ana"), p, "Second-1")
	// Right after the LOCK the file is locked (the second has barely begun).
	if r := luis.Do("PUT", p, "luis"); r.Code != 423 {
		t.Errorf("luis PUT right after ana's LOCK: %d, want 423", r.Code)
	}
	for i := 0; ; i++ {
		r := luis.Do("PUT", p, "luis")
		if r.Code/100 == 2 {
			break
		}
		if i == 30 {
			t.Fatalf("a lock with a 1 s timeout still blocks luis after 6 s: %d", r.Code)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// slowPut starts a PUT of vpath whose body arrives through the returned
// writer, writes first to it, and leaves the request in the handler,
// holding the resource; its status arrives on the channel once the writer
// is closed (0 when the request failed). The writer is closed when the
// test ends, so a failure does not leave the PUT hanging.
func slowPut(t *testing.T, d *testkit.DAVClient, vpath, first string) (*io.PipeWriter, <-chan int) {
	t.Helper()
	body, feed := io.Pipe()
	t.Cleanup(func() { feed.Close() })
	req, err := http.NewRequest("PUT", d.URL(vpath), body)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(d.User, d.Pass)
	status := make(chan int, 1)
	go func() {
		resp, err := d.HTTP.Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	if _, err := feed.Write([]byte(first)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the PUT is in the handler, writing
	return feed, status
}

// Two requests that change one resource at once, as a client's parallel
// transfers do (rclone creates a folder's parent once per file): the
// second waits for the first instead of being answered 423 Locked, which
// only a client's lock earns.
func TestWebDAVConcurrentWritesWaitForEachOther(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	const p = "/operaciones/mismo.txt"
	feed, first := slowPut(t, tg.DAV("ana"), p, "primera ")
	second := make(chan int, 1)
	go func() { second <- tg.DAV("ana").Do("PUT", p, "segunda").Code }()
	select {
	case code := <-second:
		t.Fatalf("a PUT of a file another PUT is writing answered %d at once, want it to wait", code)
	case <-time.After(300 * time.Millisecond):
	}
	feed.Write([]byte("versión"))
	feed.Close()
	if code := <-first; code/100 != 2 {
		t.Errorf("the first PUT: %d, want 2xx", code)
	}
	if code := <-second; code/100 != 2 {
		t.Errorf("the second PUT, after the first: %d, want 2xx", code)
	}
	if got, _ := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/mismo.txt")); string(got) != "segunda" {
		t.Errorf("the file holds %q, want the second PUT's body", got)
	}
}

// A request that holds a lock of its own already (MOVE holds its source)
// does not wait for a second: MOVE a→b and MOVE b→a would each hold one
// and wait for the other's. A MOVE onto a file a PUT is writing is 423 at
// once, as before requests waited for each other.
func TestWebDAVMoveOntoAFileBeingWrittenDoesNotWait(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.Put("departments/operaciones/origen.txt", "origen")
	const p = "/operaciones/destino.txt"
	ana := tg.DAV("ana")
	feed, first := slowPut(t, ana, p, "escribiendo")
	moved := make(chan int, 1)
	go func() {
		moved <- tg.DAV("ana").Do("MOVE", "/operaciones/origen.txt", "", "Destination", ana.URL(p), "Overwrite", "T").Code
	}()
	select {
	case code := <-moved:
		if code != 423 {
			t.Errorf("MOVE onto a file being written: %d, want 423", code)
		}
	case <-time.After(10 * time.Second):
		t.Error("a MOVE holding its source's lock waited for its destination's")
	}
	feed.Close()
	if code := <-first; code/100 != 2 {
		t.Errorf("the PUT: %d, want 2xx", code)
	}
}
