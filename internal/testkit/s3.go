package testkit

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// VersityGWVersion is the S3 server the tests start; .ci/run installs it
// with `go install github.com/versity/versitygw/cmd/versitygw@` + this.
const VersityGWVersion = "v1.8.0"

// S3 is a real S3-compatible server (versitygw, posix backend, bucket
// versioning on so object lock works) started for one test on loopback.
type S3 struct {
	Endpoint  string // host:port, plain HTTP
	AccessKey string
	SecretKey string
	Dir       string // the posix backend's root: one folder per bucket
	cmd       *exec.Cmd
	out       *syncBuffer
	exited    chan struct{}
	once      sync.Once
}

// versitygwPath finds versitygw: $CUSTODIA_VERSITYGW, PATH, then GOBIN or
// GOPATH/bin, where `go install` puts it.
func versitygwPath(t testing.TB) string {
	t.Helper()
	candidates := []string{os.Getenv("CUSTODIA_VERSITYGW"), "versitygw"}
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		candidates = append(candidates, filepath.Join(gobin, "versitygw"))
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, p := range filepath.SplitList(strings.TrimSpace(string(out))) {
			candidates = append(candidates, filepath.Join(p, "bin", "versitygw"))
		}
	}
	return findTool(t, "versitygw", "go install github.com/versity/versitygw/cmd/versitygw@"+VersityGWVersion, candidates...)
}

// StartS3 starts versitygw on a free loopback port with fresh root
// credentials and an empty backend, waits until it answers its health
// check, and stops it when the test ends. Buckets are made by the test
// (or by the code under test) through the S3 API.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	bin := versitygwPath(t)
	dir := t.TempDir()
	root, versions := filepath.Join(dir, "root"), filepath.Join(dir, "versions")
	for _, d := range []string{root, versions} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s := &S3{AccessKey: "custodia-" + randomHex(t, 6), SecretKey: randomHex(t, 20), Dir: root,
		out: &syncBuffer{}, exited: make(chan struct{})}
	// versitygw takes an address, not a listener: find a free port, then
	// let it bind. Another process taking the port in between is retried.
	for attempt := 0; attempt < 5; attempt++ {
		s.Endpoint = freeLoopbackAddr(t)
		s.cmd = exec.Command(bin, "--port", s.Endpoint, "--health", "/health", "--quiet",
			"posix", "--versioning-dir", versions, root)
		s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
		s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		s.exited = make(chan struct{})
		if err := s.cmd.Start(); err != nil {
			t.Fatalf("versitygw: %v", err)
		}
		exited := s.exited
		go func(cmd *exec.Cmd) { cmd.Wait(); close(exited) }(s.cmd)
		if s.waitHealthy(30 * time.Second) {
			t.Cleanup(s.Stop)
			return s
		}
		select {
		case <-s.exited: // lost the port, or failed: try again
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	t.Fatalf("versitygw did not answer its health check:\n%s", s.out.String())
	return nil
}

func (s *S3) waitHealthy(limit time.Duration) bool {
	client := &http.Client{Timeout: time.Second}
	return Poll(limit, func() bool {
		select {
		case <-s.exited:
			return true
		default:
		}
		resp, err := client.Get("http://" + s.Endpoint + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}) && func() bool {
		select {
		case <-s.exited:
			return false
		default:
			return true
		}
	}()
}

// URL is the endpoint as an http:// URL.
func (s *S3) URL() string { return "http://" + s.Endpoint }

// Stop stops versitygw (SIGTERM, then SIGKILL after 10 s) and waits.
func (s *S3) Stop() {
	s.once.Do(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

// Log is what versitygw printed.
func (s *S3) Log() string { return s.out.String() }

// freeLoopbackAddr is a 127.0.0.1 port free a moment ago.
func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
