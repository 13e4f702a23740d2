package main

import (
	"io"
	"net/http"
	"path/filepath"
	"testing"
)

// benchDav starts a gateway with an admin and returns one keep-alive
// HTTPS client for it, as a sync tool would hold.
func benchDav(b *testing.B) (*Gateway, *DAVClient) {
	tg := Start(b)
	tg.addUser("bench", "--role", "admin")
	return tg, tg.DAV("bench")
}

// BenchmarkWebDAVUpload PUTs a 256 MiB file over HTTPS.
func BenchmarkWebDAVUpload(b *testing.B) {
	_, d := benchDav(b)
	src := benchFile(b)
	url := d.URL("/departments/operaciones/bench.bin")
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		src.Seek(0, io.SeekStart)
		// NopCloser: the transport closes the body, and src is reused.
		req, err := http.NewRequest("PUT", url, io.NopCloser(src))
		if err != nil {
			b.Fatal(err)
		}
		req.ContentLength = benchSize
		req.SetBasicAuth(d.User, d.Pass)
		resp, err := d.hc.Do(req)
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
	copyTo(b, benchFile(b), filepath.Join(tg.DataDir, "files/departments/operaciones/bench.bin"))
	url := d.URL("/departments/operaciones/bench.bin")
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.SetBasicAuth(d.User, d.Pass)
		resp, err := d.hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil || n != benchSize {
			b.Fatalf("GET: %s, %d bytes: %v", resp.Status, n, err)
		}
	}
}
