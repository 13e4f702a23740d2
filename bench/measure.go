package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oaq/custodia/internal/perf"
	"github.com/oaq/custodia/internal/yardstick"
)

// options are the sizes and counts of one run.
type options struct {
	size     int64 // the big file's
	reps     int   // of every throughput row; the median is reported
	small    int   // 4 KiB files in one session
	parallel int   // uploads at once
	psize    int64 // bytes per parallel upload
	idle     int   // idle sessions
	rows     map[string]bool
	log      io.Writer
}

// rowGroups are what -only may name besides columns.
var rowGroups = []string{"up", "down", "go", "small", "parallel", "idle"}

// files are the local files the standard clients send.
type files struct {
	big        string   // size bytes
	smallDir   string   // holds the small files
	smallNames []string // their names
}

// makeFiles writes the big file (incompressible) and the small ones
// under dir.
func makeFiles(dir string, o options) (*files, error) {
	f := &files{big: filepath.Join(dir, "bench.bin"), smallDir: filepath.Join(dir, "small")}
	out, err := os.Create(f.big)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(out, perf.NewBody(o.size)); err != nil {
		out.Close()
		return nil, err
	}
	if err := out.Close(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(f.smallDir, 0o755); err != nil {
		return nil, err
	}
	body := make([]byte, 4<<10)
	io.ReadFull(perf.NewBody(int64(len(body))), body)
	for i := range o.small {
		name := fmt.Sprintf("small-%04d.txt", i)
		if err := os.WriteFile(filepath.Join(f.smallDir, name), body, 0o644); err != nil {
			return nil, err
		}
		f.smallNames = append(f.smallNames, name)
	}
	return f, nil
}

// measure fills one column's values: MB/s, %, ms/MB, files/s, MiB, KiB.
func measure(ctx context.Context, c *column, f *files, o options) (map[string]float64, error) {
	v := map[string]float64{}
	logf := func(format string, a ...any) { fmt.Fprintf(o.log, "%s: "+format+"\n", append([]any{c.key}, a...)...) }
	mb := float64(o.size) / 1e6
	if o.rows["up"] {
		ciphers := []string{""}
		if c.sftp != nil {
			ciphers = append(ciphers, "aes128-gcm@openssh.com")
		}
		for _, cipher := range ciphers {
			var rates, pct, perMB []float64
			for range o.reps {
				wall, cpu, err := stdUpload(ctx, c, f, cipher)
				if err != nil {
					return nil, err
				}
				rates = append(rates, mb/wall.Seconds())
				pct = append(pct, 100*cpu.Seconds()/wall.Seconds())
				perMB = append(perMB, cpu.Seconds()*1000/mb)
			}
			if cipher == "" {
				v["up"], v["cpu"], v["cpu-ms"] = median(rates), median(pct), median(perMB)
			} else {
				v["up-aes"] = median(rates)
			}
			logf("upload %s %.0f MB/s %v", cipher, median(rates), rates)
		}
	}
	if o.rows["down"] {
		if !o.rows["up"] { // the download reads what the upload left
			if _, _, err := stdUpload(ctx, c, f, ""); err != nil {
				return nil, err
			}
		}
		ciphers := []string{""}
		if c.sftp != nil {
			ciphers = append(ciphers, "aes128-gcm@openssh.com")
		}
		for _, cipher := range ciphers {
			var rates []float64
			for range o.reps {
				wall, err := timed(func() error { return stdDownload(ctx, c, cipher) })
				if err != nil {
					return nil, err
				}
				rates = append(rates, mb/wall.Seconds())
			}
			if cipher == "" {
				v["down"] = median(rates)
			} else {
				v["down-aes"] = median(rates)
			}
			logf("download %s %.0f MB/s %v", cipher, median(rates), rates)
		}
	}
	if o.rows["go"] {
		up, down, err := goTransfers(ctx, c, f, o)
		if err != nil {
			return nil, err
		}
		v["go-up"], v["go-down"] = up, down
		logf("Go clients: upload %.0f MB/s, download %.0f MB/s", up, down)
	}
	if o.rows["small"] && o.small > 0 {
		var rates []float64
		for range o.reps {
			wall, err := timed(func() error { return stdSmall(ctx, c, f) })
			if err != nil {
				return nil, err
			}
			rates = append(rates, float64(o.small)/wall.Seconds())
		}
		v["small"] = median(rates)
		logf("%d small files: %.0f files/s %v", o.small, v["small"], rates)
	}
	if o.rows["parallel"] && o.parallel > 0 {
		rate, peak, err := parallelUploads(ctx, c, o)
		if err != nil {
			return nil, err
		}
		v["parallel"], v["parallel-mem"] = rate, float64(peak)/1024
		logf("%d parallel uploads: %.0f MB/s, peak %.0f MiB", o.parallel, rate, float64(peak)/1024)
	}
	if o.rows["idle"] && o.idle > 0 {
		kib, err := idleSessions(ctx, c, o)
		if err != nil {
			return nil, err
		}
		v["idle"] = kib
		logf("%d idle sessions: %.0f KiB each", o.idle, kib)
	}
	return v, nil
}

func timed(op func() error) (time.Duration, error) {
	t := time.Now()
	err := op()
	return time.Since(t), err
}

// remote is a file's path in the column's upload folder as a client names
// it; url the same for curl.
func (c *column) remote(name string) string { return c.folder + "/" + name }
func (c *column) urlOf(name string) string  { return c.url + c.folder + "/" + name }

// stdUpload puts the big file with the standard client (sftp -b with the
// cipher, or curl -T) and returns the time it took and the CPU time the
// server's process tree used meanwhile (yardstick.MeasureCPU).
func stdUpload(ctx context.Context, c *column, f *files, cipher string) (time.Duration, time.Duration, error) {
	procs := len(yardstick.Tree(c.pid))
	cpu := yardstick.MeasureCPU(c.pid)
	wall, err := timed(func() error {
		if c.sftp != nil {
			s := *c.sftp
			s.Cipher = cipher
			return s.Batch(ctx, fmt.Sprintf("put %s %s", f.big, c.remote("bench.bin")))
		}
		return c.curl.Run(ctx, "", append(slices.Clone(c.curlArgs), "-T", f.big, c.urlOf("bench.bin"))...)
	})
	if err == nil {
		err = yardstick.WaitTree(c.pid, procs) // the session's processes ended
	}
	used := cpu.Stop()
	return wall, used, err
}

// stdDownload gets the big file with the standard client into /dev/null.
func stdDownload(ctx context.Context, c *column, cipher string) error {
	if c.sftp != nil {
		s := *c.sftp
		s.Cipher = cipher
		return s.Batch(ctx, fmt.Sprintf("get %s /dev/null", c.remote("bench.bin")))
	}
	return c.curl.Run(ctx, "", append(slices.Clone(c.curlArgs), "-o", "/dev/null", c.urlOf("bench.bin"))...)
}

// stdSmall puts every small file in one session: an sftp -b batch of
// puts, or one curl with -T "{a,b,…}" (one control connection and
// passive data connections for FTPS, one keep-alive connection of PUTs
// for WebDAV).
func stdSmall(ctx context.Context, c *column, f *files) error {
	if c.sftp != nil {
		cmds := make([]string, len(f.smallNames))
		for i, n := range f.smallNames {
			cmds[i] = fmt.Sprintf("put %s %s", filepath.Join(f.smallDir, n), c.remote(n))
		}
		return c.sftp.Batch(ctx, cmds...)
	}
	return c.curl.Run(ctx, f.smallDir, append(slices.Clone(c.curlArgs),
		"-T", "{"+strings.Join(f.smallNames, ",")+"}", c.url+c.folder+"/")...)
}

// goTransfers uploads and downloads the big file reps times each with
// the Go client over one session and returns the median MB/s of each.
func goTransfers(ctx context.Context, c *column, f *files, o options) (float64, float64, error) {
	cl, err := c.login.dial(ctx, 0)
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()
	mb := float64(o.size) / 1e6
	var ups, downs []float64
	for range o.reps {
		wall, err := timed(func() error {
			src, err := os.Open(f.big)
			if err != nil {
				return err
			}
			defer src.Close()
			return cl.Upload(c.remote("bench-go.bin"), src, o.size)
		})
		if err != nil {
			return 0, 0, fmt.Errorf("Go client upload: %w", err)
		}
		ups = append(ups, mb/wall.Seconds())
	}
	for range o.reps {
		wall, err := timed(func() error {
			n, err := cl.Download(c.remote("bench-go.bin"))
			if err == nil && n != o.size {
				err = fmt.Errorf("%d bytes, want %d", n, o.size)
			}
			return err
		})
		if err != nil {
			return 0, 0, fmt.Errorf("Go client download: %w", err)
		}
		downs = append(downs, mb/wall.Seconds())
	}
	return median(ups), median(downs), nil
}

// parallelUploads logs o.parallel Go clients in, then has each upload
// o.psize bytes at once; it returns the aggregate MB/s and the server's
// peak resident memory meanwhile, in KiB.
func parallelUploads(ctx context.Context, c *column, o options) (float64, int64, error) {
	cls, err := dialMany(ctx, c, 1, o.parallel)
	if err != nil {
		return 0, 0, err
	}
	defer closeAll(cls)
	peak := yardstick.SamplePeak(c.pid)
	errs := make([]error, len(cls))
	wall, _ := timed(func() error {
		var wg sync.WaitGroup
		for i, cl := range cls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = cl.Upload(c.remote(fmt.Sprintf("parallel-%03d.bin", i)), perf.NewBody(o.psize), o.psize)
			}()
		}
		wg.Wait()
		return nil
	})
	kib := peak.Stop()
	for i, err := range errs {
		if err != nil {
			return 0, 0, fmt.Errorf("parallel upload %d: %w", i, err)
		}
	}
	return float64(o.psize) * float64(len(cls)) / 1e6 / wall.Seconds(), kib, nil
}

