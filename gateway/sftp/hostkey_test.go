package sftp_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/gateway/sftp"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/server"
)

// TestHostKeyGeneratedOnceAndKept: a missing host key is generated (no
// temporary file left next to it) and the next load returns the same key.
func TestHostKeyGeneratedOnceAndKept(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	file := filepath.Join(dir, "ssh_host_ed25519_key")
	first, err := sftp.LoadOrCreateHostKey(file)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "ssh_host_ed25519_key" {
		t.Errorf("the keys folder holds %v, want only the host key", entries)
	}
	again, err := sftp.LoadOrCreateHostKey(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(again.PublicKey().Marshal()) != string(first.PublicKey().Marshal()) {
		t.Error("the second load returned another host key")
	}
}

// TestDamagedHostKeyRefusedClearly: a host key file left empty or cut
// short (by a crash of an older version) stops the start with an error
// that names the file and says what to do, never the bare "ssh: no key
// found", and the file is never replaced by a new key.
func TestDamagedHostKeyRefusedClearly(t *testing.T) {
	t.Parallel()
	keyFile := filepath.Join(t.TempDir(), "k")
	if _, err := sftp.LoadOrCreateHostKey(keyFile); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"empty":     "",
		"truncated": string(whole[:len(whole)/2]),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dataDir := t.TempDir()
			env := testkit.Env(dataDir)
			cfg, err := testkit.Config(env)
			if err != nil {
				t.Fatal(err)
			}
			file := server.HostKeyFile(cfg)
			if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			var logs strings.Builder
			s, err := testkit.StartServer(env, &logs)
			if err == nil {
				s.Shutdown(t.Context())
				t.Fatalf("a gateway started with a %s host key file", name)
			}
			msg := err.Error()
			if !strings.Contains(msg, file) || strings.HasSuffix(msg, "ssh: no key found") ||
				!strings.Contains(msg, "never replaces a host key") {
				t.Errorf("the start failed with %q: it should name %s and say what to do", msg, file)
			}
			if got, _ := os.ReadFile(file); string(got) != content {
				t.Errorf("the %s host key file was replaced", name)
			}
		})
	}
}
