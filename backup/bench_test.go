package backup

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/oaq/custodia/store"
)

// The benchmarks back up 10,000 files, 1 GiB in all, of a customs
// brokerage: about half the bytes are incompressible (PDFs, scans), half
// text (declarations, invoices, mail). BenchmarkBackupFull runs a real
// Runner; BenchmarkTarZstdAge runs `tar | zstd -3 | age` on the same tree
// for comparison. Both fsync their archive, as Local does.
//
//	go test -run '^$' -bench 'Backup|TarZstd' -benchtime 3x ./backup/
//
// The data set is generated once (deterministically, in a few seconds) into
// $TMPDIR/custodia-backup-bench-v1 and reused by later runs; remove that
// folder to reclaim the space.

const (
	benchFiles = 10_000
	benchBytes = 1 << 30
	benchDir   = "custodia-backup-bench-v1" // change the suffix when the generator changes
)

type benchData struct {
	dir   string // the files/ tree; the job's folder is dir/dossiers
	files int
	bytes int64
}

var (
	benchOnce sync.Once
	benchSet  benchData
	benchErr  error
)

// benchDataSet returns the data set, building it on first use.
func benchDataSet(b *testing.B) benchData {
	b.Helper()
	benchOnce.Do(func() { benchSet, benchErr = benchLoad(filepath.Join(os.TempDir(), benchDir)) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchSet
}

// benchLoad generates the tree into dir unless a complete one is there,
// then reads it all once: it checks the counts, and every benchmark starts
// with the files in the page cache.
func benchLoad(dir string) (benchData, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		tmp, err := os.MkdirTemp(filepath.Dir(dir), benchDir+".*.part")
		if err != nil {
			return benchData{}, err
		}
		defer os.RemoveAll(tmp) // gone once renamed
		if err := benchGenerate(filepath.Join(tmp, "dossiers")); err != nil {
			return benchData{}, err
		}
		if err := os.Rename(tmp, dir); err != nil {
			if _, serr := os.Stat(dir); serr != nil { // not another process that won the race
				return benchData{}, err
			}
		}
	}
	d := benchData{dir: dir}
	err := filepath.WalkDir(filepath.Join(dir, "dossiers"), func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.Copy(io.Discard, f)
		d.files++
		d.bytes += n
		return err
	})
	if err == nil && (d.files != benchFiles || d.bytes != benchBytes) {
		err = fmt.Errorf("%s holds %d files, %d bytes, not %d, %d: remove it to rebuild it",
			dir, d.files, d.bytes, benchFiles, benchBytes)
	}
	return d, err
}

// benchGenerate writes benchFiles files of benchBytes bytes in all below
// root: dossiers/<client>/<year>/<ref>/<nn>-<name>.<ext>.
func benchGenerate(root string) error {
	src := rand.NewChaCha8([32]byte{'c', 'u', 's', 't', 'o', 'd', 'i', 'a'})
	rng := rand.New(src)
	sizes := benchSizes(rng)
	body := make([]byte, 0, 64<<20)
	dossier := ""
	left := 0 // files still to put in dossier
	for i, size := range sizes {
		if left == 0 {
			dossier = filepath.Join(root, benchClients[rng.IntN(len(benchClients))],
				strconv.Itoa(2024+rng.IntN(3)), fmt.Sprintf("D%06d", i))
			if err := os.MkdirAll(dossier, 0o750); err != nil {
				return err
			}
			left = 1 + rng.IntN(9)
		}
		left--
		var name string
		if rng.IntN(2) == 0 { // a PDF or a scan: incompressible
			name = benchBinaryNames[rng.IntN(len(benchBinaryNames))]
			body = slices.Grow(body[:0], size)[:size]
			src.Read(body)
		} else {
			name = benchTextNames[rng.IntN(len(benchTextNames))]
			body = benchText(rng, body[:0], name, size)
		}
		if err := os.WriteFile(filepath.Join(dossier, fmt.Sprintf("%02d-%s", left, name)), body, 0o640); err != nil {
			return err
		}
	}
	return nil
}

