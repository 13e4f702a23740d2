package webdav_test

import (
	"bytes"
	"fmt"
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

// The PROPFIND bodies of BenchmarkWebDAVPropfind100000: allprop (litmus,
// cadaver, davfs2 without a body), and the named properties Windows'
// mini-redirector asks for when it opens a folder (macOS's Finder and
// davfs2 ask for a subset of these).
var benchPropfinds = map[string]string{
	"allprop": `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
	"windows": `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>` +
		`<D:name/><D:parentname/><D:href/><D:ishidden/><D:isreadonly/><D:getcontenttype/><D:contentclass/>` +
		`<D:getcontentlanguage/><D:creationdate/><D:lastaccessed/><D:getlastmodified/><D:getcontentlength/>` +
		`<D:iscollection/><D:isstructureddocument/><D:defaultdocument/><D:displayname/><D:isroot/><D:resourcetype/>` +
		`</D:prop></D:propfind>`,
}

// BenchmarkWebDAVPropfind100000 lists a folder of 100,000 files with
// PROPFIND Depth: 1 over one keep-alive HTTPS connection, the response
// read whole; it reports ms per PROPFIND, and the CPU time (user and
// system) the test process, server and client, used per PROPFIND, which
// other work on a shared machine moves less than the wall time.
func BenchmarkWebDAVPropfind100000(b *testing.B) {
	tg, d := benchDav(b)
	const n = 100000
	dir := filepath.Join(tg.DataDir, "files/departments/operaciones/big")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("pedimento-26-%07d.pdf", i)), []byte("%PDF-1.4"), 0o640); err != nil {
			b.Fatal(err)
		}
	}
	for _, kind := range []string{"allprop", "windows"} {
		b.Run(kind, func(b *testing.B) {
			cpu0 := processCPU()
			for b.Loop() {
				req, err := http.NewRequest("PROPFIND", d.URL("/departments/operaciones/big/"), strings.NewReader(benchPropfinds[kind]))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Depth", "1")
				req.Header.Set("Content-Type", "application/xml")
				req.SetBasicAuth(d.User, d.Pass)
				resp, err := d.HTTP.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				got, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusMultiStatus || err != nil || got < n*100 {
					b.Fatalf("PROPFIND: %s, %d bytes: %v", resp.Status, got, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/propfind")
			b.ReportMetric(float64((processCPU()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/propfind")
		})
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
