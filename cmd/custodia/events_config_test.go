package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/server"
)

// Bad [[hooks]] tables are refused, each problem naming its hook:
// check-config reports the shape problems by position, and serve refuses
// event types and roles the store does not know, by name.
func TestEventsHookConfigErrors(t *testing.T) {
	t.Parallel()
	good := testkit.Hook{Name: "good", URL: "https://hooks.example.com/custodia", Secret: "sixteen-chars-ok"}
	cmd := []string{"/usr/local/bin/notify", "--quiet"}
	cases := []struct {
		name  string
		hook  testkit.Hook
		wants []string
	}{
		{"command and url", testkit.Hook{Name: "both", Command: cmd, URL: "https://x.example.com/", Secret: "0123456789abcdef"},
			[]string{"set command or url"}},
		{"neither", testkit.Hook{Name: "none"}, []string{"set command or url"}},
		{"webhook without secret", testkit.Hook{Name: "nosecret", URL: "https://x.example.com/"}, []string{"secret of at least 16"}},
		{"short secret", testkit.Hook{Name: "short", URL: "https://x.example.com/", Secret: "fifteen-chars-x"},
			[]string{"secret of at least 16"}},
		{"not http", testkit.Hook{Name: "ftp", URL: "ftp://x.example.com/", Secret: "0123456789abcdef"}, []string{`url "ftp://x.example.com/"`}},
		{"no name", testkit.Hook{Command: cmd}, []string{"give each hook a name"}},
		{"name with a space", testkit.Hook{Name: "my hook", Command: cmd}, []string{`name "my hook"`}},
		{"same name", testkit.Hook{Name: "good", Command: cmd}, []string{`name "good" is used twice`}},
		{"relative path glob", testkit.Hook{Name: "rel", Command: cmd, Paths: []string{"dossiers/**"}}, []string{`path "dossiers/**"`}},
		{"negative timeout", testkit.Hook{Name: "neg", Command: cmd, Timeout: "-1s"}, []string{"must be positive"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := []string{"CUSTODIA_DATA_DIR=" + t.TempDir(), testkit.HooksConfig(t, good, c.hook)}
			out, err := runWith(env, "check-config")
			if err == nil {
				t.Fatalf("check-config accepted it:\n%s", out)
			}
			// The good hook is the first, the bad one the second.
			for _, want := range append([]string{"hooks[1]"}, c.wants...) {
				if !strings.Contains(out, want) {
					t.Errorf("check-config does not say %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "hooks[0]") {
				t.Errorf("check-config blames the good hook:\n%s", out)
			}
			if g, err := tryStart(testkit.Env(t.TempDir(), env[1])); err == nil {
				g.Shutdown(context.Background())
				t.Fatal("serve started with it")
			} else if !strings.Contains(err.Error(), "hooks[1]") {
				t.Errorf("serve's error does not name the hook: %v", err)
			}
		})
	}

	// Event types and roles are the store's; serve refuses others, naming
	// the hook (at start: check-config does not know them).
	for _, c := range []struct {
		hook  testkit.Hook
		wants []string
	}{
		{testkit.Hook{Name: "typo", Command: cmd, Events: []string{"upload.completed", "upload.done"}},
			[]string{"hooks[1] typo", `"upload.done"`, "upload.completed"}},
		{testkit.Hook{Name: "boss", Command: cmd, Roles: []string{"staff", "boss"}}, []string{"hooks[1] boss", "boss"}},
	} {
		g, err := tryStart(testkit.Env(t.TempDir(), testkit.HooksConfig(t, good, c.hook)))
		if err == nil {
			g.Shutdown(context.Background())
			t.Errorf("serve started with hook %+v", c.hook)
			continue
		}
		if errors.Is(err, errPanicked) {
			t.Errorf("serve refused hook %s with a panic, not an error: %v", c.hook.Name, err)
			continue
		}
		for _, want := range c.wants {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("serve's error does not say %q: %v", want, err)
			}
		}
	}

	// A good configuration passes; check-config names the hooks and never
	// prints a secret.
	env := []string{"CUSTODIA_DATA_DIR=" + t.TempDir(), testkit.HooksConfig(t, good,
		testkit.Hook{Name: "notify", Command: cmd, Timeout: "30s", Backoff: "2s", Events: []string{"upload.completed", "denied"},
			Roles: []string{"correspondent"}, Paths: []string{"/dossiers/**"}})}
	out, err := runWith(env, "check-config")
	if err != nil {
		t.Fatalf("check-config refused good hooks: %v\n%s", err, out)
	}
	if !strings.Contains(out, "good,notify") || strings.Contains(out, good.Secret) {
		t.Errorf("check-config should list the hooks by name, without their secrets:\n%s", out)
	}
}

var errPanicked = errors.New("start panicked")

// tryStart starts a gateway as serve does, turning a panic into an error.
func tryStart(environ []string) (g *server.Server, err error) {
	defer func() {
		if p := recover(); p != nil {
			g, err = nil, fmt.Errorf("%w: %v\n%s", errPanicked, p, debug.Stack())
		}
	}()
	var out strings.Builder
	return testkit.StartServer(environ, &out)
}
