package cluster_test

import (
	"bufio"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/cluster"
	"github.com/oaq/custodia/internal/perf"
	"github.com/oaq/custodia/internal/testkit"
)

// receiver is a webhook that records the id of every delivery.
type receiver struct {
	mu  sync.Mutex
	ids map[string]int // event id → deliveries
	n   int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Custodia-Delivery")
	rc.mu.Lock()
	rc.ids[id]++
	rc.n++
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) deliveries() int { rc.mu.Lock(); defer rc.mu.Unlock(); return rc.n }

// leaseHolder is the gateway whose /metrics says it holds the hook's
// lease, or 0.
func leaseHolder(t *testing.T, c *cluster.Cluster, hook string) int {
	t.Helper()
	holder := 0
	for _, g := range c.Gateways {
		resp, err := http.Get(g.Admin + "/metrics")
		if err != nil {
			continue // a killed gateway
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if sc.Text() == `custodia_hook_lease_held{hook="`+hook+`"} 1` {
				holder = g.N
			}
		}
		resp.Body.Close()
	}
	return holder
}

// outboxAfter is the ids of the outbox's events after row id from.
func outboxAfter(t *testing.T, db *sql.DB, from int64) map[string]bool {
	t.Helper()
	rows, err := db.Query(`SELECT event_id FROM outbox WHERE id > $1`, from)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id] = true
	}
	return out
}

// TestClusterOutboxDeliversEachEventOnceAcrossAKill: three gateways
// share one webhook hook; clients upload through HAProxy while the
// gateway holding the hook's lease is killed with SIGKILL (and later
// restarted). Another gateway takes the hook over, and in the end every
// event of the outbox reached the webhook, none twice but, at most, the
// one in flight at the kill (the contract is at least once: such a
// duplicate is counted and logged).
func TestClusterOutboxDeliversEachEventOnceAcrossAKill(t *testing.T) {
	t.Parallel()
	rc := &receiver{ids: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	conf := filepath.Join(t.TempDir(), "custodia.toml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`
[[hooks]]
name = "recorder"
url = "http://%s/events"
secret = "a-secret-of-the-test-0123456789"
timeout = "5s"
backoff = "200ms"
`, ln.Addr())), 0o600); err != nil {
		t.Fatal(err)
	}
	c := cluster.Start(t, cluster.Options{Gateways: 3, Users: 3, Env: []string{"CUSTODIA_CONFIG=" + conf}})
	db, err := sql.Open("pgx", c.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for n := range 3 {
		u := &uploader{c: c, proto: []string{"sftp", "ftps", "webdav"}[n], n: n, user: cluster.User(n), pass: perf.Password(n)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if u.close != nil {
					u.close()
				}
			}()
			for i := 0; i < 2000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				vpath := fmt.Sprintf("/%s/e%d-%04d.txt", perf.Dept, n, i)
				if u.upload(vpath, []byte(vpath)) != nil {
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	testkit.WaitFor(t, 60*time.Second, "the webhook received 20 events", func() bool { return rc.deliveries() >= 20 })
	var holder int
	testkit.WaitFor(t, 10*time.Second, "a gateway holds the hook's lease", func() bool {
		holder = leaseHolder(t, c, "recorder")
		return holder != 0
	})
	before := rc.deliveries()
	c.Kill(holder)
	killed := time.Now()
	testkit.WaitFor(t, 60*time.Second, "another gateway takes the hook over and delivers", func() bool {
		return rc.deliveries() >= before+20
	})
	took := time.Since(killed)
	newHolder := leaseHolder(t, c, "recorder")
	if newHolder == 0 || newHolder == holder {
		t.Errorf("after the kill of gateway %d the lease is held by %d", holder, newHolder)
	}
	if err := c.Restart(holder); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()

	// Every event after the hook's cursor, which the first gateway made
	// at its start, before any user existed: the whole outbox.
	var want map[string]bool
	testkit.WaitFor(t, 60*time.Second, "the webhook received every event of the outbox", func() bool {
		want = outboxAfter(t, db, 0)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for id := range want {
			if rc.ids[id] == 0 {
				return false
			}
		}
		return true
	})
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var dups []string
	for id, n := range rc.ids {
		if !want[id] {
			t.Errorf("the webhook received event %q, which is not in the outbox", id)
		}
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s×%d", id, n))
		}
	}
	t.Logf("%d events, %d deliveries; gateway %d (the lease holder) killed, gateway %d delivered 20 more %v later; duplicates: %v",
		len(want), rc.n, holder, newHolder, took.Round(time.Millisecond), dups)
	if len(dups) > 1 || len(dups) == 1 && !strings.HasSuffix(dups[0], "×2") {
		t.Errorf("events delivered more than once, beyond the one in flight at the kill: %v", dups)
	}
}