// benchSizes returns benchFiles log-normal sizes (median about 50 KB,
// a few of several MB) summing to benchBytes.
func benchSizes(rng *rand.Rand) []int {
	w := make([]float64, benchFiles)
	var sum float64
	for i := range w {
		w[i] = math.Exp(1.2 * rng.NormFloat64())
		sum += w[i]
	}
	sizes := make([]int, benchFiles)
	total, largest := 0, 0
	for i := range w {
		sizes[i] = max(1, int(w[i]/sum*benchBytes))
		total += sizes[i]
		if sizes[i] > sizes[largest] {
			largest = i
		}
	}
	sizes[largest] += benchBytes - total
	return sizes
}

var (
	benchClients = []string{"acme-trading", "mueller-logistik", "van-der-berg-import", "nordic-freight",
		"sociedad-aduanera", "lyon-textiles", "ostrava-steel", "porto-wines", "baltic-timber", "alpine-pharma",
		"danube-auto-parts", "atlas-ceramics", "hanse-coffee", "iberia-olive-oil", "rhine-chemicals"}
	benchBinaryNames = []string{"invoice.pdf", "bill-of-lading.pdf", "certificate-of-origin.pdf",
		"packing-list.pdf", "scan.jpg", "delivery-note.tif", "t1-transit.pdf"}
	benchTextNames = []string{"declaration.xml", "invoice-lines.csv", "correspondence.eml", "notes.txt"}
	benchGoods     = []string{"laptop computers", "cotton T-shirts, knitted", "stainless steel bolts M8",
		"olive oil, extra virgin", "lithium-ion batteries", "glazed ceramic tiles", "brake pads for cars",
		"roasted coffee, not decaffeinated", "sawn spruce timber", "paracetamol tablets", "polyethylene granules"}
	benchCountries  = []string{"CN", "US", "TR", "IN", "VN", "CH", "GB", "BR", "JP", "KR", "MA", "UA"}
	benchCurrencies = []string{"EUR", "USD", "CHF", "GBP"}
	benchSentences  = []string{"Please find attached the commercial invoice and the packing list.",
		"The goods are held at the border pending the certificate of origin.",
		"Could you confirm the tariff classification before we lodge the declaration?",
		"Duties and import VAT will be invoiced with our monthly statement.",
		"The consignment was released for free circulation this morning.",
		"We need the EORI number of the consignee to complete the entry."}
)

// benchText appends text of exactly size bytes to buf: lines with fields
// that vary, as declarations, invoices and mail do.
func benchText(rng *rand.Rand, buf []byte, name string, size int) []byte {
	for seq := 1; len(buf) < size; seq++ {
		switch filepath.Ext(name) {
		case ".xml":
			buf = append(buf, `<item seq="`...)
			buf = strconv.AppendInt(buf, int64(seq), 10)
			buf = append(buf, `"><hs>`...)
			buf = strconv.AppendInt(buf, 1e9+rng.Int64N(9e9), 10)
			buf = append(buf, `</hs><desc>`...)
			buf = append(buf, benchGoods[rng.IntN(len(benchGoods))]...)
			buf = append(buf, `</desc><origin>`...)
			buf = append(buf, benchCountries[rng.IntN(len(benchCountries))]...)
			buf = append(buf, `</origin><qty unit="PCE">`...)
			buf = strconv.AppendInt(buf, 1+rng.Int64N(5000), 10)
			buf = append(buf, `</qty><value currency="`...)
			buf = append(buf, benchCurrencies[rng.IntN(len(benchCurrencies))]...)
			buf = append(buf, `">`...)
			buf = strconv.AppendFloat(buf, float64(rng.Int64N(10_000_000))/100, 'f', 2, 64)
			buf = append(buf, "</value></item>\n"...)
		case ".csv":
			buf = append(buf, "2025-"...)
			buf = strconv.AppendInt(buf, 10+rng.Int64N(3), 10)
			buf = append(buf, '-')
			buf = strconv.AppendInt(buf, 10+rng.Int64N(19), 10)
			buf = append(buf, ";INV-"...)
			buf = strconv.AppendInt(buf, rng.Int64N(1e7), 10)
			buf = append(buf, ';')
			buf = strconv.AppendInt(buf, int64(seq), 10)
			buf = append(buf, ';')
			buf = append(buf, benchGoods[rng.IntN(len(benchGoods))]...)
			buf = append(buf, ';')
			buf = strconv.AppendInt(buf, 1+rng.Int64N(5000), 10)
			buf = append(buf, ';')
			buf = strconv.AppendFloat(buf, float64(rng.Int64N(1_000_000))/100, 'f', 2, 64)
			buf = append(buf, ';')
			buf = append(buf, benchCurrencies[rng.IntN(len(benchCurrencies))]...)
			buf = append(buf, '\n')
		default:
			buf = append(buf, benchSentences[rng.IntN(len(benchSentences))]...)
			buf = append(buf, " Ref. D"...)
			buf = strconv.AppendInt(buf, rng.Int64N(1e6), 10)
			buf = append(buf, ".\n"...)
		}
	}
	return buf[:size]
}

