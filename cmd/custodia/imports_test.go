package main

import (
	"os/exec"
	"strings"
	"testing"
)

// allowedImports is DESIGN.md's dependency direction, exactly: each
// package of the module may import only these others of the module.
// cmd → server → gateway/*, admin, backup, events, letter → gateway →
// storage → authz → store; config is read by server and cmd only; the
// test kit (imported by tests only) starts a server; internal/schedule
// (backup schedules: a cron expression parsed one way for config and
// backup) imports nothing of ours.
var allowedImports = map[string][]string{
	"store":          {"internal/dburl"},
	"config":         {"internal/schedule", "internal/clamd", "internal/dburl"},
	"authz":          {"store"},
	"storage":        {"authz", "store"},
	"events":         {"store"},
	"notify":         {"events", "store"},
	"letter":         {"store"},
	"account":        {"authz", "store"},
	"backup":         {"internal/schedule", "store"},
	"gateway":        {"storage", "authz", "store"},
	"gateway/sftp":   {"gateway", "storage", "authz", "store"},
	"gateway/ftp":    {"gateway", "storage", "authz", "store"},
	"gateway/webdav": {"gateway", "storage", "authz", "store"},
	"web/tus":        {"storage", "authz", "store"},
	"web/ui":         {"gateway", "store"},
	"web":            {"gateway", "letter", "web/tus", "web/ui", "storage", "authz", "store"},
	"admin":          {"account", "gateway", "letter", "web/ui", "storage", "authz", "store"},
	"server": {"config", "internal/clamd", "gateway/sftp", "gateway/ftp", "gateway/webdav", "web", "web/tus", "admin", "account", "backup", "events", "notify", "letter",
		"gateway", "storage", "authz", "store"},
	"cmd/custodia":       {"server", "config", "account", "backup", "letter", "gateway", "storage", "authz", "store"},
	"internal/testkit":   {"server", "config", "gateway", "store", "internal/testpg"},
	"internal/testpg":    {}, // a real PostgreSQL for tests (store's own tests use it)
	"internal/dburl":     {}, // a database URL with its password hidden (config and store)
	"internal/schedule":  {},
	"internal/clamd":     {},
	"internal/soak":      {}, // drives a custodia process from outside
	"internal/perf":      {"internal/soak"},
	"internal/yardstick": {},                                                       // the servers custodia is measured against, run from outside
	"bench":              {"internal/perf", "internal/soak", "internal/yardstick"}, // go run ./bench
	// several custodia processes behind HAProxy, as deploy/ describes
	// (for tests and benchmarks); config only to check deploy/'s settings
	"internal/cluster": {"internal/soak", "internal/perf", "internal/testkit", "config"},
}

func TestImportDirection(t *testing.T) {
	t.Parallel()
	const mod = "github.com/oaq/custodia"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, mod+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], mod), "/")
		allowed, known := allowedImports[pkg]
		if !known {
			t.Errorf("package %s is not in DESIGN.md's layout (add it to allowedImports with its direction)", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, mod+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, mod+"/")
			ok := false
			for _, a := range allowed {
				ok = ok || a == dep
			}
			if !ok {
				t.Errorf("%s imports %s, against the direction in DESIGN.md", pkg, dep)
			}
		}
	}
}
