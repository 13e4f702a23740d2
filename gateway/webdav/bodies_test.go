package webdav_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

// TestWebDAVStalledBodyEnds: with webdav.read_timeout at one second, a
// PUT that announces a body and never sends it (before or after logging
// in), or stops sending halfway, is answered or closed within a few
// seconds, not held; the stalled upload leaves nothing.
func TestWebDAVStalledBodyEnds(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_WEBDAV_READ_TIMEOUT=1s")
	tg.Fixture()
	auth := "Authorization: " + testkit.BasicAuth("ana", testkit.Password) + "\r\n"
	for _, c := range []struct{ what, head, body string }{
		{"an anonymous PUT whose body never comes", "", ""},
		{"a logged-in PUT whose body never comes", auth, ""},
		{"a logged-in PUT whose body stops halfway", auth, strings.Repeat("x", 50)},
	} {
		t.Run(c.what, func(t *testing.T) {
			t.Parallel()
			conn := tg.DAVConn()
			name := strings.ReplaceAll(c.what, " ", "-") + ".txt"
			start := time.Now()
			conn.SetDeadline(start.Add(15 * time.Second))
			fmt.Fprintf(conn, "PUT /operaciones/%s HTTP/1.1\r\nHost: x\r\n%sContent-Length: 100\r\n\r\n%s", name, c.head, c.body)
			_, err := io.Copy(io.Discard, conn) // the answer if any, until the server closes
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("%s held the connection %v (%v); the read timeout is 1s.", c.what, took.Round(time.Second), err)
			}
			if _, err := os.Stat(filepath.Join(tg.DataDir, "files", "departments", "operaciones", name)); err == nil {
				t.Errorf("%s left a file in place.", c.what)
			}
		})
	}
}

// TestWebDAVSlowUploadThatKeepsSendingSucceeds: an upload whose bytes come
// slowly but keep coming (a chunk every 300 ms, 3 s in all, three times
// the read timeout) is stored whole.
func TestWebDAVSlowUploadThatKeepsSendingSucceeds(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_WEBDAV_READ_TIMEOUT=1s")
	tg.Fixture()
	conn := tg.DAVConn()
	chunk := strings.Repeat("slow-but-live ", 8)
	const chunks = 10
	fmt.Fprintf(conn, "PUT /operaciones/slow.txt HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n",
		testkit.BasicAuth("ana", testkit.Password), chunks*len(chunk))
	for i := range chunks {
		time.Sleep(300 * time.Millisecond) // the client's pace, not synchronisation
		if _, err := io.WriteString(conn, chunk); err != nil {
			t.Fatalf("chunk %d: the server closed a live upload: %v", i+1, err)
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the slow upload: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
		t.Fatalf("slow upload: %d, want 201", resp.StatusCode)
	}
	got, err := os.ReadFile(filepath.Join(tg.DataDir, "files", "departments", "operaciones", "slow.txt"))
	if err != nil || string(got) != strings.Repeat(chunk, chunks) {
		t.Errorf("the slow upload is stored as %d bytes (%v), want %d", len(got), err, chunks*len(chunk))
	}
}
