package gateway

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/store"
)

// ParseAuthorizedKey parses one public key in authorized_keys format.
func ParseAuthorizedKey(line string) (ssh.PublicKey, error) {
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, fmt.Errorf("not an SSH public key: %w", err)
	}
	return k, nil
}

// ParseKeyFile reads the first key of an authorized_keys-style file and
// returns it as the store keeps it: its canonical line, its SHA256
// fingerprint and its comment. Private keys and anything else are refused.
func ParseKeyFile(data []byte) (store.NewKey, error) {
	if strings.Contains(string(data), "PRIVATE KEY") {
		return store.NewKey{}, fmt.Errorf("this is a private key; give the public key (.pub)")
	}
	k, comment, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return store.NewKey{}, fmt.Errorf("not an SSH public key")
	}
	switch k.Type() {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256:
	case ssh.KeyAlgoRSA:
		if ck, ok := k.(ssh.CryptoPublicKey); ok {
			if rk, ok := ck.CryptoPublicKey().(interface{ Size() int }); ok && rk.Size()*8 < 2048 {
				return store.NewKey{}, fmt.Errorf("RSA key shorter than 2048 bits")
			}
		}
	default:
		return store.NewKey{}, fmt.Errorf("key type %s is not accepted (use ed25519, ECDSA or RSA ≥ 2048 bits)", k.Type())
	}
	return store.NewKey{
		Fingerprint: ssh.FingerprintSHA256(k),
		PublicKey:   strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))),
		Comment:     comment,
	}, nil
}
