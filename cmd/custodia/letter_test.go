package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

func TestUserLetter(t *testing.T) {
	t.Parallel()
	pdftotext := testkit.NeedPdftotext(t)
	const org = "Agencia Aduanal Querétaro"
	tg := startGateway(t, "CUSTODIA_ORGANIZATION="+org)
	tg.Fixture()
	dir := t.TempDir()
	text := func(file string) string {
		t.Helper()
		out, err := exec.Command(pdftotext, "-enc", "UTF-8", file, "-").CombinedOutput()
		if err != nil {
			t.Fatalf("pdftotext cannot read %s: %v\n%s", file, err, out)
		}
		return string(out)
	}
	passwordRE := regexp.MustCompile(`Contraseña:\s+(\S+)`)
	password := func(txt string) string {
		t.Helper()
		m := passwordRE.FindStringSubmatch(txt)
		if m == nil {
			t.Fatalf("the letter has no password after \"Contraseña:\":\n%s", txt)
		}
		return m[1]
	}
	canLogin := func(user, pw string) bool {
		t.Helper()
		c, err := tg.Dial(user, pw)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}

	// What the gateway serves: the SSH host key, seen in the handshake, and
	// the certificate WebDAV and FTPS present, also at <data>/keys/tls.crt.
	hostKey, served := tg.ServedFingerprints("juan")
	onDisk, err := tls.LoadX509KeyPair(filepath.Join(tg.DataDir, "keys", "tls.crt"), filepath.Join(tg.DataDir, "keys", "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	if gateway.Fingerprint(onDisk) != served {
		t.Fatalf("the WebDAV certificate is not <data>/keys/tls.crt")
	}

	// The configuration says port 0; the running server's letter names the
	// ports it really serves on.
	file := filepath.Join(dir, "carta-juan.pdf")
	lt := tg
	out := must(lt, "", "user", "letter", "juan", "-o", file)
	if want := "letter for juan written to " + file + "; the previous password no longer works\n"; out != want {
		t.Errorf("user letter printed %q, want %q", out, want)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the letter file is not there with mode 0600: %v %v", err, fi)
	}
	txt := text(file)
	if pages := strings.Count(txt, "\f"); pages != 1 {
		t.Errorf("the letter has %d pages, want 1", pages)
	}
	for what, want := range map[string]string{
		"user name": "juan", "organisation": org, "SSH host key fingerprint": hostKey, "TLS fingerprint": served,
		"SFTP command": "sftp -P " + strings.Split(tg.SFTPAddr, ":")[1] + " juan@127.0.0.1",
		"FTPS port":    "Puerto: " + strings.Split(tg.FTPAddr, ":")[1],
		"web portal":   "https://" + tg.WebAddr + "/",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("the letter lacks the %s %q:\n%s", what, want, txt)
		}
	}
	if strings.Contains(txt, "unidad de red") || strings.Contains(txt, "https://"+tg.DAVAddr) {
		t.Errorf("a correspondent's letter offers a mapped drive:\n%s", txt)
	}
	pw := password(txt)
	if strings.Contains(out, pw) {
		t.Errorf("user letter printed the password")
	}
	if !canLogin("juan", pw) {
		t.Errorf("juan cannot log in over SFTP with the letter's password %q", pw)
	}
	if canLogin("juan", testkit.Password) {
		t.Errorf("juan still logs in with the password from before the letter")
	}
	audit := tg.AuditLog("juan", 100)
	if !slices.ContainsFunc(strings.Split(audit, "\n"), func(line string) bool {
		f := strings.Split(line, "\t")
		return len(f) > 10 && f[1] == "juan" && f[3] == "cli" && f[5] == "letter" && f[10] == "ok"
	}) {
		t.Errorf("no audit row with protocol cli and action letter for juan:\n%s", audit)
	}

	// An existing file is kept without --force, and the password with it.
	if out, err := cli(lt, "", "user", "letter", "juan", "-o", file); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("a letter over an existing file: err %v, want a refusal naming --force\n%s", err, out)
	}
	if !canLogin("juan", pw) {
		t.Fatalf("a refused letter changed juan's password")
	}
	// --force replaces it, with mode 0600 whatever the old file had.
	os.Chmod(file, 0o644)
	must(lt, "", "user", "letter", "juan", "-o", file, "--force")
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the replaced letter is not there with mode 0600: %v %v", err, fi)
	}
	pw2 := password(text(file))
	if pw2 == pw || !canLogin("juan", pw2) || canLogin("juan", pw) {
		t.Errorf("after a second letter, juan does not log in with its new password only")
	}

	// Staff get the mapped drive; -o - writes the PDF to stdout, the
	// message to stderr.
	var stdout, stderr bytes.Buffer
	root := newRoot(strings.NewReader(""), &stdout, &stderr, lt.Environ)
	root.SetArgs([]string{"user", "letter", "ana", "-o", "-", "--host", "archivos.example"})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("user letter ana -o -: %v\n%s", err, stderr.String())
	}
	if !bytes.HasPrefix(stdout.Bytes(), []byte("%PDF-")) || !strings.Contains(stderr.String(), "written to standard output") {
		t.Fatalf("-o - wrote %q… to stdout and %q to stderr", stdout.Bytes()[:min(stdout.Len(), 8)], stderr.String())
	}
	anaFile := filepath.Join(dir, "carta-ana.pdf")
	os.WriteFile(anaFile, stdout.Bytes(), 0o600)
	txt = text(anaFile)
	if dav := "https://archivos.example:" + strings.Split(tg.DAVAddr, ":")[1] + "/"; !strings.Contains(txt, dav) {
		t.Errorf("a staff letter with --host lacks the mapped drive %s:\n%s", dav, txt)
	}
	if !canLogin("ana", password(txt)) {
		t.Errorf("ana cannot log in with the password of the letter written to stdout")
	}
}

