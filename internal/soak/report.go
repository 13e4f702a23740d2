package soak

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Stats collects what the clients saw. It is safe for concurrent use.
type Stats struct {
	mu       sync.Mutex
	lat      map[[2]string][]time.Duration // {proto, op} → latencies of honest operations
	errs     map[string]int                // proto → honest errors
	samples  map[string][]string           // proto → the first few honest error texts
	expected map[[2]string]int             // {who, what} → expected refusals and closes
	up       int                           // honest sessions logged in now
	first    int                           // honest sessions that logged in at least once
	ops      int
}

func newStats() *Stats {
	return &Stats{lat: map[[2]string][]time.Duration{}, errs: map[string]int{}, samples: map[string][]string{},
		expected: map[[2]string]int{}}
}

// op records an honest operation that succeeded.
func (s *Stats) op(proto, op string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{proto, op}
	s.lat[k] = append(s.lat[k], d)
	s.ops++
}

// fail records an error an honest client saw.
func (s *Stats) fail(proto, op string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs[proto]++
	if len(s.samples[proto]) < 5 {
		s.samples[proto] = append(s.samples[proto], op+": "+err.Error())
	}
}

// expect records a refusal or close that a stranger should get.
func (s *Stats) expect(who, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expected[[2]string{who, what}]++
}

// session counts an honest session in (+1) or out (-1).
func (s *Stats) session(delta int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.up += delta
}

// start counts an honest session's first login.
func (s *Stats) start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.first++
}

func (s *Stats) started() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

func (s *Stats) now() (up, ops int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.up, s.ops
}

// HonestErrors is the number of errors honest clients saw.
func (s *Stats) HonestErrors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.errs {
		n += e
	}
	return n
}

// P99 is the 99th percentile latency of every honest operation of proto.
func (s *Stats) P99(proto string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []time.Duration
	for k, v := range s.lat {
		if k[0] == proto && k[1] != "login" {
			all = append(all, v...)
		}
	}
	slices.Sort(all)
	return pct(all, 99)
}

// Sample is one reading of the server's usage during the run.
type Sample struct {
	At       time.Duration // since the start
	Usage    Usage
	Up, Ops  int // honest sessions logged in, honest operations so far
	Rampdone bool
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// Report prints the run's tables.
func (s *Stats) Report(w io.Writer, o Options, samples []Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(w, "\nsoak: %d sessions for %s against one custodia process (SFTP, FTPS, WebDAV on loopback); %d honest logins at a time, ramp %s\n",
		o.Sessions, o.Duration, o.Logins, o.Ramp)

	fmt.Fprintf(w, "\nserver usage over time (from /proc/<pid>):\n")
	fmt.Fprintf(w, "%8s %9s %6s %8s %8s %9s\n", "t", "rss MiB", "fds", "threads", "honest", "ops")
	for _, x := range samples {
		mark := ""
		if !x.Rampdone {
			mark = " (ramp)"
		}
		fmt.Fprintf(w, "%8s %9.1f %6d %8d %8d %9d%s\n", x.At.Round(time.Second), float64(x.Usage.RSSKiB)/1024,
			x.Usage.FDs, x.Usage.Threads, x.Up, x.Ops, mark)
	}
	fmt.Fprintln(w, drift(samples))

	fmt.Fprintf(w, "\nhonest operations (latency in ms):\n")
	fmt.Fprintf(w, "%-7s %-10s %8s %8s %8s %8s\n", "proto", "op", "count", "p50", "p99", "max")
	keys := make([][2]string, 0, len(s.lat))
	for k := range s.lat {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i][0] < keys[j][0] || keys[i][0] == keys[j][0] && keys[i][1] < keys[j][1]
	})
	for _, proto := range []string{"sftp", "ftps", "webdav"} {
		var all []time.Duration
		for _, k := range keys {
			if k[0] != proto {
				continue
			}
			v := s.lat[k]
			slices.Sort(v)
			fmt.Fprintf(w, "%-7s %-10s %8d %8s %8s %8s\n", proto, k[1], len(v), ms(pct(v, 50)), ms(pct(v, 99)), ms(v[len(v)-1]))
			if k[1] != "login" {
				all = append(all, v...)
			}
		}
		slices.Sort(all)
		if len(all) > 0 {
			fmt.Fprintf(w, "%-7s %-10s %8d %8s %8s %8s\n", proto, "all but login", len(all), ms(pct(all, 50)), ms(pct(all, 99)), ms(all[len(all)-1]))
		}
	}

	fmt.Fprintf(w, "\nerrors seen by honest clients (must be 0):\n")
	total := 0
	for _, proto := range []string{"sftp", "ftps", "webdav"} {
		total += s.errs[proto]
		fmt.Fprintf(w, "%-7s %6d\n", proto, s.errs[proto])
		for _, e := range s.samples[proto] {
			fmt.Fprintf(w, "        e.g. %s\n", e)
		}
	}
	fmt.Fprintf(w, "%-7s %6d\n", "total", total)

	fmt.Fprintf(w, "\nexpected refusals and closes (anonymous and failing-login clients):\n")
	ek := make([][2]string, 0, len(s.expected))
	for k := range s.expected {
		ek = append(ek, k)
	}
	sort.Slice(ek, func(i, j int) bool { return ek[i][0]+ek[i][1] < ek[j][0]+ek[j][1] })
	for _, k := range ek {
		fmt.Fprintf(w, "%-22s %-40s %7d\n", k[0], k[1], s.expected[k])
	}
}

// drift compares the first and the second half of the samples after the
// ramp (median and peak; single samples swing with the garbage collector):
// flat or not.
func drift(samples []Sample) string {
	var steady []Sample
	for _, x := range samples {
		if x.Rampdone {
			steady = append(steady, x)
		}
	}
	if len(steady) < 4 {
		return "too few samples after the ramp to tell whether memory and descriptors are flat"
	}
	half := len(steady) / 2
	rss := func(xs []Sample) (med, peak float64) {
		v := make([]float64, len(xs))
		for i, x := range xs {
			v[i] = float64(x.Usage.RSSKiB) / 1024
		}
		slices.Sort(v)
		return v[len(v)/2], v[len(v)-1]
	}
	fds := func(xs []Sample) (med, peak int) {
		v := make([]int, len(xs))
		for i, x := range xs {
			v[i] = x.Usage.FDs
		}
		slices.Sort(v)
		return v[len(v)/2], v[len(v)-1]
	}
	m1, p1 := rss(steady[:half])
	m2, p2 := rss(steady[half:])
	f1, g1 := fds(steady[:half])
	f2, g2 := fds(steady[half:])
	var b strings.Builder
	fmt.Fprintf(&b, "after the ramp, first half → second half: rss median %.1f → %.1f MiB, peak %.1f → %.1f MiB; fds median %d → %d, peak %d → %d",
		m1, m2, p1, p2, f1, f2, g1, g2)
	return b.String()
}
