package sftp_test

import (
	"runtime"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// TestUnreadTinyPacketsHoldTheirSize: a logged-in user who opens a
// session channel, never asks for the sftp subsystem (so nothing reads
// the channel) and sends its window as 1-byte data packets makes the
// server hold about what it sent, not a recycled 32 KiB packet buffer per
// byte (review finding: the pooled buffers of our x/crypto copy made
// 2,000 bytes pin 80 MB, a 2 MiB window 80 GiB).
//
// Not parallel: it measures the process's heap.
func TestUnreadTinyPacketsHoldTheirSize(t *testing.T) {
	tg := testkit.Start(t)
	tg.Fixture()
	conn, err := tg.Dial("ana", testkit.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, _, err := conn.OpenChannel("session", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	const packets = 4000
	for range packets {
		if _, err := ch.Write([]byte{'x'}); err != nil {
			t.Fatal(err)
		}
	}
	// A request is handled after the data sent before it: its answer
	// says the server holds all of it.
	if _, err := ch.SendRequest("env", true, nil); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d unread 1-byte packets: the heap grew by %d KiB", packets, grew>>10)
	if grew > 16<<20 {
		t.Errorf("%d unread 1-byte data packets made the heap grow by %d MiB, want under 16", packets, grew>>20)
	}
}
