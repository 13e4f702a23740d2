package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Helpers of the event hook tests (issue 6).

// Hook is one [[hooks]] table of a test's configuration file.
type Hook struct {
	Name             string
	Command          []string
	URL, Secret      string
	Timeout, Backoff string
	MaxAttempts      int
	Events, Roles    []string
	Paths            []string
}

func (h Hook) TOML() string {
	var b strings.Builder
	b.WriteString("[[hooks]]\n")
	str := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s = %s\n", k, tomlString(v))
		}
	}
	list := func(k string, vs []string) {
		if vs == nil {
			return
		}
		q := make([]string, len(vs))
		for i, v := range vs {
			q[i] = tomlString(v)
		}
		fmt.Fprintf(&b, "%s = [%s]\n", k, strings.Join(q, ", "))
	}
	str("name", h.Name)
	list("command", h.Command)
	str("url", h.URL)
	str("secret", h.Secret)
	str("timeout", h.Timeout)
	str("backoff", h.Backoff)
	if h.MaxAttempts != 0 {
		fmt.Fprintf(&b, "max_attempts = %d\n", h.MaxAttempts)
	}
	list("events", h.Events)
	list("roles", h.Roles)
	list("paths", h.Paths)
	return b.String()
}

// tomlString quotes s as a TOML literal string when it can, which keeps
// shell commands readable, else as a JSON (and so TOML basic) string.
func tomlString(s string) string {
	if !strings.ContainsAny(s, "'\n\r") {
		return "'" + s + "'"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// HooksConfig writes a configuration file with the hooks and returns the
// setting that names it.
func HooksConfig(t testing.TB, hooks ...Hook) string {
	t.Helper()
	var b strings.Builder
	for _, h := range hooks {
		b.WriteString(h.TOML())
		b.WriteString("\n")
	}
	p := filepath.Join(t.TempDir(), "custodia.toml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return "CUSTODIA_CONFIG=" + p
}

// ShellQuote quotes s for sh.
func ShellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Poll checks cond until it holds (true) or the time is up (false).
func Poll(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// WaitFor polls cond until it holds, failing the test when the time is up.
func WaitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(within, cond) {
		t.Fatalf("after %v: %s", within, what)
	}
}

// WaitHooks waits until every named hook has its cursor, so that the
// events a test causes next are not older than the hook (a new hook starts
// after the events that exist when it is first seen).
func WaitHooks(t testing.TB, tg *Gateway, names ...string) {
	t.Helper()
	WaitFor(t, 5*time.Second, "the dispatcher did not create the cursors of "+strings.Join(names, ","), func() bool {
		cs, err := tg.Server.Store().HookCursors(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range cs {
			if slices.Contains(names, c.Hook) {
				n++
			}
		}
		return n == len(names)
	})
}

// WireEvent is the JSON a hook receives, as issue 6 specifies it (decoded
// with its own tags, so that a renamed field fails the tests).
type WireEvent struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	At          string `json:"at"`
	Session     string `json:"session"`
	User        string `json:"user"`
	Role        string `json:"role"`
	Protocol    string `json:"protocol"`
	Remote      string `json:"remote"`
	Action      string `json:"action"`
	Path        string `json:"path"`
	StoragePath string `json:"storage_path"`
	Target      string `json:"target"`
	TargetSP    string `json:"target_storage_path"`
	Bytes       int64  `json:"bytes"`
	SHA256      string `json:"sha256"`
	Result      string `json:"result"`
	Reason      string `json:"reason"`
}

func (e WireEvent) String() string {
	return fmt.Sprintf("%s %s(%s) %s %s→%s %q %d %s", e.Type, e.User, e.Role, e.Protocol, e.Path, e.StoragePath,
		e.Target, e.Bytes, e.Result)
}

func DecodeEvent(t testing.TB, body []byte) WireEvent {
	t.Helper()
	var e WireEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("the event is not the JSON of issue 6: %v\n%s", err, body)
	}
	return e
}

// Delivery is one request a webhook received.
type Delivery struct {
	Path   string
	Header http.Header
	Body   []byte
	Event  WireEvent
}

// Receiver is a webhook endpoint: an httptest server on 127.0.0.1 that
// records every request and answers with respond (200 when nil).
type Receiver struct {
	t       testing.TB
	srv     *httptest.Server
	respond func(w http.ResponseWriter, r *http.Request)
	mu      sync.Mutex
	got     []Delivery
}

// NewReceiver starts the endpoint; start it before the gateway so that
// the gateway stops (and cancels its requests) before the endpoint closes.
func NewReceiver(t testing.TB, respond func(w http.ResponseWriter, r *http.Request)) *Receiver {
	rc := &Receiver{t: t, respond: respond}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		d := Delivery{Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
		var e WireEvent
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("webhook %s received a body that is not an event: %v\n%s", r.URL.Path, err, body)
		}
		d.Event = e
		if r.Method != http.MethodPost {
			t.Errorf("webhook %s received a %s, want POST", r.URL.Path, r.Method)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, d)
		rc.mu.Unlock()
		if rc.respond != nil {
			rc.respond(w, r)
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// URL is the endpoint's URL with a path, to tell hooks apart.
func (rc *Receiver) URL(path string) string { return rc.srv.URL + path }

// At returns what the endpoint received on a path so far.
func (rc *Receiver) At(path string) []Delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []Delivery
	for _, d := range rc.got {
		if d.Path == path {
			out = append(out, d)
		}
	}
	return out
}

// Wait waits until a delivery on path satisfies match, and returns them all.
func (rc *Receiver) Wait(path, what string, match func(WireEvent) bool) []Delivery {
	rc.t.Helper()
	var ds []Delivery
	if !Poll(10*time.Second, func() bool {
		ds = rc.At(path)
		return slices.ContainsFunc(ds, func(d Delivery) bool { return match(d.Event) })
	}) {
		rc.t.Fatalf("after 10s webhook %s did not receive %s; it received:\n%s", path, what, DescribeEvents(EventsOf(ds)))
	}
	return ds
}

// EventsOf returns the events of deliveries.
func EventsOf(ds []Delivery) []WireEvent {
	out := make([]WireEvent, len(ds))
	for i, d := range ds {
		out[i] = d.Event
	}
	return out
}

func DescribeEvents(evs []WireEvent) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	return b.String()
}

// HookDir is where the command hooks of a test leave what they received.
type HookDir string

// Record is a shell command that keeps the event: its JSON (stdin) in
// <id>.json, its environment in <id>.env, and its id appended to "order",
// one line per delivery.
func (d HookDir) Record() string {
	q := ShellQuote(string(d))
	return fmt.Sprintf(`cat > %[1]s/.tmp."$CUSTODIA_EVENT_ID" && env > %[1]s/"$CUSTODIA_EVENT_ID".env && `+
		`mv %[1]s/.tmp."$CUSTODIA_EVENT_ID" %[1]s/"$CUSTODIA_EVENT_ID".json && echo "$CUSTODIA_EVENT_ID" >> %[1]s/order`, q)
}

// Delivered returns the events Delivered, in the order of delivery (an
// event Delivered twice appears twice).
func (d HookDir) Delivered(t testing.TB) []WireEvent {
	t.Helper()
	var out []WireEvent
	for _, id := range d.Lines("order") {
		b, err := os.ReadFile(filepath.Join(string(d), id+".json"))
		if err != nil {
			t.Fatalf("event %s is in the order but not its JSON: %v", id, err)
		}
		out = append(out, DecodeEvent(t, b))
	}
	return out
}

// Wait waits until the hook received an event that satisfies match, and
// returns all it received.
func (d HookDir) Wait(t testing.TB, what string, match func(WireEvent) bool) []WireEvent {
	t.Helper()
	var evs []WireEvent
	if !Poll(10*time.Second, func() bool {
		evs = d.Delivered(t)
		return slices.ContainsFunc(evs, match)
	}) {
		t.Fatalf("after 10s the command hook did not receive %s; it received:\n%s", what, DescribeEvents(evs))
	}
	return evs
}

// Env returns the environment the hook had for an event.
func (d HookDir) Env(t testing.TB, id string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(string(d), id+".env"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		k, v, _ := strings.Cut(line, "=")
		m[k] = v
	}
	return m
}

// Lines returns the Lines of a file of the hook's directory.
func (d HookDir) Lines(name string) []string {
	b, _ := os.ReadFile(filepath.Join(string(d), name))
	return strings.Fields(string(b))
}

// Upload writes a file over SFTP and returns how long it took.
func Upload(t testing.TB, tg *Gateway, user, vpath, content string) time.Duration {
	t.Helper()
	c := tg.SFTP(user)
	start := time.Now()
	f, err := c.Create(vpath)
	if err != nil {
		t.Fatalf("%s cannot create %s: %v", user, vpath, err)
	}
	if _, err := f.Write([]byte(content)); err != nil {
		t.Fatalf("%s cannot write %s: %v", user, vpath, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("%s's upload of %s failed: %v", user, vpath, err)
	}
	return time.Since(start)
}

// Metric returns a counter of the admin API's /metrics, or -1 when absent.
func Metric(t testing.TB, tg *Gateway, name string, labels string) float64 {
	t.Helper()
	r := tg.API("GET", "/metrics", "", nil)
	if r.Code != 200 {
		t.Fatalf("/metrics: %d %s", r.Code, r.Body)
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name+"{"+labels+"}") + ` (\S+)$`)
	m := re.FindSubmatch(r.Body)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatalf("%s{%s} = %q", name, labels, m[1])
	}
	return v
}
