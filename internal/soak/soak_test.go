package soak_test

import (
	"context"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/soak"
)

// The soak's settings; the defaults make a run of about half a minute.
var (
	duration = flag.Duration("soak.duration", 30*time.Second, "how long the sessions are held")
	sessions = flag.Int("soak.sessions", 500, "concurrent sessions (honest and strangers)")
	sample   = flag.Duration("soak.sample", 0, "how often the server's memory and descriptors are read (0: duration/15, 2s to 10s)")
	ramp     = flag.Duration("soak.ramp", 0, "sessions start spread over this (0: a third of the duration, at most 1m); the samples after it and after every honest session logged in are the steady state")
	logins   = flag.Int("soak.logins", 4, "honest logins in flight at most")
	keep     = flag.Bool("soak.keep", false, "keep the scratch dir (binary, data dir, server log)")
)

// BenchmarkSoak holds -soak.sessions sessions (SFTP, FTPS and WebDAV;
// idle, moving small and medium files, anonymous, failing logins) against
// a custodia process for -soak.duration, then prints the server's memory
// and descriptors over time, latency per protocol and operation, and the
// errors honest clients saw, which fail the run. It runs once whatever
// b.N is:
//
//	go test -run '^$' -bench Soak ./internal/soak -soak.duration=10m -soak.sessions=500
func BenchmarkSoak(b *testing.B) {
	o := soak.Options{Duration: *duration, Sessions: *sessions, Sample: *sample, Ramp: *ramp, Logins: *logins, Progress: os.Stderr}
	if o.Sample == 0 {
		o.Sample = min(max(o.Duration/15, 2*time.Second), 10*time.Second)
	}
	if o.Ramp == 0 {
		o.Ramp = min(o.Duration/3, time.Minute)
	}
	dir, err := os.MkdirTemp("", "custodia-soak-")
	if err != nil {
		b.Fatal(err)
	}
	o.Dir = dir
	if *keep {
		b.Logf("scratch dir (kept): %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	st, samples, err := soak.Run(context.Background(), o)
	if st != nil {
		st.Report(os.Stdout, o, samples)
		b.ReportMetric(float64(st.HonestErrors()), "honest-errors")
		for _, p := range []string{"sftp", "ftps", "webdav"} {
			b.ReportMetric(float64(st.P99(p).Microseconds())/1000, p+"-p99-ms")
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	if n := st.HonestErrors(); n > 0 {
		b.Errorf("honest clients saw %d errors (want 0); run with -soak.keep to read the server's log", n)
	}
}
