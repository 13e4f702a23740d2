package sftp

import (
	"context"
	"net/netip"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
)

// login follows one connection's authentication. Passwords are checked
// and recorded at once. Keys are only checked in the callback, because
// x/crypto/ssh asks about a key before the client proves it holds it;
// finish records a key login when the handshake succeeded, or one failure
// when no method worked.
type login struct {
	core    *gateway.Core
	ctx     context.Context
	remote  netip.Addr
	session string

	mu        sync.Mutex
	users     map[string]*store.User // by the token in ssh.Permissions
	username  string
	keyTried  bool
	keyErr    error
	passTried bool
}

func (l *login) creds(username string) gateway.Credentials {
	return gateway.Credentials{Username: username, Remote: l.remote, Protocol: "sftp", Session: l.session}
}

func (l *login) password(meta ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
	cr := l.creds(meta.User())
	cr.Password = string(pw)
	u, err := l.core.Login(l.ctx, cr)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.passTried, l.username = true, meta.User()
	if err != nil {
		return nil, gateway.ErrLoginFailed
	}
	return l.grant(u, "password", nil), nil
}

func (l *login) publicKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	cr := l.creds(meta.User())
	cr.PublicKey = key.Marshal()
	u, err := l.core.Authenticate(l.ctx, cr)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keyTried, l.username = true, meta.User()
	if err != nil {
		l.keyErr = err
		return nil, gateway.ErrLoginFailed
	}
	return l.grant(u, "publickey", cr.PublicKey), nil
}

// grant remembers an authenticated user under a token that the handshake
// hands back in the permissions of the method that completed.
func (l *login) grant(u *store.User, method string, key []byte) *ssh.Permissions {
	token := gateway.NewSessionID()
	if l.users == nil {
		l.users = make(map[string]*store.User)
	}
	l.users[token] = u
	return &ssh.Permissions{Extensions: map[string]string{
		"custodia-auth": method, "custodia-token": token, "custodia-key": string(key),
	}}
}

// finish records the outcome of a key login and returns the user, or nil
// when the handshake did not authenticate anyone.
func (l *login) finish(perms *ssh.Permissions) *store.User {
	l.mu.Lock()
	defer l.mu.Unlock()
	if perms == nil {
		if l.keyTried && !l.passTried {
			cr := l.creds(l.username)
			cr.PublicKey = []byte{}
			err := l.keyErr
			if err == nil {
				err = &gateway.LoginError{Reason: "key not proven"}
			}
			l.core.Record(l.ctx, cr, nil, err)
		}
		return nil
	}
	u := l.users[perms.Extensions["custodia-token"]]
	if u == nil {
		return nil
	}
	if perms.Extensions["custodia-auth"] == "publickey" {
		cr := l.creds(u.Name)
		cr.PublicKey = []byte(perms.Extensions["custodia-key"])
		l.core.Record(l.ctx, cr, u, nil)
	}
	return u
}
