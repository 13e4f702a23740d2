package perf_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/perf"
	"github.com/oaq/custodia/internal/soak"
)

var (
	uploads  = flag.Int("perf.uploads", 20, "parallel uploads in BenchmarkUploadMemory")
	size     = flag.Int64("perf.size", 50<<20, "bytes per upload")
	sessions = flag.Int("perf.sessions", 200, "idle logged-in sessions in BenchmarkIdleSessions")
	logins   = flag.Int("perf.logins", 8, "logins in flight at once")
	settings = flag.String("perf.env", "", "extra CUSTODIA_* settings for the server, comma-separated")
	keep     = flag.Bool("perf.keep", false, "keep the scratch dirs (binary, data dir, server log)")
)

// bin is the custodia binary, built once for every benchmark.
var bin struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if bin.path != "" {
		os.RemoveAll(filepath.Dir(bin.path))
	}
	os.Exit(code)
}

func start(b *testing.B, users int) *perf.Server {
	b.Helper()
	bin.once.Do(func() {
		dir, err := os.MkdirTemp("", "custodia-perf-bin-")
		if err != nil {
			bin.err = err
			return
		}
		bin.path, bin.err = soak.Build(context.Background(), dir)
	})
	if bin.err != nil {
		b.Fatal(bin.err)
	}
	dir, err := os.MkdirTemp("", "custodia-perf-")
	if err != nil {
		b.Fatal(err)
	}
	if *keep {
		b.Logf("scratch dir (kept): %s", dir)
	} else {
		b.Cleanup(func() { os.RemoveAll(dir) })
	}
	var extra []string
	if *settings != "" {
		extra = splitComma(*settings)
	}
	s, err := perf.Start(context.Background(), bin.path, dir, users, extra...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := s.Stop(); err != nil {
			b.Error(err)
		}
	})
	return s
}

func splitComma(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != ',' {
			i++
		}
		out = append(out, s[:i])
		s = s[min(i+1, len(s)):]
	}
	return out
}

// dialAll logs n sessions in over proto, at most *logins at once: the
// i-th as user i%len(users), from client address first+i.
func dialAll(b *testing.B, s *perf.Server, proto string, first, n int) []perf.Session {
	b.Helper()
	out := make([]perf.Session, n)
	errs := make([]error, n)
	gate := make(chan struct{}, *logins)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gate <- struct{}{}
			defer func() { <-gate }()
			u := i % len(s.Users)
			out[i], errs[i] = s.Dial(proto, s.Users[u], perf.Password(u), first+i)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			for _, c := range out {
				if c != nil {
					c.Close()
				}
			}
			b.Fatalf("%s login %d: %v", proto, i, err)
		}
	}
	return out
}

func memory(b *testing.B, s *perf.Server) soak.Usage {
	b.Helper()
	m, err := soak.ReadUsage(s.Pid())
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// settle waits until the server's resident memory stops falling (the
// password checks of a burst of logins leave memory the server hands back
// a second after the last one): 2 s without a change, within 10 s.
func settle(b *testing.B, s *perf.Server) {
	b.Helper()
	last, steady := memory(b, s).RSSKiB, 0
	for range 20 {
		time.Sleep(500 * time.Millisecond)
		now := memory(b, s).RSSKiB
		if now >= last-256 && now <= last+256 {
			steady++
		} else {
			steady = 0
		}
		if steady == 4 { // 2 s: longer than the release's wait
			return
		}
		last = now
	}
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

// sessions is how many sessions the server holds now.
func sessionCount(b *testing.B, s *perf.Server) int {
	b.Helper()
	n, err := s.Sessions(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkUploadMemory logs -perf.uploads sessions in over each
// protocol, then has each upload -perf.size bytes at once, and reports
// the server's resident memory: MiB-peak is its peak (VmHWM) while the
// uploads ran, MiB-idle what it held with the sessions logged in (once
// it settled) just before, MiB-peak-logins the peak from its start to
// the end of the logins (their password checks), MiB/upload the peak
// above the idle figure per upload. The server is started once (b.Loop);
// a round of uploads takes longer than the default -benchtime, so one
// round runs, and -benchtime=1x makes sure of it:
//
//	go test -run '^$' -bench UploadMemory ./internal/perf -benchtime=1x
func BenchmarkUploadMemory(b *testing.B) {
	for _, proto := range perf.Protocols {
		b.Run(proto, func(b *testing.B) {
			s := start(b, *uploads)
			conns := dialAll(b, s, proto, 0, *uploads)
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			logins := memory(b, s)
			settle(b, s)
			if err := perf.ResetPeak(s.Pid()); err != nil {
				b.Fatal(err)
			}
			idle := memory(b, s)
			begin, rounds := time.Now(), 0
			for b.Loop() {
				errs := make([]error, len(conns))
				var wg sync.WaitGroup
				for i, c := range conns {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs[i] = c.Upload(fmt.Sprintf("/%s/perf-%d-%03d.bin", perf.Dept, rounds, i), *size)
					}()
				}
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						b.Fatalf("%s upload %d: %v", proto, i, err)
					}
				}
				rounds++
			}
			took := time.Since(begin)
			peak := memory(b, s)
			b.ReportMetric(mib(peak.HWMKiB), "MiB-peak")
			b.ReportMetric(mib(idle.RSSKiB), "MiB-idle")
			b.ReportMetric(mib(logins.HWMKiB), "MiB-peak-logins")
			b.ReportMetric(mib(peak.HWMKiB-idle.RSSKiB)/float64(len(conns)), "MiB/upload")
			b.ReportMetric(float64(*size)*float64(len(conns))*float64(rounds)/took.Seconds()/1e6, "MB/s")
		})
	}
}

// BenchmarkIdleSessions logs -perf.sessions sessions in over each
// protocol beside a few warm ones, each from a loopback address of its
// own, checks that the server counts that many more sessions and that
// every one still answers, and reports what one costs the server:
// KiB/session is its resident memory above the warm figure per session,
// held the sessions that answered (want all). The servers and sessions
// are made once (b.Loop); the loop pings every session:
//
//	go test -run '^$' -bench IdleSessions ./internal/perf -perf.sessions=1000
func BenchmarkIdleSessions(b *testing.B) {
	for _, proto := range perf.Protocols {
		b.Run(proto, func(b *testing.B) {
			s := start(b, 10)
			// The warm sessions take the server through as many password
			// checks at once as the measured ones will.
			warm := dialAll(b, s, proto, 0, 2**logins)
			for _, c := range warm {
				defer c.Close()
			}
			settle(b, s)
			base := memory(b, s)
			before := sessionCount(b, s)
			conns := dialAll(b, s, proto, len(warm), *sessions)
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			if now := sessionCount(b, s); now-before != *sessions {
				b.Fatalf("the server holds %d %s sessions after %d logins, %d before them; want %d more",
					now, proto, *sessions, before, *sessions)
			}
			held := 0
			for b.Loop() {
				held = 0
				for _, c := range conns {
					if c.Ping() == nil {
						held++
					}
				}
			}
			settle(b, s)
			after := memory(b, s)
			b.ReportMetric(float64(after.RSSKiB-base.RSSKiB)/float64(*sessions), "KiB/session")
			b.ReportMetric(float64(held), "held")
			b.ReportMetric(mib(after.RSSKiB), "MiB-rss")
			if held != *sessions {
				b.Errorf("%d of %d %s sessions answered", held, *sessions, proto)
			}
		})
	}
}
