package webdav_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// benchDav starts a gateway with an admin and returns one keep-alive
// HTTPS client for it, as a sync tool would hold.
func benchDav(b *testing.B) (*testkit.Gateway, *testkit.DAVClient) {
	tg := testkit.Start(b)
	tg.AddUser(store.NewUser{Name: "bench", Role: store.RoleAdmin})
	return tg, tg.DAV("bench")
}

// BenchmarkWebDAVUpload PUTs a 256 MiB file over HTTPS.
func BenchmarkWebDAVUpload(b *testing.B) {
	_, d := benchDav(b)
	src := testkit.BenchFile(b)
	url := d.URL("/departments/operaciones/bench.bin")
	b.SetBytes(testkit.BenchSize)
	b.ResetTimer()
	for b.Loop() {
		src.Seek(0, io.SeekStart)
		// NopCloser: the transport closes the body, and src is reused.
		req, err := http.NewRequest("PUT", url, io.NopCloser(src))
		if err != nil {
			b.Fatal(err)
		}
		req.ContentLength = testkit.BenchSize
		req.SetBasicAuth(d.User, d.Pass)
		resp, err := d.HTTP.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			b.Fatalf("PUT: %s", resp.Status)
		}
	}
}

// BenchmarkWebDAVDownload GETs a 256 MiB file over HTTPS.
func BenchmarkWebDAVDownload(b *testing.B) {
	tg, d := benchDav(b)
	testkit.CopyTo(b, testkit.BenchFile(b), filepath.Join(tg.DataDir, "files/departments/operaciones/bench.bin"))
	url := d.URL("/departments/operaciones/bench.bin")
	b.SetBytes(testkit.BenchSize)
	b.ResetTimer()
	for b.Loop() {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.SetBasicAuth(d.User, d.Pass)
		resp, err := d.HTTP.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil || n != testkit.BenchSize {
			b.Fatalf("GET: %s, %d bytes: %v", resp.Status, n, err)
		}
	}
}

// BenchmarkWebDAVSmallFiles PUTs 4 KiB files one after another on one
// keep-alive connection, as a sync tool sends a folder of small files;
// one op is one file.
func BenchmarkWebDAVSmallFiles(b *testing.B) {
	_, d := benchDav(b)
	body := bytes.Repeat([]byte("x"), 4<<10)
	i := 0
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		req, err := http.NewRequest("PUT", d.URL(fmt.Sprintf("/departments/operaciones/small-%05d.txt", i)), bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		i++
		req.SetBasicAuth(d.User, d.Pass)
		resp, err := d.HTTP.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			b.Fatalf("PUT: %s", resp.Status)
		}
	}
}
