package testkit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
)

// BenchSize is the size of a benchmark's payload: 256 MiB.
const BenchSize = 256 << 20

// NeedTool skips when an external client is missing, unless CI is set.
func NeedTool(t *testing.T, name string) string {
	t.Helper()
	return findTool(t, name, "apt-get install the package that has "+name, name)
}

// findTool is the first of candidates (names on PATH or paths) found. When
// none is, the test skips, saying how to install it (install), or fails
// when CI is set: .ci/run must install what the tests use.
func findTool(t testing.TB, name, install string, candidates ...string) string {
	t.Helper()
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if found, err := exec.LookPath(c); err == nil {
			return found
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed, and CI is set: .ci/run must %s", name, install)
	}
	t.Skipf("skipping: %s is not installed (%s)", name, install)
	return ""
}

// BenchFile is a BenchSize file of random bytes in b's temporary dir.
func BenchFile(b *testing.B) *os.File {
	p := filepath.Join(b.TempDir(), "payload")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, BenchSize); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// CopyTo writes src's content to a local file.
func CopyTo(b *testing.B, src *os.File, name string) {
	out, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	src.Seek(0, io.SeekStart)
	if _, err := io.Copy(out, src); err != nil {
		b.Fatal(err)
	}
}

// WriteKey writes an ed25519 private key in OpenSSH format, mode 0600.
func WriteKey(t testing.TB, file string, k ed25519.PrivateKey) {
	block, err := ssh.MarshalPrivateKey(k, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
}
