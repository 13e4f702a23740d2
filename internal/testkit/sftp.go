package testkit

import (
	"errors"
	"net"
	"os"
	"time"

	gosftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Dial opens an SSH connection with a password.
func (tg *Gateway) Dial(user, password string) (*ssh.Client, error) {
	return ssh.Dial("tcp", tg.SFTPAddr, &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

// SFTP logs in with Password and returns a pkg/sftp client.
func (tg *Gateway) SFTP(user string) *gosftp.Client {
	tg.T.Helper()
	conn, err := tg.Dial(user, Password)
	if err != nil {
		tg.T.Fatalf("%s cannot log in: %v", user, err)
	}
	c, err := gosftp.NewClient(conn)
	if err != nil {
		conn.Close()
		tg.T.Fatalf("%s gets no sftp session: %v", user, err)
	}
	tg.T.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// RawSFTP dials TCP so that a test can drop the connection abruptly.
func (tg *Gateway) RawSFTP(user string) (*gosftp.Client, net.Conn) {
	tg.T.Helper()
	nc, err := net.Dial("tcp", tg.SFTPAddr)
	if err != nil {
		tg.T.Fatal(err)
	}
	cc, chans, reqs, err := ssh.NewClientConn(nc, tg.SFTPAddr, &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.Password(Password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
	})
	if err != nil {
		tg.T.Fatalf("%s cannot log in: %v", user, err)
	}
	c, err := gosftp.NewClient(ssh.NewClient(cc, chans, reqs))
	if err != nil {
		tg.T.Fatal(err)
	}
	return c, nc
}

// SFTPOutcome classifies an SFTP error: ok, denied (permission) or
// notfound (a name the user may not see).
func SFTPOutcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, os.ErrNotExist):
		return "notfound"
	case errors.Is(err, os.ErrPermission):
		return "denied"
	}
	return "error: " + err.Error()
}