func TestUserLetterNeedsServedKeys(t *testing.T) {
	t.Parallel()
	// With SFTP on the host key is missing first; with it off, the
	// certificate FTPS needs.
	for _, sftp := range []string{"127.0.0.1:2022", "off"} {
		dataDir := t.TempDir()
		env := []string{"CUSTODIA_DATA_DIR=" + dataDir, "CUSTODIA_SFTP_LISTEN=" + sftp,
			"CUSTODIA_FTP_LISTEN=127.0.0.1:2121", "CUSTODIA_WEBDAV_LISTEN=127.0.0.1:8443", "CUSTODIA_WEB_LISTEN=127.0.0.1:8444"}
		run := func(args ...string) (string, error) {
			var out bytes.Buffer
			root := newRoot(strings.NewReader(testkit.Password+"\n"), &out, &out, env)
			root.SetArgs(args)
			err := root.ExecuteContext(context.Background())
			return out.String(), err
		}
		// A store whose keys are gone (a data dir restored without keys/).
		st, err := store.Open(context.Background(), filepath.Join(dataDir, "custodia.db"))
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		if out, err := run("user", "add", "sys", "--role", "admin", "--password-stdin"); err != nil {
			t.Fatalf("user add: %v\n%s", err, out)
		}
		file := filepath.Join(t.TempDir(), "carta.pdf")
		_, err = run("user", "letter", "sys", "-o", file)
		if err == nil || !strings.Contains(err.Error(), "start `custodia serve` once first") {
			t.Errorf("sftp.listen %s: a letter before the server ever started: err %v, want one saying to start custodia serve", sftp, err)
		}
		if _, err := os.Stat(file); err == nil {
			t.Errorf("sftp.listen %s: a refused letter wrote %s", sftp, file)
		}
		for _, key := range []string{"ssh_host_ed25519_key", "tls.crt", "tls.key"} {
			if _, err := os.Stat(filepath.Join(dataDir, "keys", key)); err == nil {
				t.Errorf("sftp.listen %s: user letter created keys/%s; only custodia serve may", sftp, key)
			}
		}
	}
}

// With no server running, a letter needs fixed ports: port 0 is any free
// port, which no letter can name; nothing is written and the password
// stays.
func TestUserLetterWithoutServerNeedsFixedPorts(t *testing.T) {
	t.Parallel()
	tg, stop := testkit.RestartableWith(t, manager(), testkit.Env(t.TempDir()), true)
	tg.AddUser(store.NewUser{Name: "juan", Role: store.RolePublisher})
	stop()
	file := filepath.Join(t.TempDir(), "carta.pdf")
	if out, err := cli(tg, "", "user", "letter", "juan", "-o", file); err == nil || !strings.Contains(err.Error(), "port 0") {
		t.Errorf("a letter for a listener on port 0: err %v, want one naming port 0\n%s", err, out)
	}
	if _, err := os.Stat(file); err == nil {
		t.Errorf("a refused letter wrote %s", file)
	}
}

// pdfText is a letter file's text, as pdftotext reads it.
func pdfText(t *testing.T, pdftotext, file string) string {
	t.Helper()
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext cannot read %s: %v\n%s", file, err, out)
	}
	return string(out)
}

