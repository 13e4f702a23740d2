package ftp_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

func TestInteropCurlFTPS(t *testing.T) {
	t.Parallel()
	curl := testkit.NeedTool(t, "curl")
	tg := testkit.Start(t)
	tg.Fixture()
	ca := filepath.Join(tg.DataDir, "keys", "tls.crt")
	base := "ftp://localhost:" + strings.Split(tg.FTPAddr, ":")[1]
	dir := t.TempDir()
	local := filepath.Join(dir, "pedimento-curl.pdf")
	body := bytes.Repeat([]byte("%PDF-1.4 curl over FTPS "), 40000)
	os.WriteFile(local, body, 0o600)
	run := func(args ...string) ([]byte, error) {
		args = append([]string{"-sS", "--ssl-reqd", "--cacert", ca, "--connect-to", "localhost::" + tg.FTPAddr}, args...)
		return exec.Command(curl, args...).CombinedOutput()
	}
	if out, err := run("-u", "juan:"+testkit.Password, "-T", local, base+"/ACME/2026/"); err != nil {
		t.Fatalf("curl --ssl-reqd upload as a correspondent: %v\n%s", err, out)
	}
	// Operaciones reads the dossiers: the same bytes come back.
	out, err := run("-u", "ana:"+testkit.Password, base+"/dossiers/ACME/2026/pedimento-curl.pdf")
	if err != nil || !bytes.Equal(out, body) {
		t.Errorf("curl --ssl-reqd download of the upload as Operaciones: %v (%d bytes, want %d)", err, len(out), len(body))
	}
	if out, err := run("-u", "carla:"+testkit.Password, base+"/ACME/2026/notas.txt"); err == nil {
		t.Errorf("curl downloaded a non-PDF as a client:\n%s", out)
	}
	// A correspondent may not overwrite what is there.
	if out, err := run("-u", "juan:"+testkit.Password, "-T", local, base+"/ACME/2026/"); err == nil {
		t.Errorf("curl overwrote a file as a correspondent:\n%s", out)
	}
	// Without --ssl-reqd curl stays in clear text and is refused.
	if out, err := exec.Command(curl, "-sS", "-u", "ana:"+testkit.Password, "ftp://"+tg.FTPAddr+"/operaciones/").CombinedOutput(); err == nil {
		t.Errorf("curl logged in without TLS:\n%s", out)
	}
}

func TestInteropLftpMirror(t *testing.T) {
	t.Parallel()
	lftp := testkit.NeedTool(t, "lftp")
	tg := testkit.Start(t)
	tg.Fixture()
	dir := t.TempDir()
	up := filepath.Join(dir, "up")
	for name, content := range map[string]string{
		"informe.docx":           "informe",
		"tablas/enero.xlsx":      strings.Repeat("enero;", 50000),
		"tablas/febrero.xlsx":    "febrero",
		"vacía/.keep":            "",
		"con espacio/acta 1.pdf": "%PDF-1.4 acta",
	} {
		p := filepath.Join(up, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o700)
		os.WriteFile(p, []byte(content), 0o600)
	}
	down := filepath.Join(dir, "down")
	script := strings.Join([]string{
		"set ftp:ssl-force true", "set ftp:ssl-protect-data true", "set ftp:ssl-protect-list true",
		"set ssl:ca-file " + filepath.Join(tg.DataDir, "keys", "tls.crt"), "set ssl:check-hostname no",
		"set net:max-retries 1", "set net:timeout 10", "set cmd:fail-exit true",
		"open -u ana," + testkit.Password + " ftp://" + tg.FTPAddr,
		"mirror -R " + up + " /operaciones/espejo",
		"mirror /operaciones/espejo " + down,
		"quit",
	}, "\n")
	cmd := exec.Command(lftp, "-f", "/dev/stdin")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("lftp mirror up and down: %v\n%s", err, out)
	}
	if out, err := exec.Command("diff", "-r", up, down).CombinedOutput(); err != nil {
		t.Errorf("the folder mirrored up and back differs: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "files/departments/operaciones/espejo/tablas/enero.xlsx")); err != nil {
		t.Errorf("the mirror is not on disk: %v", err)
	}
}
