package yardstick

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// SFTPClient runs OpenSSH's sftp in batch mode (-b) against a server on
// loopback, logging in with a key.
type SFTPClient struct {
	Port   int
	User   string
	Key    string // private key file
	Cipher string // -c; "" is OpenSSH's default
	// Dir holds the batch files (a scratch folder of the caller's).
	Dir string
}

// Args is the sftp command line up to the destination (no -b).
func (c *SFTPClient) Args() ([]string, error) {
	bin, err := Look("sftp")
	if err != nil {
		return nil, Need("sftp")
	}
	args := []string{bin, "-q", "-i", c.Key, "-P", strconv.Itoa(c.Port), "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR"}
	if c.Cipher != "" {
		args = append(args, "-c", c.Cipher)
	}
	return args, nil
}

// Batch runs the batch commands (one a line) in one sftp session; any
// failing command fails it.
func (c *SFTPClient) Batch(ctx context.Context, commands ...string) error {
	args, err := c.Args()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(c.Dir, "batch-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(strings.Join(commands, "\n") + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	args = append(args, "-b", f.Name(), c.User+"@127.0.0.1")
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("sftp -b (%d commands, first %q): %v: %s", len(commands), commands[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Curl runs curl with a configuration file (it holds the user and
// password, so they are in no process's command line) and then args.
type Curl struct {
	Config string // curl -K file
}

// NewCurl writes dir/name.curlrc (0600) with the user, the password and
// the options every call shares (-sS, --fail, and the CA file when
// cacert is not "").
func NewCurl(dir, name, user, pass, cacert string, extra ...string) (*Curl, error) {
	if err := Need("curl"); err != nil {
		return nil, err
	}
	lines := []string{"silent", "show-error", "fail", fmt.Sprintf("user = %q", user+":"+pass)}
	if cacert != "" {
		lines = append(lines, fmt.Sprintf("cacert = %q", cacert))
	}
	lines = append(lines, extra...)
	file := filepath.Join(dir, name+".curlrc")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	return &Curl{Config: file}, nil
}

// Run runs curl -K config args… in dir ("" is the current one).
func (c *Curl) Run(ctx context.Context, dir string, args ...string) error {
	bin, err := Look("curl")
	if err != nil {
		return Need("curl")
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"-K", c.Config}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("curl %s: %v: %s", strings.Join(args[:min(len(args), 4)], " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