// With listeners on every interface, `user letter` names public_host, or
// --host; this machine's name only if clients can resolve it: a short
// name like "vm" is refused, naming public_host and --host, with no file
// written and the password unchanged.
func TestUserLetterNamesAHostClientsReach(t *testing.T) {
	t.Parallel()
	pdftotext := testkit.NeedPdftotext(t)
	machine, _ := os.Hostname()
	// SFTP on every interface: the running server's letter must name a
	// host for it.
	tg := startGateway(t, "CUSTODIA_SFTP_LISTEN=:0")
	tg.Fixture()
	dir := t.TempDir()
	_, sftpPort, _ := net.SplitHostPort(tg.SFTPAddr)
	everywhere := tg

	file := filepath.Join(dir, "carta.pdf")
	out, err := cli(everywhere, "", "user", "letter", "juan", "-o", file)
	if !strings.Contains(machine, ".") || strings.HasPrefix(machine, "localhost") {
		if err == nil || !strings.Contains(err.Error(), "public_host") || !strings.Contains(err.Error(), "--host") ||
			!strings.Contains(err.Error(), machine) {
			t.Errorf("a letter naming this machine's short name %s: err %v, want one naming it, public_host and --host\n%s", machine, err, out)
		}
		if _, err := os.Stat(file); err == nil {
			t.Errorf("a refused letter wrote %s", file)
		}
		if c, err := tg.Dial("juan", testkit.Password); err != nil {
			t.Errorf("a refused letter changed juan's password: %v", err)
		} else {
			c.Close()
		}
	} else if err != nil || !strings.Contains(pdfText(t, pdftotext, file), "juan@"+machine) {
		t.Errorf("a letter naming this machine, %s: %v\n%s", machine, err, out)
	}
	os.Remove(file)

	must(everywhere, "", "user", "letter", "juan", "-o", file, "--host", "archivos.example")
	if txt := pdfText(t, pdftotext, file); !strings.Contains(txt, "sftp -P "+sftpPort+" juan@archivos.example") {
		t.Errorf("a letter with --host archivos.example does not name it:\n%s", txt)
	}
	if out, err := cli(everywhere, "", "user", "letter", "juan", "-o", filepath.Join(dir, "x.pdf"), "--host", "archivos.example:2022"); err == nil {
		t.Errorf("--host with a port was taken:\n%s", out)
	}

	public := startGateway(t, "CUSTODIA_SFTP_LISTEN=:0", "CUSTODIA_PUBLIC_HOST=archivos.aaq.mx")
	public.Fixture()
	_, sftpPort, _ = net.SplitHostPort(public.SFTPAddr)
	file = filepath.Join(dir, "carta-public.pdf")
	must(public, "", "user", "letter", "juan", "-o", file)
	txt := pdfText(t, pdftotext, file)
	if !strings.Contains(txt, "sftp -P "+sftpPort+" juan@archivos.aaq.mx") || strings.Contains(txt, "127.0.0.1") {
		t.Errorf("with public_host set, the letter does not name archivos.aaq.mx for every listener:\n%s", txt)
	}
}

// A key-only account gets a key letter that sets no password; --password
// gives it one, which logs in.
func TestUserLetterKeyOnly(t *testing.T) {
	t.Parallel()
	pdftotext := testkit.NeedPdftotext(t)
	tg := startGateway(t)
	tg.Fixture()
	pubKey, _, _ := ed25519.GenerateKey(rand.Reader)
	sshKey, err := ssh.NewPublicKey(pubKey)
	if err != nil {
		t.Fatal(err)
	}
	fp := ssh.FingerprintSHA256(sshKey)
	tg.AddUser(store.NewUser{Name: "contab", Role: store.RolePublisher, Keys: []store.NewKey{{Fingerprint: fp,
		PublicKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshKey)))}}})
	hasPassword := func() bool {
		t.Helper()
		u, err := tg.Store().UserByName(context.Background(), "contab")
		if err != nil {
			t.Fatal(err)
		}
		return u.PasswordHash != ""
	}
	lt := tg // the running server's letter names the ports it serves on
	hostKey, _ := tg.ServedFingerprints("juan")
	dir := t.TempDir()

	file := filepath.Join(dir, "carta.pdf")
	out := must(lt, "", "user", "letter", "contab", "-o", file)
	if !strings.Contains(out, "changed nothing") {
		t.Errorf("a key letter printed %q, want it to say it changed nothing", out)
	}
	txt := pdfText(t, pdftotext, file)
	for _, want := range []string{fp, hostKey, "entra por SFTP con su clave SSH"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the key letter lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "Contraseña:") || strings.Contains(txt, "FTPS") {
		t.Errorf("the key letter offers a password or FTPS:\n%s", txt)
	}
	if hasPassword() {
		t.Fatal("a key letter gave contab a password")
	}

	file = filepath.Join(dir, "carta-password.pdf")
	must(lt, "", "user", "letter", "contab", "-o", file, "--password")
	m := regexp.MustCompile(`Contraseña:\s+(\S+)`).FindStringSubmatch(pdfText(t, pdftotext, file))
	if m == nil {
		t.Fatal("the letter with --password has no password")
	}
	if c, err := tg.Dial("contab", m[1]); err != nil {
		t.Errorf("the password of the --password letter does not log in: %v", err)
	} else {
		c.Close()
	}
}
