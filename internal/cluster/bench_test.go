package cluster_test

import (
	"flag"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/cluster"
	"github.com/oaq/custodia/internal/perf"
	"github.com/oaq/custodia/internal/soak"
)

var (
	benchClients = flag.Int("cluster.clients", 6, "clients at once in each phase of BenchmarkCluster")
	benchSize    = flag.Int64("cluster.size", 32<<20, "bytes per upload in BenchmarkCluster's upload phase")
	benchFiles   = flag.Int("cluster.files", 100, "4 KiB files per client in BenchmarkCluster's small-files phase")
	benchLogins  = flag.Int("cluster.logins", 40, "logins per client in BenchmarkCluster's logins phase")
)

// BenchmarkCluster measures 1, 2 and 3 gateways on one PostgreSQL and
// one versitygw bucket behind HAProxy (deploy/haproxy.cfg), all on
// loopback: aggregate upload MB/s (-cluster.clients SFTP clients, each
// uploading two -cluster.size files), small files/s (each client uploads
// -cluster.files 4 KiB files in one session) and SFTP logins/s (each
// client logs in and out -cluster.logins times), every client through
// HAProxy from an address of its own. For each phase it reports the CPU
// time per operation of each kind of process under the benchmark
// (custodia, postgres, versitygw, haproxy, and bench: the Go clients),
// read from /proc: what bounds the figure. Run it once:
//
//	go test -run '^$' -bench BenchmarkCluster -benchtime 1x ./internal/cluster/
func BenchmarkCluster(b *testing.B) {
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("gateways=%d", n), func(b *testing.B) {
			c := cluster.Start(b, cluster.Options{Gateways: n, Users: *benchClients})
			lb := &perf.Server{Server: &soak.Server{SFTP: c.SFTP, FTP: c.FTP, DAV: c.DAV}, TLS: c.TLS}
			b.Run("upload", func(b *testing.B) {
				phase(b, "MB", float64(*benchSize)*2/1e6, func(i int, s perf.Session) error {
					for j := range 2 {
						if err := s.Upload(fmt.Sprintf("/%s/big-%d-%d-%d.bin", perf.Dept, b.N, i, j), *benchSize); err != nil {
							return err
						}
					}
					return nil
				}, lb)
			})
			b.Run("small", func(b *testing.B) {
				phase(b, "files", float64(*benchFiles), func(i int, s perf.Session) error {
					for j := range *benchFiles {
						if err := s.Upload(fmt.Sprintf("/%s/small-%d-%d-%04d.bin", perf.Dept, b.N, i, j), 4<<10); err != nil {
							return err
						}
					}
					return nil
				}, lb)
			})
			b.Run("logins", func(b *testing.B) {
				phase(b, "logins", float64(*benchLogins), nil, lb)
			})
		})
	}
}

// phase runs one phase with -cluster.clients clients at once and
// reports units/s and each process kind's CPU per unit. Each client does
// work once logged in (perClient units); with work nil, each logs in and
// out perClient times.
func phase(b *testing.B, unit string, perClient float64, work func(i int, s perf.Session) error, lb *perf.Server) {
	var took time.Duration
	var cpu map[string]time.Duration
	for b.Loop() {
		before, err := cluster.CPU()
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		var failed atomic.Value
		start := time.Now()
		for i := range *benchClients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				user, pass := cluster.User(i), perf.Password(i)
				if work == nil {
					for j := range int(perClient) {
						s, err := lb.Dial("sftp", user, pass, i*1000+j)
						if err != nil {
							failed.Store(err)
							return
						}
						s.Close()
					}
					return
				}
				s, err := lb.Dial("sftp", user, pass, i)
				if err != nil {
					failed.Store(err)
					return
				}
				defer s.Close()
				if err := work(i, s); err != nil {
					failed.Store(err)
				}
			}()
		}
		wg.Wait()
		took += time.Since(start)
		if err, _ := failed.Load().(error); err != nil {
			b.Fatal(err)
		}
		after, err := cluster.CPU()
		if err != nil {
			b.Fatal(err)
		}
		cpu = map[string]time.Duration{}
		for k, v := range after {
			cpu[k] += v - before[k]
		}
	}
	units := perClient * float64(*benchClients) * float64(b.N)
	b.ReportMetric(units/took.Seconds(), unit+"/s")
	var kinds []string
	for k, v := range cpu {
		if v > 0 {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	var line []string
	for _, k := range kinds {
		perUnit := float64(cpu[k]) / float64(time.Millisecond) / (perClient * float64(*benchClients))
		b.ReportMetric(perUnit, "cpu-ms/"+strings.TrimSuffix(unit, "s")+"-"+k)
		line = append(line, fmt.Sprintf("%s %.0f%%", k, 100*float64(cpu[k])/float64(took)))
	}
	b.Logf("%.0f %s in %v; CPU, %% of one core over the phase: %s", units, unit, took.Round(time.Millisecond), strings.Join(line, ", "))
}