// benchReport reports throughput in bytes and files, and the archive's size.
func benchReport(b *testing.B, d benchData, archive int64) {
	b.SetBytes(d.bytes)
	b.ReportMetric(float64(d.files)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(archive), "archive-B/op")
}

// BenchmarkBackupFull runs full backups of the data set to a local target.
func BenchmarkBackupFull(b *testing.B) {
	d := benchDataSet(b)
	ctx := b.Context()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "custodia.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	local := Local{Dir: b.TempDir()}
	r := New(Options{Store: st, FilesDir: d.dir, Local: local, Recipients: []age.Recipient{id.Recipient()},
		Jobs: []Job{{Name: "dossiers", Source: "/dossiers", Keep: Retention{Daily: 1}}}})
	var size int64
	for b.Loop() {
		bk, err := r.Run(ctx, "dossiers", Full)
		if err != nil {
			b.Fatal(err)
		}
		if bk.Files != int64(d.files) || bk.Bytes != d.bytes {
			b.Fatalf("backed up %d files, %d bytes; want %d, %d", bk.Files, bk.Bytes, d.files, d.bytes)
		}
		size = bk.Size
		// Only the run counts: the next one's retention finds nothing to delete.
		b.StopTimer()
		if err := local.Remove(ctx, archiveName(bk.Job, bk.ID)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	benchReport(b, d, size)
}

// BenchmarkTarZstdAge runs `tar | zstd -3 | age` on the same tree, with
// zstd on every core (-T0) and on one (-T1).
func BenchmarkTarZstdAge(b *testing.B) {
	for _, tool := range []string{"bash", "tar", "zstd", "age", "sync"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s is not on PATH, so there is nothing to compare with (apt-get install age zstd): %v", tool, err)
		}
	}
	d := benchDataSet(b)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	const pipeline = `tar -C "$1" -cf - dossiers | zstd -q -3 "$2" | age -r "$3" > "$4" && sync "$4"`
	for _, threads := range []string{"-T0", "-T1"} {
		b.Run("zstd"+threads, func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "dossiers.tar.zst.age")
			var size int64
			for b.Loop() {
				cmd := exec.CommandContext(b.Context(), "bash", "-o", "pipefail", "-c", pipeline,
					"bench", d.dir, threads, id.Recipient().String(), out)
				if msg, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v: %s", err, msg)
				}
				b.StopTimer()
				fi, err := os.Stat(out)
				if err != nil {
					b.Fatal(err)
				}
				size = fi.Size()
				if err := os.Remove(out); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			benchReport(b, d, size)
		})
	}
}
