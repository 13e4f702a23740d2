package gateway

import (
	"fmt"
	"strings"
	"testing"
)

func TestPasswordHashesRecordTheirCost(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("Correct-Horse-9-Battery")
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultPasswordCost()
	if want := fmt.Sprintf("$m=%d,t=%d,p=%d$", def.MemoryKiB, def.Time, def.Threads); !strings.Contains(h, want) {
		t.Errorf("HashPassword's hash %q does not record the default cost %s", h, want)
	}
	cheap, err := HashPasswordCost("Correct-Horse-9-Battery", PasswordCost{MemoryKiB: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cheap, "$m=64,t=1,p=1$") {
		t.Errorf("HashPasswordCost's hash %q does not record its cost", cheap)
	}
	for _, hash := range []string{h, cheap} {
		if ok, err := VerifyPassword(hash, "Correct-Horse-9-Battery"); !ok || err != nil {
			t.Errorf("the right password does not verify against %q: %v %v", hash, ok, err)
		}
		if ok, _ := VerifyPassword(hash, "Correct-Horse-9-Batterx"); ok {
			t.Errorf("a wrong password verifies against %q", hash)
		}
	}
	if _, err := HashPasswordCost("x", PasswordCost{MemoryKiB: 64, Time: 0, Threads: 1}); err == nil {
		t.Error("a hash with zero passes was made")
	}
}

// The hash an unknown user's login is checked against costs what a real
// user's costs, and nothing verifies against it.
func TestDummyHashCostsTheDefault(t *testing.T) {
	t.Parallel()
	d := dummyHash()
	def := DefaultPasswordCost()
	if want := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", def.MemoryKiB, def.Time, def.Threads); !strings.HasPrefix(d, want) {
		t.Errorf("the dummy hash %q does not have the default cost %s", d, want)
	}
	for _, pw := range []string{"", "Correct-Horse-9-Battery", "x"} {
		ok, err := VerifyPassword(d, pw)
		if err != nil || ok {
			t.Errorf("VerifyPassword(dummy, %q) = %v, %v; want false, nil", pw, ok, err)
		}
	}
	if dummyHash() == d {
		t.Error("two dummy hashes are equal: their salt and key are not random")
	}
}

// A generated password is typed off a letter: over many draws none
// begins or ends with punctuation, none has a look-alike character, and
// each is strong; punctuation still appears inside.
func TestGeneratedPasswordsReadWellOnPaper(t *testing.T) {
	t.Parallel()
	const draws = 20000
	seen := map[string]bool{}
	var inner int
	for range draws {
		pw := GeneratePassword()
		if len(pw) != 20 {
			t.Fatalf("%q has %d characters, want 20", pw, len(pw))
		}
		if strings.ContainsAny(pw, "0O1lI") {
			t.Fatalf("%q has a look-alike character (0 O 1 l I)", pw)
		}
		for _, end := range []byte{pw[0], pw[len(pw)-1]} {
			if !strings.ContainsRune(passwordAlphanumerics, rune(end)) {
				t.Fatalf("%q begins or ends with %q, not a letter or digit", pw, end)
			}
		}
		if err := CheckPasswordStrength(pw); err != nil {
			t.Fatalf("%q: %v", pw, err)
		}
		if strings.ContainsAny(pw, "-_.:+") {
			inner++
		}
		seen[pw] = true
	}
	if len(seen) != draws {
		t.Errorf("%d draws gave %d different passwords", draws, len(seen))
	}
	if inner < draws/2 {
		t.Errorf("only %d of %d passwords have punctuation inside", inner, draws)
	}
}
