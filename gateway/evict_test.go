package gateway

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/store"
)

// newLimitedCore builds a Core with limits lim and password pool h over a
// real store at the returned path, with one active user "activa" whose
// password is goodPassword (hashed cheaply: these tests are about order).
func newLimitedCore(t *testing.T, lim Limits, h HashPoolOptions) (*Core, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "custodia.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hash, err := HashPasswordCost(goodPassword, PasswordCost{MemoryKiB: 256, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, store.NewUser{Name: "activa", Role: store.RoleStaff, Department: "operaciones",
		PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Store: st, Limits: lim, Hashes: h})
	if err != nil {
		t.Fatal(err)
	}
	return c, path
}

// limitedListener listens on 127.0.0.1:0 through c's limits and returns a
// function that dials it from the loopback address from and returns the
// server's end of the connection (nil when the limits refused it).
func limitedListener(t *testing.T, c *Core) func(from string) (server, client net.Conn) {
	t.Helper()
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := c.Listener(tl, nil)
	t.Cleanup(func() { ln.Close() })
	return func(from string) (net.Conn, net.Conn) {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
		cc, err := d.Dial("tcp", tl.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		sc, err := ln.Accept() // a refused connection is never returned: this test opens none
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sc.Close() })
		return sc, cc
	}
}

// pollFor reports whether cond became true within d, checking every 10 ms
// (testkit.Poll; testkit imports this package).
func pollFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// released reports whether conn's limiter slot was given up.
func released(c *Core, conn net.Conn) bool {
	lc := limitedOf(conn)
	c.limits.mu.Lock()
	defer c.limits.mu.Unlock()
	return lc.slot.released
}

// TestEvictionSparesLoginBeingChecked: a real user's connection whose
// password waits for the (busy) password pool is the oldest
// unauthenticated one, and a flood from many addresses with one
// connection each fills the unauthenticated budget again and again; the
// flood's connections evict each other, never the user's, whose login
// then succeeds.
func TestEvictionSparesLoginBeingChecked(t *testing.T) {
	t.Parallel()
	c, _ := newLimitedCore(t, Limits{Unauth: 3}, HashPoolOptions{Size: 1, Wait: time.Minute})
	dial := limitedListener(t, c)
	user, _ := dial("127.0.0.1")
	c.hashes.slots <- struct{}{} // the pool is busy: the user's check waits
	done := make(chan error, 1)
	go func() {
		_, err := c.Login(WithConn(context.Background(), user), Credentials{Username: "activa", Password: goodPassword,
			Remote: netip.MustParseAddr("127.0.0.1"), Protocol: "test", Session: "s1"})
		done <- err
	}()
	if !pollFor(5*time.Second, func() bool {
		c.limits.mu.Lock()
		defer c.limits.mu.Unlock()
		return limitedOf(user).slot.checks > 0
	}) {
		t.Fatal("the user's password check never started")
	}
	var flood []net.Conn
	for i := 2; i < 12; i++ {
		sc, _ := dial(fmt.Sprintf("127.0.0.%d", i))
		flood = append(flood, sc)
		if released(c, user) {
			t.Fatalf("the connection of a user whose password was being checked was evicted by flood connection %d", i-1)
		}
	}
	evicted := 0
	for _, f := range flood {
		if released(c, f) {
			evicted++
		}
	}
	if _, unauth := c.limits.counts(); unauth != 3 || evicted != len(flood)-2 {
		t.Errorf("%d connections not logged in after the flood (want the budget, 3), %d of %d flood connections evicted (want %d)",
			unauth, evicted, len(flood), len(flood)-2)
	}
	<-c.hashes.slots
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the user's login failed after the flood: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the user's login never finished")
	}
	if _, unauth := c.limits.counts(); unauth != 2 {
		t.Errorf("%d connections not logged in after the user's login, want the 2 of the flood", unauth)
	}
}

