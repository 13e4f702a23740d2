package config

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Hook is one [[hooks]] table of the file: a command or a webhook that
// receives events. Hooks are set in the file only (no environment
// variable), and check-config prints their names, never their secrets.
type Hook struct {
	Name    string   `toml:"name"`
	Command []string `toml:"command"` // program and arguments; or
	URL     string   `toml:"url"`     // webhook, http(s)
	Secret  string   `toml:"secret"`  // HMAC-SHA256 key of the webhook's signature
	Timeout Duration `toml:"timeout"` // per try; default 10s
	Backoff Duration `toml:"backoff"` // first retry delay, doubling to 5m; default 1s
	// MaxAttempts is how many failed tries of one event the hook makes
	// before it gives up on it (a dead letter) and goes on; default 10.
	MaxAttempts int      `toml:"max_attempts"`
	Events      []string `toml:"events"` // event types; empty: all
	Roles       []string `toml:"roles"`  // user roles; empty: all
	Paths       []string `toml:"paths"`  // globs over storage paths; empty: all
}

// validateHooks checks every hook's shape, naming it by position; cmd
// checks the event types and roles, which the store defines.
func (c Config) validateHooks() Problems {
	var ps Problems
	seen := map[string]bool{}
	for i, h := range c.Hooks {
		key := fmt.Sprintf("hooks[%d] %s", i, h.Name)
		add := func(format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
		switch {
		case h.Name == "" || strings.ContainsAny(h.Name, " \t/"):
			add("name %q: give each hook a name without spaces", h.Name)
		case h.Name == "email":
			add("name email is the e-mail notifier's (notify.*): give this hook another")
		case seen[h.Name]:
			add("name %q is used twice", h.Name)
		}
		seen[h.Name] = true
		switch {
		case (len(h.Command) > 0) == (h.URL != ""):
			add("set command or url, one of them")
		case h.URL != "":
			u, err := url.Parse(h.URL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				add("url %q: want an http(s) URL", h.URL)
			}
			if len(h.Secret) < 16 {
				add("a webhook needs a secret of at least 16 characters to sign its requests")
			}
		}
		if h.Timeout.Duration < 0 || h.Backoff.Duration < 0 {
			add("timeout and backoff must be positive")
		}
		if h.MaxAttempts < 0 {
			add("max_attempts %d: want at least 1 (0 for the default, 10)", h.MaxAttempts)
		}
		for _, p := range h.Paths {
			if !strings.HasPrefix(p, "/") || !doublestar.ValidatePattern(p) {
				add("path %q: want a glob over storage paths such as /dossiers/**", p)
			}
		}
	}
	return ps
}
