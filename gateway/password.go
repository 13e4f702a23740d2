package gateway

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"
)

const (
	argonKeyLen = 32
	saltLen     = 16
)

// PasswordCost is argon2id's cost: memory in KiB, passes and lanes. A
// hash records its cost, and VerifyPassword reads it from there.
type PasswordCost struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultPasswordCost is OWASP's recommended m=19 MiB, t=2, p=1: the cost
// of every hash custodia makes (HashPassword).
func DefaultPasswordCost() PasswordCost {
	return PasswordCost{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 12

// HashPassword returns the argon2id hash of pw in PHC string format, at
// DefaultPasswordCost.
func HashPassword(pw string) (string, error) { return HashPasswordCost(pw, DefaultPasswordCost()) }

// HashPasswordCost is HashPassword at another cost. custodia itself
// always hashes at DefaultPasswordCost; tests that log in hundreds of
// times store cheaper hashes of their throwaway passwords.
func HashPasswordCost(pw string, c PasswordCost) (string, error) {
	if pw == "" {
		return "", errors.New("empty password")
	}
	if c.MemoryKiB == 0 || c.Time == 0 || c.Threads == 0 {
		return "", fmt.Errorf("argon2id cost %+v: every parameter must be positive", c)
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	return phc(c, salt, argon2.IDKey([]byte(pw), salt, c.Time, c.MemoryKiB, c.Threads, argonKeyLen)), nil
}

// phc formats an argon2id hash as a PHC string.
func phc(c PasswordCost, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, c.MemoryKiB, c.Time,
		c.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// dummyHash is checked against the password of a login whose user does
// not exist, so that it takes as long as a real check: a hash at
// DefaultPasswordCost that no password matches in practice (random salt
// and key, not derived from any password), made without the work of
// deriving one.
func dummyHash() string {
	salt, key := make([]byte, saltLen), make([]byte, argonKeyLen)
	rand.Read(salt)
	rand.Read(key)
	return phc(DefaultPasswordCost(), salt, key)
}

// VerifyPassword reports whether pw matches an argon2id PHC hash, in
// constant time with respect to the hash.
func VerifyPassword(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("not an argon2id hash")
	}
	var version int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 {
		return false, errors.New("bad argon2id parameters")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errors.New("bad argon2id salt")
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errors.New("bad argon2id key")
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// CheckPasswordStrength refuses passwords that are short or use fewer
// than three of: lower case, upper case, digits, other characters.
func CheckPasswordStrength(pw string) error {
	if strings.TrimSpace(pw) == "" {
		return errors.New("password is empty")
	}
	if len([]rune(pw)) < MinPasswordLen {
		return fmt.Errorf("password is too short: at least %d characters", MinPasswordLen)
	}
	var lower, upper, digit, other int
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	if lower+upper+digit+other < 3 {
		return errors.New("password is too weak: use at least three of lower case, upper case, digits and symbols")
	}
	return nil
}

// passwordAlphanumerics leave out look-alikes (0/O, 1/l/I) because the
// password travels on paper, in a letter; passwordAlphabet adds the
// punctuation used inside a password, never at either end, where a
// reader takes it for the sentence's own (or misses it).
const (
	passwordAlphanumerics = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	passwordAlphabet      = passwordAlphanumerics + "-_.:+"
)

// GeneratePassword returns a random 20-character password that passes
// CheckPasswordStrength, with no look-alike characters and no
// punctuation at its start or end.
func GeneratePassword() string {
	const n = 20
	for range 64 {
		pw := make([]byte, n)
		pw[0], pw[n-1] = randomOf(passwordAlphanumerics), randomOf(passwordAlphanumerics)
		for i := 1; i < n-1; i++ {
			pw[i] = randomOf(passwordAlphabet)
		}
		if CheckPasswordStrength(string(pw)) == nil {
			return string(pw)
		}
	}
	panic("gateway: no strong password in 64 random draws")
}

// randomOf returns a uniformly random byte of alphabet (fewer than 256).
func randomOf(alphabet string) byte {
	limit := 256 - 256%len(alphabet) // reject to avoid modulo bias
	var b [1]byte
	for {
		rand.Read(b[:])
		if int(b[0]) < limit {
			return alphabet[int(b[0])%len(alphabet)]
		}
	}
}
