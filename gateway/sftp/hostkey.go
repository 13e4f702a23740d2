package sftp

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/gateway"
)

// LoadOrCreateHostKey reads an SSH host key, or creates an ed25519 one
// (mode 0600, OpenSSH format) when the file does not exist, written
// atomically and durably (gateway.WriteFileAtomic). A file that exists
// but holds no usable key is an error naming the file: a host key is
// never replaced silently, since clients that trusted it would then see
// a changed key.
func LoadOrCreateHostKey(file string) (ssh.Signer, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("sftp: host key: %w", err)
		}
		block, err := ssh.MarshalPrivateKey(priv, "custodia host key")
		if err != nil {
			return nil, fmt.Errorf("sftp: host key: %w", err)
		}
		data = pem.EncodeToMemory(block)
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return nil, fmt.Errorf("sftp: host key: %w", err)
		}
		if err := gateway.WriteFileAtomic(file, data, 0o600); err != nil {
			return nil, fmt.Errorf("sftp: host key %s: %w", file, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("sftp: host key: %w", err)
	}
	const todo = "custodia never replaces a host key by itself: restore the file from a backup, " +
		"or, if no client has trusted this key yet, delete it and start again to generate a new one"
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("sftp: host key %s is empty (a start interrupted before the key was written?); %s", file, todo)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("sftp: host key %s holds no usable private key (%v); %s", file, err, todo)
	}
	return signer, nil
}
