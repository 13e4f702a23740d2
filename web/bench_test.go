package web_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// BenchmarkWebFolder10000 GETs the first page of a client's folder of
// 10,000 PDFs through the real listener: the listing through the view
// (every entry authorized), folders first, the page rendered.
func BenchmarkWebFolder10000(b *testing.B) { benchWebFolder(b, 10000) }

// BenchmarkWebFolder100000 is BenchmarkWebFolder10000 for 100,000 PDFs,
// the folder BenchmarkWebDAVPropfind100000 lists; it reports ms per page.
func BenchmarkWebFolder100000(b *testing.B) {
	benchWebFolder(b, 100000)
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
}

func benchWebFolder(b *testing.B, n int) {
	tg := testkit.Start(b)
	tg.AddClient("ACME", "Acme")
	tg.AddUser(store.NewUser{Name: "carla", Role: store.RoleClient, Clients: []string{"ACME"}})
	dir := filepath.Join(tg.DataDir, "files/clients/ACME/2026")
	os.MkdirAll(dir, 0o750)
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("pedimento-26-%07d.pdf", i)), []byte("%PDF-1.4"), 0o640); err != nil {
			b.Fatal(err)
		}
	}
	c := tg.Web()
	if resp, _ := c.Login("carla", testkit.Password); resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %s", resp.Status)
	}
	b.ResetTimer()
	for b.Loop() {
		resp, page := c.Get("/f/ACME/2026/")
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "pedimento-26-0000099.pdf") {
			b.Fatalf("the first page: %s", resp.Status)
		}
	}
}

// BenchmarkWebDownload downloads a 256 MiB file through the portal, beside
// BenchmarkWebDAVDownload in gateway/webdav (the same file, over HTTPS).
func BenchmarkWebDownload(b *testing.B) {
	tg := testkit.Start(b)
	tg.AddUser(store.NewUser{Name: "bench", Role: store.RoleAdmin}) // as BenchmarkWebDAVDownload
	testkit.CopyTo(b, testkit.BenchFile(b), filepath.Join(tg.DataDir, "files/departments/operaciones/bench.bin"))
	c := tg.Web()
	if resp, _ := c.Login("bench", testkit.Password); resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %s", resp.Status)
	}
	b.SetBytes(testkit.BenchSize)
	b.ResetTimer()
	for b.Loop() {
		resp, err := c.HTTP.Get(c.URL + "/d/departments/operaciones/bench.bin")
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
