package soak

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Options configure a soak run.
type Options struct {
	Duration time.Duration // how long every session is held
	Sessions int           // concurrent sessions, honest and strangers together
	Sample   time.Duration // how often the server's /proc entries are read
	Ramp     time.Duration // sessions start spread over this much of Duration
	Logins   int           // honest logins in flight at most (people do not all log in in the same second)
	Dir      string        // a scratch dir: the binary, the data dir, the server's log
	Progress io.Writer     // a line per sample while it runs; nil for none
}

// The mix, per 20 sessions: 8 idle, 7 moving small files, 2 moving medium
// files, 2 anonymous, 1 failing logins; the protocol turns with each
// session, so every kind runs over SFTP, FTPS and WebDAV.
const (
	kindIdle      = "idle"
	kindSmall     = "small"
	kindMedium    = "medium"
	kindAnonymous = "anonymous"
	kindFailing   = "failing"
)

func kindOf(i int) string {
	switch b := i % 20; {
	case b < 8:
		return kindIdle
	case b < 15:
		return kindSmall
	case b < 17:
		return kindMedium
	case b < 19:
		return kindAnonymous
	}
	return kindFailing
}

var protocols = [3]string{"sftp", "ftps", "webdav"}

// honestUsers is how many staff accounts the honest sessions share.
const honestUsers = 25

// perAddress is how many sessions share one client address: under the
// default per-address limit (20), which stays in force.
const perAddress = 10

// Run builds custodia, serves a fresh data dir from a separate process,
// holds o.Sessions sessions against it for o.Duration, and returns what
// the clients saw and the server's usage over time.
func Run(ctx context.Context, o Options) (*Stats, []Sample, error) {
	bin, err := Build(ctx, o.Dir)
	if err != nil {
		return nil, nil, err
	}
	srv, err := Start(ctx, bin, o.Dir,
		// Every session is admitted: the total limit is above the run's
		// sessions (the per-address limit keeps its default).
		fmt.Sprintf("CUSTODIA_LIMITS_MAX_CONNECTIONS=%d", 2*o.Sessions+100),
	)
	if err != nil {
		return nil, nil, err
	}
	stopped := false
	defer func() {
		if !stopped {
			srv.Stop()
		}
	}()
	pass := func(u int) string { return fmt.Sprintf("Soak-pass-%02d-2026", u) }
	for u := range honestUsers {
		if _, err := srv.CLI(ctx, pass(u)+"\n", "user", "add", fmt.Sprintf("soak%02d", u),
			"--role", "staff", "--department", "operaciones", "--password-stdin"); err != nil {
			return nil, nil, err
		}
	}
	pem, err := os.ReadFile(filepath.Join(srv.DataDir, "keys", "tls.crt"))
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tlsc := &tls.Config{RootCAs: pool, ServerName: "localhost", ClientSessionCache: tls.NewLRUClientSessionCache(64)}

	st := newStats()
	gate := make(chan struct{}, max(o.Logins, 1))
	honest := 0
	for i := range o.Sessions {
		if k := kindOf(i); k != kindAnonymous && k != kindFailing {
			honest++
		}
	}
	run, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range o.Sessions {
		kind, proto := kindOf(i), protocols[i%3]
		t := target{srv: srv, tls: tlsc, user: fmt.Sprintf("soak%02d", i%honestUsers), pass: pass(i % honestUsers)}
		delay := o.Ramp * time.Duration(i) / time.Duration(o.Sessions)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !sleep(run, delay) {
				return
			}
			switch kind {
			case kindAnonymous:
				t.local = loopback(3, i/perAddress)
				runAnonymous(run, st, t, proto)
			case kindFailing:
				runFailing(run, st, t, proto, i)
			default:
				t.local = loopback(1, i/perAddress)
				runHonest(run, st, gate, t, proto, kind, i)
			}
		}()
	}

	var samples []Sample
	tick := time.NewTicker(o.Sample)
	defer tick.Stop()
	take := func() {
		u, err := ReadUsage(srv.Pid())
		if err != nil {
			return
		}
		up, ops := st.now()
		x := Sample{At: time.Since(start), Usage: u, Up: up, Ops: ops,
			Rampdone: time.Since(start) >= o.Ramp && st.started() == honest}
		samples = append(samples, x)
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "soak: %6s rss %.1f MiB, %d fds, %d threads, %d honest sessions, %d ops, %d honest errors\n",
				x.At.Round(time.Second), float64(u.RSSKiB)/1024, u.FDs, u.Threads, up, ops, st.HonestErrors())
		}
	}
	take()
	for loop := true; loop; {
		select {
		case <-run.Done():
			loop = false
		case <-tick.C:
			if run.Err() == nil { // a tick at the very end would see sessions closing
				take()
			}
		}
	}
	wg.Wait()
	stopped = true
	if err := srv.Stop(); err != nil {
		return st, samples, fmt.Errorf("the server did not stop cleanly: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return st, samples, err
	}
	return st, samples, nil
}

