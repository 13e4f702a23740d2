package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/server"
)

// TestGatewayIDIsTheDataDirs: a data dir keeps its gateway id across
// starts, and two data dirs (containers sharing a host name and a path
// look like this) never share one; a damaged id file is named, not
// replaced behind the operator's back.
func TestGatewayIDIsTheDataDirs(t *testing.T) {
	t.Parallel()
	a, b := config.Config{DataDir: t.TempDir()}, config.Config{DataDir: t.TempDir()}
	first, err := server.GatewayID(a)
	if err != nil {
		t.Fatal(err)
	}
	again, err := server.GatewayID(a)
	if err != nil || again != first {
		t.Errorf("the id of one data dir changed: %q then %q (%v)", first, again, err)
	}
	// Another data dir at the same path on a host of the same name (a
	// second container's volume): another gateway.
	if err := os.Remove(filepath.Join(a.DataDir, "gateway-id")); err != nil {
		t.Fatal(err)
	}
	if twin, err := server.GatewayID(a); err != nil || twin == first {
		t.Errorf("a fresh data dir at the same path took the id %q of the one before it (%v)", twin, err)
	}
	other, err := server.GatewayID(b)
	if err != nil || other == first {
		t.Errorf("two data dirs share the gateway id %q (%v)", other, err)
	}
	if err := os.WriteFile(filepath.Join(b.DataDir, "gateway-id"), []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := server.GatewayID(b); err == nil || !strings.Contains(err.Error(), "gateway-id") {
		t.Errorf("a damaged gateway-id file: %v, want an error naming it", err)
	}
}
