package sftp

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// LoadOrCreateHostKey reads an SSH host key, or creates an ed25519 one
// (mode 0600, OpenSSH format) when the file does not exist.
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
		if err := os.WriteFile(file, data, 0o600); err != nil {
			return nil, fmt.Errorf("sftp: host key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("sftp: host key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("sftp: host key %s: %w", file, err)
	}
	return signer, nil
}
