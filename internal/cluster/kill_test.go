package cluster_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/oaq/custodia/internal/cluster"
	"github.com/oaq/custodia/internal/perf"
	"github.com/oaq/custodia/internal/testkit"
)

// uploader keeps one client's session through HAProxy and logs in again
// after an error (its gateway may have died).
type uploader struct {
	c          *cluster.Cluster
	proto      string
	n          int // client number: its address and user
	user, pass string
	close      func()
	put        func(vpath string, b []byte) error
}

func (u *uploader) upload(vpath string, b []byte) error {
	if u.put == nil {
		if err := u.login(); err != nil {
			return fmt.Errorf("login: %w", err)
		}
	}
	err := u.put(vpath, b)
	if err != nil {
		u.close()
		u.put = nil
	}
	return err
}

func (u *uploader) login() error {
	r := u.c.ViaLB(u.n)
	switch u.proto {
	case "sftp":
		sc, err := u.c.DialSFTP(r, u.user, u.pass)
		if err != nil {
			return err
		}
		u.close = func() { sc.Close() }
		u.put = func(vpath string, b []byte) error {
			f, err := sc.Create(vpath)
			if err != nil {
				return err
			}
			if _, err := f.ReadFrom(bytes.NewReader(b)); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}
	case "ftps":
		fc, err := u.c.DialFTPS(r, u.user, u.pass)
		if err != nil {
			return err
		}
		u.close = func() { fc.Quit() }
		u.put = func(vpath string, b []byte) error { return fc.Stor(vpath, bytes.NewReader(b)) }
	case "webdav":
		hc := u.c.HTTPClient(r)
		if err := davPing(u.c, hc, u.user, u.pass); err != nil {
			return err
		}
		u.close = hc.CloseIdleConnections
		u.put = func(vpath string, b []byte) error {
			req, _ := http.NewRequest(http.MethodPut, "https://"+u.c.DAV+vpath, bytes.NewReader(b))
			req.SetBasicAuth(u.user, u.pass)
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
				return fmt.Errorf("PUT %s: %s", vpath, resp.Status)
			}
			return nil
		}
	}
	return nil
}

// davPing is a PROPFIND of the department's folder: a WebDAV login.
func davPing(c *cluster.Cluster, hc *http.Client, user, pass string) error {
	req, _ := http.NewRequest("PROPFIND", "https://"+c.DAV+"/"+perf.Dept+"/", nil)
	req.Header.Set("Depth", "0")
	req.SetBasicAuth(user, pass)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		return fmt.Errorf("PROPFIND: %s", resp.Status)
	}
	return nil
}

// sessions is how many sessions a gateway holds now (its admin API's
// /metrics, which loopback reads without a key).
func sessions(t *testing.T, g *cluster.Gateway) int {
	t.Helper()
	resp, err := http.Get(g.Admin + "/metrics")
	if err != nil {
		t.Fatalf("gateway %d's /metrics: %v", g.N, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "custodia_sessions_active "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return int(n)
		}
	}
	t.Fatalf("gateway %d's /metrics has no custodia_sessions_active", g.N)
	return 0
}