// idleSessions logs o.idle Go clients in beside two warm ones and returns
// the server tree's memory (PSS) above the warm figure per session, in
// KiB, each reading taken once the memory settled.
func idleSessions(ctx context.Context, c *column, o options) (float64, error) {
	warm, err := dialMany(ctx, c, 1000, 2)
	if err != nil {
		return 0, err
	}
	defer closeAll(warm)
	base := settle(c.pid)
	cls, err := dialMany(ctx, c, 1100, o.idle)
	if err != nil {
		return 0, err
	}
	defer closeAll(cls)
	after := settle(c.pid)
	return float64(after-base) / float64(o.idle), nil
}

// dialMany logs n Go clients in, one after another, as clients first…
func dialMany(ctx context.Context, c *column, first, n int) ([]goClient, error) {
	var cls []goClient
	for i := range n {
		cl, err := c.login.dial(ctx, first+i)
		if err != nil {
			closeAll(cls)
			return nil, err
		}
		cls = append(cls, cl)
	}
	return cls, nil
}

func closeAll(cls []goClient) {
	for _, c := range cls {
		c.Close()
	}
}

// settle returns the tree's memory (PSS, KiB) once it stops moving
// (four readings 250 ms apart within 256 KiB), or after 10 s.
func settle(pid int) int64 {
	last, _ := yardstick.TreePSS(pid)
	steady := 0
	for range 40 {
		time.Sleep(250 * time.Millisecond)
		now, _ := yardstick.TreePSS(pid)
		if now >= last-256 && now <= last+256 {
			steady++
		} else {
			steady = 0
		}
		last = now
		if steady == 4 {
			break
		}
	}
	return last
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
