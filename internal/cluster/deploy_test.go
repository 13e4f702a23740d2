package cluster_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/cluster"
	"github.com/oaq/custodia/internal/testkit"
)

// TestDeploySystemdUnit: deploy/custodia@.service passes systemd-analyze
// verify (with ExecStart on the binary under test), and reads the shared
// environment file and the instance's own, as deploy/README.md says.
// (The environment files and haproxy.cfg are what every cluster test
// starts with.)
func TestDeploySystemdUnit(t *testing.T) {
	t.Parallel()
	unit, err := os.ReadFile(filepath.Join(cluster.Deploy(), "custodia@.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"EnvironmentFile=/etc/custodia/custodia.env", "EnvironmentFile=-/etc/custodia/%i.env",
		"Environment=CUSTODIA_DATA_DIR=/var/lib/custodia/%i", "ExecStart=/usr/local/bin/custodia serve",
	} {
		if !strings.Contains(string(unit), want+"\n") {
			t.Errorf("deploy/custodia@.service has no line %q", want)
		}
	}
	analyze := testkit.NeedTool(t, "systemd-analyze")
	dir := t.TempDir()
	file := filepath.Join(dir, "custodia@.service")
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/custodia", cluster.Binary(t))
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", file).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify deploy/custodia@.service: %v\n%s", err, out)
	}
}

// TestClusterGatewaysStartTogetherOnAnEmptyDatabase: three gateways
// started at the same moment on an empty database all start (`custodia
// init`, then `serve`); exactly one creates the first admin and prints its
// password (Start checks both), and that admin logs in on each.
func TestClusterGatewaysStartTogetherOnAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	c := cluster.Start(t, cluster.Options{Gateways: 3, Together: true})
	for g := 1; g <= 3; g++ {
		if _, err := c.AdminToken(g); err != nil {
			t.Errorf("the first admin cannot log in on gateway %d: %v", g, err)
		}
	}
}
