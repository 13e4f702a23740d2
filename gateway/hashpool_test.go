package gateway_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

// TestPasswordChecksBoundedUnderLoad: 60 wrong-password logins at once,
// 20 each over SFTP, FTPS and WebDAV, for users that do not exist (whose
// check costs what a real one does: 19 MiB of argon2id), never run more
// than limits.password_checks checks at once, all fail as ordinary login
// failures, and the heap grows by what those few checks take, not by 60
// of them (over 1 GiB).
//
// Not parallel: it measures the process's heap, which other tests would
// share.
func TestPasswordChecksBoundedUnderLoad(t *testing.T) {
	tg := testkit.Start(t, "CUSTODIA_LIMITS_PASSWORD_CHECKS=2", "CUSTODIA_LIMITS_PASSWORD_WAIT=500ms",
		"CUSTODIA_DEFENDER_ENABLED=false", "CUSTODIA_LIMITS_MAX_CONNECTIONS_PER_IP=0", "CUSTODIA_LIMITS_MAX_UNAUTHENTICATED=0",
		"CUSTODIA_LIMITS_MAX_CONNECTIONS=0")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan string, 60)
	for i := range 20 {
		name := fmt.Sprintf("nobody%d", i)
		wg.Add(3)
		go func() {
			defer wg.Done()
			if c, err := tg.Dial(name, "Wrong-Password-99"); err == nil {
				c.Close()
				errs <- "an SFTP login with a wrong password succeeded"
			}
		}()
		go func() {
			defer wg.Done()
			if c, err := tg.DialFTP(name, "Wrong-Password-99"); err == nil {
				c.Quit()
				errs <- "an FTPS login with a wrong password succeeded"
			}
		}()
		go func() {
			defer wg.Done()
			r, err := tg.DAVAs(name, "Wrong-Password-99").Try("PROPFIND", "/", "", "Depth", "0")
			if err != nil || r.Code != 401 {
				errs <- fmt.Sprintf("a WebDAV request with a wrong password: %v %d, want 401", err, r.Code)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	growth := int64(peak) - int64(base)
	t.Logf("heap: %d MiB before, peak %d MiB during 60 wrong-password logins (growth %d MiB); checks rejected: %v",
		base>>20, peak>>20, growth>>20, gauge(t, tg, "custodia_password_checks_rejected_total"))
	if p := gauge(t, tg, "custodia_password_checks_peak"); p < 1 || p > 2 {
		t.Errorf("at most %v password checks ran at once, want 1 or 2 (the pool's size)", p)
	}
	if limit := int64(300 << 20); growth > limit {
		t.Errorf("the heap grew by %d MiB during 60 failed logins, want under %d MiB (two 19 MiB checks at once)", growth>>20, limit>>20)
	}
}