// TestClusterKillOneGatewayMidUploads has six clients (two per protocol)
// upload through HAProxy without pause while one gateway, holding some of
// their sessions, is killed with SIGKILL and later restarted. The others
// keep serving: logins through the balancer succeed again within 10 s of
// the kill. Afterwards every upload a client saw acknowledged is in the
// bucket with its sha256 and has its ok audit row, and nothing is
// half-visible: every file the department's folder lists has an ok audit
// row of its size.
func TestClusterKillOneGatewayMidUploads(t *testing.T) {
	t.Parallel()
	c := cluster.Start(t, cluster.Options{Gateways: 3, Users: 6})
	const size = 3 << 20
	dir := "/" + perf.Dept + "/"

	type ack struct{ vpath, sum string }
	var (
		mu    sync.Mutex
		acked []ack
		fails = map[string]int{} // failed attempts per protocol: sessions the kill ended, and their retries
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	protos := []string{"sftp", "ftps", "webdav"}
	for n := range 6 {
		u := &uploader{c: c, proto: protos[n%3], n: n, user: cluster.User(n), pass: perf.Password(n)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if u.close != nil {
					u.close()
				}
			}()
			for i := 0; i < 500; i++ { // bounded; stop ends it sooner
				select {
				case <-stop:
					return
				default:
				}
				vpath := fmt.Sprintf("%sc%d-%s-%03d.bin", dir, n, u.proto, i)
				b := content(vpath, size)
				if err := u.upload(vpath, b); err != nil {
					mu.Lock()
					fails[u.proto]++
					mu.Unlock()
					time.Sleep(50 * time.Millisecond) // a refused login is retried, not spun on
					continue
				}
				mu.Lock()
				acked = append(acked, ack{vpath, sum(b)})
				mu.Unlock()
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	testkit.WaitFor(t, 60*time.Second, "the clients acknowledged 12 uploads", func() bool { return count() >= 12 })

	// The victim: a gateway that holds sessions now.
	victim := 0
	for _, g := range c.Gateways {
		if sessions(t, g) > 0 {
			victim = g.N
			break
		}
	}
	if victim == 0 {
		t.Fatal("no gateway holds a session while six clients upload")
	}
	before := count()
	c.Kill(victim)
	killed := time.Now()

	// New logins through the balancer, from fresh addresses, succeed
	// again within a bounded time (HAProxy redispatches a refused
	// connection; its checks take the dead gateway out).
	probe := 0
	testkit.WaitFor(t, 10*time.Second, "logins through HAProxy succeed 6 times in a row after the kill", func() bool {
		for ok := 0; ok < 6; ok++ {
			probe++
			sc, err := c.DialSFTP(c.ViaLB(50+probe), cluster.User(0), perf.Password(0))
			if err != nil {
				return false
			}
			sc.Close()
		}
		return true
	})
	t.Logf("gateway %d killed with %d uploads acknowledged; 6 logins in a row through HAProxy %v later", victim, before, time.Since(killed).Round(time.Millisecond))
	testkit.WaitFor(t, 60*time.Second, "the clients go on uploading after the kill", func() bool { return count() >= before+12 })
	if err := c.Restart(victim); err != nil {
		t.Fatal(err)
	}
	after := count()
	testkit.WaitFor(t, 60*time.Second, "the clients go on uploading after the restart", func() bool { return count() >= after+6 })
	close(stop)
	wg.Wait()
	mu.Lock()
	t.Logf("%d uploads acknowledged; failed attempts (sessions on the killed gateway, and their retries): %v", len(acked), fails)
	if len(fails) == 0 {
		t.Errorf("the kill of gateway %d interrupted no client: nothing was in flight on it", victim)
	}
	mu.Unlock()

	// Every acknowledged upload: in the bucket, whole, and audited ok.
	s3 := c.S3.Client(t)
	rows := uploads(t, c)
	objects := map[string]minio.ObjectInfo{}
	for oi := range s3.ListObjects(context.Background(), c.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if oi.Err != nil {
			t.Fatal(oi.Err)
		}
		objects[oi.Key] = oi
	}
	for _, a := range acked {
		key := objectKey(objects, a.vpath)
		if key == "" {
			t.Errorf("acknowledged upload %s is not in the bucket", a.vpath)
			continue
		}
		obj, err := s3.GetObject(context.Background(), c.Bucket, key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		_, err = io.Copy(h, obj)
		obj.Close()
		if got := hex.EncodeToString(h.Sum(nil)); err != nil || got != a.sum {
			t.Errorf("acknowledged upload %s is in the bucket with sha256 %s (%v), want %s", a.vpath, got, err, a.sum)
		}
		if !okRow(rows[a.vpath], a.sum, size) {
			t.Errorf("acknowledged upload %s has no ok audit row with its sha256: %+v", a.vpath, rows[a.vpath])
		}
	}
	// Nothing half-visible: what the folder lists was audited whole.
	sc, err := c.DialSFTP(c.ViaLB(140), cluster.User(0), perf.Password(0))
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	listed, err := sc.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range listed {
		rs := rows[dir+fi.Name()]
		if fi.Size() != size || !okRow(rs, "", size) {
			t.Errorf("%s is listed (%d bytes) without an ok audit row of %d bytes: %+v", fi.Name(), fi.Size(), size, rs)
		}
	}
	if len(listed) < len(acked) {
		t.Errorf("the folder lists %d files, fewer than the %d acknowledged uploads", len(listed), len(acked))
	}
}

// objectKey finds the bucket's key of a virtual path (the files' layout
// is the storage's business: match on the department's path).
func objectKey(objects map[string]minio.ObjectInfo, vpath string) string {
	want := "departments" + vpath
	for k := range objects {
		if strings.HasSuffix(k, want) && !strings.Contains(path.Dir(k), ".incoming") {
			return k
		}
	}
	return ""
}

// okRow says whether rows hold one ok row of n bytes (and sha256 sum,
// unless sum is "").
func okRow(rows []auditRow, sum string, n int64) bool {
	ok := 0
	for _, r := range rows {
		if r.Result == "ok" && r.Bytes == n && (sum == "" || r.SHA256 == sum) {
			ok++
		}
	}
	return ok == 1
}