// runHonest logs in (through gate), works the way its kind does until the
// run ends, and logs in again after an error (each error counted once).
func runHonest(ctx context.Context, st *Stats, gate chan struct{}, t target, proto, kind string, id int) {
	dial := map[string]func(target) (session, error){"sftp": dialSFTP, "ftps": dialFTP, "webdav": dialDAV}[proto]
	rng := rand.New(rand.NewPCG(uint64(id), 1))
	first := true
	for n := 0; ctx.Err() == nil; {
		select {
		case gate <- struct{}{}:
		case <-ctx.Done():
			return
		}
		begin := time.Now()
		s, err := dial(t)
		<-gate
		if err != nil {
			if ctx.Err() == nil {
				st.fail(proto, "login", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		st.op(proto, "login", time.Since(begin))
		st.session(1)
		if first {
			st.start()
			first = false
		}
		err = work(ctx, st, s, rng, proto, kind, id, &n)
		st.session(-1)
		s.close()
		if err != nil {
			sleep(ctx, time.Second)
		}
	}
}

// work runs one session's operations until ctx ends or one fails.
func work(ctx context.Context, st *Stats, s session, rng *rand.Rand, proto, kind string, id int, n *int) error {
	timed := func(op string, f func() error) error {
		begin := time.Now()
		err := f()
		if err != nil {
			st.fail(proto, op, err)
			return err
		}
		st.op(proto, op, time.Since(begin))
		return nil
	}
	for {
		if kind == kindIdle {
			if !sleep(ctx, time.Duration(10+rng.IntN(10))*time.Second) {
				return nil
			}
			if err := timed("keepalive", s.keepalive); err != nil {
				return err
			}
			continue
		}
		size, think := 1<<10+rng.IntN(63<<10), 500+rng.IntN(1000)
		if kind == kindMedium {
			size, think = 1<<20+rng.IntN(3<<20), 1000+rng.IntN(2000)
		}
		body := make([]byte, size)
		for i := range body {
			body[i] = byte(rng.Uint32())
		}
		*n++
		vpath := fmt.Sprintf("/operaciones/soak-%03d-%05d.txt", id, *n)
		if err := timed("put "+kind, func() error { return s.put(vpath, body) }); err != nil {
			return err
		}
		if err := timed("get "+kind, func() error {
			got, err := s.get(vpath)
			if err == nil && !bytes.Equal(got, body) {
				err = fmt.Errorf("%s: read back %d bytes that differ from the %d written", vpath, len(got), len(body))
			}
			return err
		}); err != nil {
			return err
		}
		if err := timed("delete", func() error { return s.remove(vpath) }); err != nil {
			return err
		}
		if !sleep(ctx, time.Duration(think)*time.Millisecond) {
			return nil
		}
	}
}
