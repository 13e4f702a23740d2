package gateway

import (
	"context"
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// errHashBusy is the cause (for the audit row) of a login refused because
// every password check slot stayed busy for the pool's wait.
var errHashBusy = errors.New("password checks busy")

// HashPoolOptions size the pool that bounds concurrent argon2id checks.
type HashPoolOptions struct {
	Size int           // checks at once; 0: HashPoolSize()
	Wait time.Duration // how long an attempt waits for a slot before it fails; 0: 3 s
}

// maxHashPool caps the pool sized from memory.
const maxHashPool = 64

// HashPoolSize is the default pool size: a quarter of the memory the
// process may use (its cgroup's limit, or the machine's RAM) divided by
// what one check at DefaultPasswordCost takes, capped by one check per
// CPU and maxHashPool; at least 1. argon2id at p=1 keeps one CPU busy
// for the whole check, so more checks than CPUs at once do not log
// anyone in sooner: they only hold 19 MiB more each (issue 17 measured
// four per CPU taking the server past 250 MiB for 20 logins).
func HashPoolSize() int {
	perHash := int64(DefaultPasswordCost().MemoryKiB) * 1024
	n := int(memoryLimit() / 4 / perHash)
	return max(1, min(n, runtime.GOMAXPROCS(0), maxHashPool))
}

// releaseAfter is how long the pool stays idle after a check before it
// hands the memory its checks left behind back to the system.
const releaseAfter = time.Second

// memoryLimit is the cgroup's memory limit (v2, then v1) when it is below
// the machine's RAM, else the RAM; 1 GiB when neither can be read.
func memoryLimit() int64 {
	ram := memTotal()
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (ram == 0 || n < ram) {
			return n
		}
	}
	if ram == 0 {
		return 1 << 30
	}
	return ram
}

// memTotal is MemTotal from /proc/meminfo in bytes, 0 when unknown.
func memTotal() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				if kib, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return kib * 1024
				}
			}
		}
	}
	return 0
}

// hashPool runs argon2id checks, at most size at once, for every protocol
// and the admin API: each check takes tens of MiB, so unbounded attempts
// would take the process's memory.
type hashPool struct {
	slots chan struct{}
	wait  time.Duration
	m     *metrics

	mu      sync.Mutex
	inUse   int
	peak    int         // the most checks ever run at once
	release *time.Timer // armed when the last check running ends

	collecting atomic.Bool // a collection after a check is running
}

func newHashPool(o HashPoolOptions, m *metrics) *hashPool {
	if o.Size <= 0 {
		o.Size = HashPoolSize()
	}
	if o.Wait <= 0 {
		o.Wait = 3 * time.Second
	}
	return &hashPool{slots: make(chan struct{}, o.Size), wait: o.Wait, m: m}
}

// verify checks pw against hash in a slot of the pool. An attempt that
// finds no free slot within the pool's wait, or whose ctx ends first,
// fails with errHashBusy without hashing.
func (p *hashPool) verify(ctx context.Context, hash, pw string) (bool, error) {
	t := time.NewTimer(p.wait)
	defer t.Stop()
	select {
	case p.slots <- struct{}{}:
	case <-t.C:
		p.m.hashRejected()
		return false, errHashBusy
	case <-ctx.Done():
		p.m.hashRejected()
		return false, errHashBusy
	}
	p.enter()
	defer func() {
		p.leave()
		<-p.slots
		p.collect()
	}()
	return VerifyPassword(hash, pw)
}

// collect starts a collection once a check has ended, unless one it
// started is still running: the check left its garbage, and the
// sessions logged in meanwhile keep what they allocated. Left to the
// collector's own pace, which a check's 19 MiB put far off, logins one
// after another spread the sessions' lasting objects among the checks'
// garbage, and the heap could not give those pages back: an idle FTPS
// session held 57 KiB, 23 with a collection after each check (issue 17,
// go run ./bench -only custodia,idle). It runs on a goroutine of its own,
// so no login waits for it, and at most one at a time, so a flood of
// attempts adds at most one collection running beside argon2's work.
func (p *hashPool) collect() {
	if !p.collecting.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer p.collecting.Store(false)
		runtime.GC()
	}()
}

func (p *hashPool) enter() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inUse++
	p.peak = max(p.peak, p.inUse)
	p.m.hashInUse(p.inUse, p.peak)
}

func (p *hashPool) leave() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inUse--
	p.m.hashInUse(p.inUse, p.peak)
	if p.inUse > 0 {
		return
	}
	if p.release == nil {
		p.release = time.AfterFunc(releaseAfter, p.releaseMemory)
	} else {
		p.release.Reset(releaseAfter)
	}
}

// releaseMemory returns the heap a burst of checks left behind to the
// system once the pool has been idle for releaseAfter. Each check
// running at once holds 19 MiB of argon2 blocks (our copy of
// x/crypto/argon2 holds the last area weakly for the next check, so
// checks one after another reuse one), and the collector, which saw them live,
// sets its next goal at twice that: the process would keep hundreds of
// MiB it no longer uses until something allocates that much again, which
// the upload paths never do (they copy through fixed buffers). When the
// burst is over, a forced collection and the return of the freed pages
// (debug.FreeOSMemory collects too) cost a few
// milliseconds of a CPU, against the seconds of CPU the burst took; a
// check still running postpones them.
func (p *hashPool) releaseMemory() {
	p.mu.Lock()
	idle := p.inUse == 0
	p.mu.Unlock()
	if idle {
		debug.FreeOSMemory()
	}
}

// size is the number of checks the pool runs at once.
func (p *hashPool) size() int { return cap(p.slots) }
