package main

import (
	"os/exec"
	"strings"
	"testing"
)

// allowedImports is DESIGN.md's dependency direction: each package of
// the module may import only these others of the module.
var allowedImports = map[string][]string{
	"store":          {},
	"config":         {},
	"authz":          {"store"},
	"storage":        {"authz", "store"},
	"gateway":        {"storage", "authz", "store"},
	"gateway/sftp":   {"gateway", "storage", "authz", "store"},
	"gateway/ftp":    {"gateway", "storage", "authz", "store"},
	"gateway/webdav": {"gateway", "storage", "authz", "store"},
	"events":         {"store"},
	"backup":         {"storage", "authz", "store"},
	"letter":         {"store"},
	"admin":          {"gateway", "backup", "letter", "storage", "authz", "store"},
	"server": {"config", "gateway", "gateway/sftp", "gateway/ftp", "gateway/webdav", "admin", "events", "backup",
		"letter", "storage", "authz", "store"},
	"cmd/custodia": {"server", "config", "gateway", "admin", "backup", "letter", "storage", "authz", "store"},
}

func TestImportDirection(t *testing.T) {
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