// TestEvictionPrefersAddressesWithSeveral: when the budget is full, the
// newcomer evicts the oldest connection of an address holding several,
// not an older one of an address holding one.
func TestEvictionPrefersAddressesWithSeveral(t *testing.T) {
	t.Parallel()
	l := newLimiter(Limits{Unauth: 3})
	key := func(a string) netip.Prefix { return AddrKey(netip.MustParseAddr(a)) }
	acquire := func(a string) *slot {
		s, _, refusal := l.acquire(key(a), &limitedConn{lim: l})
		if s == nil {
			t.Fatalf("connection from %s refused: %s", a, refusal)
		}
		return s
	}
	single := acquire("192.0.2.1")
	several := acquire("192.0.2.2")
	acquire("192.0.2.2")
	_, evicted, _ := l.acquire(key("192.0.2.3"), &limitedConn{lim: l})
	if len(evicted) != 1 || evicted[0] != several {
		t.Fatalf("evicted %v; want the oldest of 192.0.2.2's two, not 192.0.2.1's only one (%p)", evicted, single)
	}
	// Every unauthenticated connection is being checked: a newcomer is
	// refused rather than evicting one.
	for _, q := range l.unauthPer {
		for _, s := range q {
			l.checking(s, true)
		}
	}
	if s, evicted, refusal := l.acquire(key("192.0.2.4"), &limitedConn{lim: l}); s != nil || len(evicted) != 0 || refusal == "" {
		t.Fatalf("a full budget of logins being checked: admitted %v, evicted %d; want a refusal", s != nil, len(evicted))
	}
}

// TestLoginLeavesBudgetBeforeRecord: a login whose password was right
// leaves the unauthenticated budget (and its deadline) before its audit
// row is written, so a slow store cannot get it evicted or timed out:
// with the database locked by another writer, the connection already
// counts as logged in while the login still waits to record itself.
func TestLoginLeavesBudgetBeforeRecord(t *testing.T) {
	t.Parallel()
	c, path := newLimitedCore(t, Limits{Unauth: 10}, HashPoolOptions{Size: 1})
	dial := limitedListener(t, c)
	conn, _ := dial("127.0.0.1")
	ctx := context.Background()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Login(WithConn(ctx, conn), Credentials{Username: "activa", Password: goodPassword,
			Remote: netip.MustParseAddr("127.0.0.1"), Protocol: "test", Session: "s1"})
		done <- err
	}()
	ok := pollFor(5*time.Second, func() bool {
		_, unauth := c.limits.counts()
		return unauth == 0
	})
	select {
	case err := <-done:
		t.Fatalf("the login finished while the database was locked (%v): the test locked nothing", err)
	default:
	}
	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Error("a login with the right password still counts as unauthenticated while its audit row waits for the store")
	}
	if err := <-done; err != nil {
		t.Fatalf("login: %v", err)
	}
}

// stallHandler holds the log line whose message contains msg until
// proceed is closed, after closing reached.
type stallHandler struct {
	msg              string
	reached, proceed chan struct{}
}

func (h stallHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h stallHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h stallHandler) WithGroup(string) slog.Handler            { return h }
func (h stallHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.msg) {
		close(h.reached)
		<-h.proceed
	}
	return nil
}

// TestLoginDeadlineDecidedUnderLock: once the login deadline has decided
// to close a connection, a login arriving before the close is told it
// came too late (LoggedIn false) instead of being reported in time and
// then closed anyway.
func TestLoginDeadlineDecidedUnderLock(t *testing.T) {
	t.Parallel()
	l := newLimiter(Limits{})
	h := stallHandler{msg: "no login in time", reached: make(chan struct{}), proceed: make(chan struct{})}
	l.log = slog.New(h)
	a, b := net.Pipe()
	defer b.Close()
	lc := &limitedConn{Conn: a, lim: l}
	s, _, _ := l.acquire(AddrKey(netip.MustParseAddr("127.0.0.1")), lc)
	l.startDeadline(s, time.Millisecond)
	select {
	case <-h.reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the login deadline never fired")
	}
	inTime := LoggedIn(lc)
	close(h.proceed)
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := b.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the connection out of time was not closed: %v", err)
	}
	if inTime {
		t.Error("a login after the deadline decided to close the connection was reported in time, and the connection closed anyway")
	}
}
