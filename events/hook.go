package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// Receiver takes events inside the process (the e-mail notifier), at
// least once each: Deliver must be idempotent for an event it already
// took (same Event.ID).
type Receiver interface {
	Deliver(ctx context.Context, e Event) error
}

// Hook is one receiver of events, with its filters; empty filters pass
// everything.
type Hook struct {
	Name     string
	Receiver Receiver // a receiver in the process; or
	Command  []string // run with the event as JSON on stdin and as CUSTODIA_EVENT_* variables; or
	URL      string   // POST the JSON, signed with Secret
	Secret   string
	Timeout  time.Duration // per try
	Backoff  time.Duration // first retry delay, doubling up to maxBackoff
	// MaxAttempts failed tries of one event make it a dead letter, and the
	// hook goes on with the next; 0 means DefaultMaxAttempts.
	MaxAttempts int
	Events      []string // event types
	Roles       []string
	Paths       []string // globs over storage paths, e.g. /dossiers/**
}

// maxBackoff caps the delay between tries.
const maxBackoff = 5 * time.Minute

// DefaultMaxAttempts is Hook.MaxAttempts when it is not set: with the
// default 1 s backoff, about eight and a half minutes of trying.
const DefaultMaxAttempts = 10

func (h *Hook) maxAttempts() int {
	if h.MaxAttempts > 0 {
		return h.MaxAttempts
	}
	return DefaultMaxAttempts
}

// SignatureHeader carries a webhook's HMAC-SHA256 of the body, keyed with
// the hook's secret: "sha256=" and the hex digest.
const SignatureHeader = "X-Custodia-Signature"

// Sign is the signature of a webhook body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (h *Hook) matches(e Event) bool {
	if len(h.Events) > 0 && !slices.Contains(h.Events, e.Type) {
		return false
	}
	if len(h.Roles) > 0 && !slices.Contains(h.Roles, string(e.Role)) {
		return false
	}
	if len(h.Paths) == 0 {
		return true
	}
	for _, p := range h.Paths {
		if ok, _ := doublestar.Match(p, e.SPath); ok {
			return true
		}
		if ok, _ := doublestar.Match(p, e.STarget); ok && e.STarget != "" {
			return true
		}
	}
	return false
}

// delay is how long to wait after the n-th failed try (n ≥ 1).
func (h *Hook) delay(n int) time.Duration {
	d := h.Backoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// deliver makes one try.
func (h *Hook) deliver(ctx context.Context, e Event) error {
	if h.Receiver != nil {
		ctx, cancel := context.WithTimeout(ctx, h.Timeout)
		defer cancel()
		return h.Receiver.Deliver(ctx, e)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return &permanentError{err} // the event itself cannot be sent: no retry will do
	}
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	if len(h.Command) > 0 {
		return h.run(ctx, e, body)
	}
	return h.post(ctx, e, body)
}

// run starts the command with a small environment of its own (never the
// server's, which may hold secrets) and the event.
func (h *Hook) run(ctx context.Context, e Event, body []byte) error {
	cmd := exec.CommandContext(ctx, h.Command[0], h.Command[1:]...)
	cmd.Stdin = bytes.NewReader(body)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8"}, e.env()...)
	var out tail
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group, killed whole at the timeout: what the
	// command started does not outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("command timed out after %v", h.Timeout)
	}
	if err != nil {
		return fmt.Errorf("command: %v: %s", err, strings.TrimSpace(out.String()))
	}
	return nil
}

var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (h *Hook) post(ctx context.Context, e Event, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "custodia")
	req.Header.Set("X-Custodia-Event", e.Type)
	req.Header.Set("X-Custodia-Delivery", e.ID)
	req.Header.Set(SignatureHeader, Sign(h.Secret, body))
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("webhook timed out after %v", h.Timeout)
		}
		// Not the URL, which may carry a token, into logs and the admin API.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook: %v", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// permanentError is a failure that a later try cannot mend: the event is
// dead-lettered at once.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// tail keeps the last KiB a command wrote, for the error.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 1024 {
		t.b = t.b[len(t.b)-1024:]
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.b) }
