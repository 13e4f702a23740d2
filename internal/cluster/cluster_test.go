package cluster_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to read the shared audit trail
	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/internal/cluster"
	"github.com/oaq/custodia/internal/perf"
)

func TestMain(m *testing.M) {
	code := m.Run()
	cluster.RemoveBinary()
	os.Exit(code)
}

// content is a file's body, different per name.
func content(name string, size int) []byte {
	b := make([]byte, size)
	seed := sha256.Sum256([]byte(name))
	for i := 0; i < size; i += len(seed) {
		seed = sha256.Sum256(seed[:])
		copy(b[i:], seed[:])
	}
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// auditRow is an upload's row in the shared audit trail.
type auditRow struct {
	User, Remote, Protocol, VPath, SHA256, Result string
	Bytes                                         int64
}

// uploads reads the upload rows of the shared database, by virtual path.
func uploads(t *testing.T, c *cluster.Cluster) map[string][]auditRow {
	t.Helper()
	db, err := sql.Open("pgx", c.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT user_name, remote, protocol, vpath, sha256, result, bytes FROM audit WHERE action IN ('write', 'overwrite') ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]auditRow{}
	for rows.Next() {
		var r auditRow
		if err := rows.Scan(&r.User, &r.Remote, &r.Protocol, &r.VPath, &r.SHA256, &r.Result, &r.Bytes); err != nil {
			t.Fatal(err)
		}
		out[r.VPath] = append(out[r.VPath], r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestClusterUploadOnOneGatewayDownloadOnAnother uploads a file through
// each gateway over each protocol (the client pinned to that gateway by
// dialing it with a PROXY header, as HAProxy does) and downloads it
// through another gateway: one database, one bucket, and the audit row
// names the client, not the proxy.
func TestClusterUploadOnOneGatewayDownloadOnAnother(t *testing.T) {
	t.Parallel()
	c := cluster.Start(t, cluster.Options{Gateways: 3, Users: 1})
	user, pass := cluster.User(0), perf.Password(0)
	dir := "/" + perf.Dept + "/"
	for g := 1; g <= 3; g++ {
		other := g%3 + 1
		up, down := c.Pinned(g, g), c.Pinned(other, 10+g)
		t.Run(fmt.Sprintf("gw%d-to-gw%d", g, other), func(t *testing.T) {
			files := map[string][]byte{}
			// SFTP
			name := fmt.Sprintf("sftp-via-gw%d.bin", g)
			files[name] = content(name, 300<<10)
			sc, err := c.DialSFTP(up, user, pass)
			if err != nil {
				t.Fatalf("sftp login on gateway %d: %v", g, err)
			}
			f, err := sc.Create(dir + name)
			if err == nil {
				_, err = f.ReadFrom(bytes.NewReader(files[name]))
				err = errorsJoin(err, f.Close())
			}
			sc.Close()
			if err != nil {
				t.Fatalf("sftp upload on gateway %d: %v", g, err)
			}
			// FTPS
			name = fmt.Sprintf("ftps-via-gw%d.bin", g)
			files[name] = content(name, 200<<10)
			fc, err := c.DialFTPS(up, user, pass)
			if err != nil {
				t.Fatalf("ftps login on gateway %d: %v", g, err)
			}
			if err := fc.Stor(dir+name, bytes.NewReader(files[name])); err != nil {
				t.Fatalf("ftps upload on gateway %d: %v", g, err)
			}
			fc.Quit()
			// WebDAV
			name = fmt.Sprintf("dav-via-gw%d.bin", g)
			files[name] = content(name, 100<<10)
			req, _ := http.NewRequest(http.MethodPut, "https://"+c.DAV+dir+name, bytes.NewReader(files[name]))
			req.SetBasicAuth(user, pass)
			hc := c.HTTPClient(up)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("webdav upload on gateway %d: %v", g, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("webdav upload on gateway %d: %s", g, resp.Status)
			}

			// Every file, over every protocol, through the other gateway.
			sc, err = c.DialSFTP(down, user, pass)
			if err != nil {
				t.Fatalf("sftp login on gateway %d: %v", other, err)
			}
			defer sc.Close()
			fc, err = c.DialFTPS(down, user, pass)
			if err != nil {
				t.Fatalf("ftps login on gateway %d: %v", other, err)
			}
			defer fc.Quit()
			hc = c.HTTPClient(down)
			for name, want := range files {
				f, err := sc.Open(dir + name)
				if err != nil {
					t.Fatalf("gateway %d does not serve %s (uploaded through gateway %d) over sftp: %v", other, name, g, err)
				}
				got, err := io.ReadAll(f)
				f.Close()
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("sftp download of %s from gateway %d: %d bytes (%v), want %d", name, other, len(got), err, len(want))
				}
				r, err := fc.Retr(dir + name)
				if err != nil {
					t.Fatalf("ftps download of %s from gateway %d: %v", name, other, err)
				}
				got, err = io.ReadAll(r)
				r.Close()
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("ftps download of %s from gateway %d: %d bytes (%v), want %d", name, other, len(got), err, len(want))
				}
				req, _ := http.NewRequest(http.MethodGet, "https://"+c.DAV+dir+name, nil)
				req.SetBasicAuth(user, pass)
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatalf("webdav download of %s from gateway %d: %v", name, other, err)
				}
				got, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || err != nil || !bytes.Equal(got, want) {
					t.Fatalf("webdav download of %s from gateway %d: %s, %d bytes (%v), want %d", name, other, resp.Status, len(got), err, len(want))
				}
			}
			rows := uploads(t, c)
			for name, want := range files {
				rs := rows[dir+name]
				if len(rs) != 1 || rs[0].Result != "ok" || rs[0].SHA256 != sum(want) || rs[0].Bytes != int64(len(want)) {
					t.Errorf("the shared audit trail has %+v for %s, want one ok row with its sha256", rs, name)
					continue
				}
				if rs[0].Remote != c.Client(g).String() {
					t.Errorf("the audit row of %s names %s, want the client %s (from the PROXY header), not the proxy %s", name, rs[0].Remote, c.Client(g), c.Proxy())
				}
			}
		})
	}
}

// TestClusterOneHostKeyOneName checks that several gateways behind one
// name show one SSH host key and one TLS certificate, whichever gateway
// HAProxy picks; the second and third gateway, started on the first's
// database, made no first admin of their own (Start checks it too), and
// the first admin's password works on each.
func TestClusterOneHostKeyOneName(t *testing.T) {
	t.Parallel()
	c := cluster.Start(t, cluster.Options{Gateways: 3})
	var keys []string
	for g := 1; g <= 3; g++ {
		k, err := c.HostKey(c.Pinned(g, g))
		if err != nil {
			t.Fatalf("gateway %d: %v", g, err)
		}
		keys = append(keys, ssh.FingerprintSHA256(k))
		resp, err := c.HTTPClient(c.Pinned(g, g)).Get("https://" + c.Web + "/")
		if err != nil {
			t.Fatalf("the portal of gateway %d does not verify with the first gateway's certificate: %v", g, err)
		}
		resp.Body.Close()
		sc, err := c.DialSFTP(c.Pinned(g, g), "admin", c.AdminPassword)
		if err != nil {
			t.Fatalf("the first admin cannot log in on gateway %d: %v", g, err)
		}
		sc.Close()
	}
	if keys[0] != keys[1] || keys[1] != keys[2] {
		t.Errorf("the gateways show different host keys: %v", keys)
	}
	for i := range 6 { // through the balancer, from several clients
		k, err := c.HostKey(c.ViaLB(20 + i))
		if err != nil {
			t.Fatal(err)
		}
		if fp := ssh.FingerprintSHA256(k); fp != keys[0] {
			t.Errorf("through HAProxy, client %d sees host key %s, want %s", i, fp, keys[0])
		}
	}
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

var _ = context.Background
var _ = time.Second
