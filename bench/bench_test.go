package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/yardstick"
)

// TestTableAgainstCustodia runs the command's measuring and table code on
// tiny sizes against custodia's three columns (the real binary, built
// here), so that the command cannot rot unnoticed: every row gets a
// value in every column, and the table prints them. It needs OpenSSH's
// sftp and curl; without them it skips, unless CI is set.
func TestTableAgainstCustodia(t *testing.T) {
	t.Parallel()
	if err := yardstick.Need("sftp", "curl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "custodia")
	build := exec.Command("go", append(append([]string{"build"}, raceFlags...), "-o", bin, "github.com/oaq/custodia/cmd/custodia")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cols, rows, err := selection("custodia", false)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cfg := config{options: options{size: 1 << 20, reps: 1, small: 5, parallel: 2, psize: 256 << 10, idle: 2,
		rows: rows, log: &log}, columns: cols, custodia: bin, scratch: dir}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := run(ctx, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	want := map[string][]string{
		"custodia-sftp":   {"up", "up-aes", "down", "down-aes"},
		"custodia-ftps":   {"up", "down"},
		"custodia-webdav": {"up", "down"},
	}
	if len(res.Columns) != len(want) {
		t.Fatalf("%d columns, want %d: %+v", len(res.Columns), len(want), res.Columns)
	}
	// CPU time comes in 10 ms ticks, which one tiny upload may not reach:
	// the three columns' together must (the password logins alone do).
	var cpu, cpuMS float64
	for _, c := range res.Columns {
		for _, k := range append(want[c.Key], "go-up", "go-down", "small", "parallel", "parallel-mem") {
			if v, ok := c.Values[k]; !ok || v <= 0 {
				t.Errorf("%s: %s = %v (measured: %t), want > 0", c.Key, k, v, ok)
			}
		}
		for _, k := range []string{"cpu", "cpu-ms", "idle"} {
			if _, ok := c.Values[k]; !ok {
				t.Errorf("%s: no %s figure", c.Key, k)
			}
		}
		cpu, cpuMS = cpu+c.Values["cpu"], cpuMS+c.Values["cpu-ms"]
	}
	if cpu <= 0 || cpuMS <= 0 {
		t.Errorf("the server's CPU during the uploads: %v %% of a core, %v ms/MB; want > 0", cpu, cpuMS)
	}
	var out bytes.Buffer
	res.markdown(&out, rows)
	table := out.String()
	for _, s := range []string{"| custodia SFTP | custodia FTPS | custodia WebDAV |", "| upload MB/s (`sftp -b`, curl) | ",
		"(aes ", "| 5 × 4 KiB in one session, files/s |", "| 2 × 256 KiB in parallel, MB/s |"} {
		if !strings.Contains(table, s) {
			t.Errorf("the table has no %q:\n%s", s, table)
		}
	}
	if n := strings.Count(table, "\n|"); n != 2+len(res.rows()) {
		t.Errorf("the table has %d lines, want %d:\n%s", n, 2+len(res.rows()), table)
	}
	if strings.Contains(table, "–") {
		t.Errorf("the table has a cell without a figure:\n%s", table)
	}
	var js bytes.Buffer
	if err := res.json(&js); err != nil {
		t.Fatal(err)
	}
	var back result
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Columns) != 3 ||
		back.Columns[0].Values["up-aes"] != res.Columns[0].Values["up-aes"] || back.Small != 5 {
		t.Errorf("-json: %v\n%s", err, js.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "0")); err == nil {
		t.Errorf("the run left its scratch folder")
	}
}

// TestOnlyAndQuick checks the flags: -quick's sizes, an explicit flag
// winning over it, -only's columns and rows, and the refusals.
func TestOnlyAndQuick(t *testing.T) {
	t.Parallel()
	cfg, _, _, err := parseFlags([]string{"-quick", "-small", "7", "-only", "vsftpd,custodia,small"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.size != 256<<20 || cfg.small != 7 || cfg.parallel != 10 || cfg.reps != 3 {
		t.Errorf("-quick -small 7: size %d, small %d, parallel %d, reps %d", cfg.size, cfg.small, cfg.parallel, cfg.reps)
	}
	if !cfg.columns["vsftpd"] || !cfg.columns["custodia-webdav"] || cfg.columns["openssh"] || !cfg.rows["small"] || cfg.rows["up"] {
		t.Errorf("-only vsftpd,custodia,small: columns %v, rows %v", cfg.columns, cfg.rows)
	}
	for _, bad := range [][]string{{"-only", "nginx"}, {"-only", "sftpgo"}, {"-size", "1TB"}, {"-reps", "0"}, {"extra"}} {
		if _, _, _, err := parseFlags(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestRefusesNamingWhatIsMissing: with the clients off PATH, the command
// refuses before starting anything and names each tool and its package.
// (t.Setenv: not parallel.)
func TestRefusesNamingWhatIsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	cols, rows, err := selection("", false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = run(context.Background(), config{options: options{rows: rows, log: &bytes.Buffer{}}, columns: cols,
		scratch: t.TempDir()})
	if err == nil {
		t.Fatal("ran without sftp and curl")
	}
	for _, s := range []string{"cannot run", "curl", "sftp", "apt-get install", "openssh-client", "go, to build custodia"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the refusal %q does not name %q", err, s)
		}
	}
}
