package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// SFTP is the off-site target: an SFTP server reached with a private key,
// whose host key is pinned (any other key is refused).
type SFTP struct {
	Address string
	User    string
	Signer  ssh.Signer
	HostKey ssh.PublicKey
	Dir     string // folder on the server
	Timeout time.Duration
}

// NewSFTP reads the key file and parses the pinned host key (a
// known_hosts line's key part: "ssh-ed25519 AAAA…").
func NewSFTP(address, user, keyFile, hostKey, dir string) (*SFTP, error) {
	pem, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("backup: sftp target key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, fmt.Errorf("backup: sftp target key %s: %w", keyFile, err)
	}
	hk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(hostKey))
	if err != nil {
		return nil, fmt.Errorf("backup: sftp target host_key: %w", err)
	}
	if dir == "" {
		dir = "."
	}
	return &SFTP{Address: address, User: user, Signer: signer, HostKey: hk, Dir: dir, Timeout: 30 * time.Second}, nil
}

// Name is "sftp".
func (*SFTP) Name() string { return "sftp" }

// conn is one session with the server.
type conn struct {
	ssh  *ssh.Client
	stop func() bool // stops closing the connection when the context ends
	*sftp.Client
}

func (c *conn) Close() error {
	c.stop()
	return errors.Join(c.Client.Close(), c.ssh.Close())
}

func (s *SFTP) dial(ctx context.Context) (*conn, error) {
	d := net.Dialer{Timeout: s.Timeout}
	nc, err := d.DialContext(ctx, "tcp", s.Address)
	if err != nil {
		return nil, fmt.Errorf("backup: sftp target: %w", err)
	}
	cfg := &ssh.ClientConfig{
		User: s.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(s.Signer)},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey), Timeout: s.Timeout,
	}
	sc, chans, reqs, err := ssh.NewClientConn(nc, s.Address, cfg)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("backup: sftp target %s: %w", s.Address, err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	fc, err := sftp.NewClient(client, sftp.UseConcurrentWrites(true))
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("backup: sftp target %s: %w", s.Address, err)
	}
	stop := context.AfterFunc(ctx, func() { client.Close() }) // a cancelled run does not hang on the network
	return &conn{ssh: client, stop: stop, Client: fc}, nil
}

// Put uploads under a temporary name, checks the size the server holds,
// and only then renames it into place; the checksum goes first, so a
// present archive always has one.
func (s *SFTP) Put(ctx context.Context, name string, r io.Reader, size int64, sum string) error {
	c, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	final := path.Join(s.Dir, name)
	if err := c.MkdirAll(path.Dir(final)); err != nil {
		return fmt.Errorf("backup: sftp target: mkdir %s: %w", path.Dir(final), err)
	}
	if err := s.upload(c, final+".sha256", bytes.NewReader(checksumLine(sum, name)), -1); err != nil {
		return err
	}
	return s.upload(c, final, r, size)
}

func (s *SFTP) upload(c *conn, final string, r io.Reader, size int64) error {
	var b [6]byte
	rand.Read(b[:])
	tmp := path.Join(path.Dir(final), "."+path.Base(final)+"."+hex.EncodeToString(b[:])+".part")
	f, err := c.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return fmt.Errorf("backup: sftp target: create %s: %w", tmp, err)
	}
	n, err := io.Copy(f, r)
	if err == nil {
		// fsync@openssh.com where the server offers it: the archive is on
		// its disk before it takes its final name.
		var se *sftp.StatusError
		if serr := f.Sync(); serr != nil && !(errors.As(serr, &se) && se.FxCode() == sftp.ErrSSHFxOpUnsupported) {
			err = serr
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("sent %d of %d bytes", n, size)
	}
	if err == nil {
		var fi fs.FileInfo
		if fi, err = c.Stat(tmp); err == nil && size >= 0 && fi.Size() != size {
			err = fmt.Errorf("the server holds %d of %d bytes", fi.Size(), size)
		}
	}
	if err == nil {
		c.Remove(final) // a checksum left by an earlier, failed try
		err = c.Rename(tmp, final)
	}
	if err != nil {
		c.Remove(tmp)
		return fmt.Errorf("backup: sftp target: upload %s: %w", final, err)
	}
	return nil
}

// Open downloads an archive; the connection closes with the reader.
func (s *SFTP) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	c, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	f, err := c.Open(path.Join(s.Dir, name))
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("backup: sftp target: open %s: %w", name, err)
	}
	return &remoteFile{File: f, c: c}, nil
}

type remoteFile struct {
	*sftp.File
	c *conn
}

func (f *remoteFile) Close() error { return errors.Join(f.File.Close(), f.c.Close()) }

// Remove deletes an archive and its checksum; one already gone is fine.
func (s *SFTP) Remove(ctx context.Context, name string) error {
	c, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var errs []error
	for _, n := range []string{name, name + ".sha256"} {
		if err := c.Remove(path.Join(s.Dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("backup: sftp target: remove %s: %w", n, err))
		}
	}
	return errors.Join(errs...)
}
