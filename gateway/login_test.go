package gateway

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/store"
)

const goodPassword = "correcto-caballo-bateria-7"

// newLoginCore builds a Core over a real store in t.TempDir(), with the
// given defender, and one user per login rule under test.
func newLoginCore(t *testing.T, d *Defender) (*Core, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "custodia.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hash, err := HashPassword(goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	future := time.Now().Add(time.Hour)
	for _, nu := range []store.NewUser{
		{Name: "activa", Role: store.RoleStaff, Department: "operaciones", PasswordHash: hash, ExpiresAt: &future},
		{Name: "inactiva", Role: store.RoleStaff, Department: "operaciones", PasswordHash: hash},
		{Name: "vencida", Role: store.RoleStaff, Department: "operaciones", PasswordHash: hash, ExpiresAt: &past},
		{Name: "oficina", Role: store.RoleStaff, Department: "operaciones", PasswordHash: hash,
			AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}},
	} {
		if _, err := st.CreateUser(ctx, nu); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetStatus(ctx, "inactiva", store.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Store: st, Defender: d})
	if err != nil {
		t.Fatal(err)
	}
	return c, st
}

// lastLogin returns the newest login audit row of user.
func lastLogin(t *testing.T, st *store.Store, user string) store.AuditEntry {
	t.Helper()
	rows, err := st.QueryAudit(context.Background(), store.AuditQuery{User: user, Action: "login"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("no login of %s is audited", user)
	}
	return rows[len(rows)-1]
}

// TestLoginFailureMessagesIdentical: a disabled account, an expired one and
// an address outside the allowed ones are refused exactly like a wrong
// password (ErrLoginFailed, same text once the cause is set aside), while
// the audit row records the real cause.
func TestLoginFailureMessagesIdentical(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, st := newLoginCore(t, nil)
	inside := netip.MustParseAddr("10.20.3.4")
	outside := netip.MustParseAddr("192.0.2.10")
	login := func(user, pw string, from netip.Addr) error {
		_, err := c.Login(ctx, Credentials{Username: user, Password: pw, Remote: from, Protocol: "test", Session: "s-" + user})
		return err
	}

	for _, ok := range []struct {
		user string
		from netip.Addr
	}{{"activa", outside}, {"oficina", inside}, {"oficina", netip.MustParseAddr("::ffff:10.20.9.9")}} {
		if err := login(ok.user, goodPassword, ok.from); err != nil {
			t.Fatalf("%s cannot log in from %s with the right password: %v", ok.user, ok.from, err)
		}
	}

	cases := []struct {
		name, user, pw string
		from           netip.Addr
		cause          string // what the audit row must name
	}{
		{"wrong password", "activa", "otra-contrasena-mala", outside, "wrong password"},
		{"unknown user", "nadie", goodPassword, outside, "unknown user"},
		{"disabled", "inactiva", goodPassword, outside, "disabled"},
		{"expired", "vencida", goodPassword, outside, "expired"},
		{"address not allowed", "oficina", goodPassword, outside, "192.0.2.10 not allowed"},
	}
	for _, tc := range cases {
		err := login(tc.user, tc.pw, tc.from)
		if !errors.Is(err, ErrLoginFailed) {
			t.Errorf("%s: %s logging in from %s got %v, want ErrLoginFailed.", tc.name, tc.user, tc.from, err)
			continue
		}
		var le *LoginError
		if !errors.As(err, &le) {
			t.Errorf("%s: the error %T is not a *LoginError like every other refusal.", tc.name, err)
			continue
		}
		if got := strings.TrimSuffix(err.Error(), ": "+le.Reason); got != ErrLoginFailed.Error() {
			t.Errorf("%s: the client-facing text is %q, want %q.", tc.name, got, ErrLoginFailed.Error())
		}
		row := lastLogin(t, st, tc.user)
		if row.Result != store.ResultFailed || !strings.Contains(row.Reason, tc.cause) {
			t.Errorf("%s: the login of %s is audited as %q %q, want failed naming %q.", tc.name, tc.user, row.Result, row.Reason, tc.cause)
		}
	}
}

// TestBannedAddressRefusedLikeABadPassword: once the defender bans an
// address, even the right password is refused with ErrLoginFailed, and
// the audit row says the address is banned.
func TestBannedAddressRefusedLikeABadPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, st := newLoginCore(t, NewDefender(DefenderOptions{MaxFailures: 2, Window: time.Minute, BanTime: time.Hour}))
	from := netip.MustParseAddr("198.51.100.20")
	for range 2 {
		c.Login(ctx, Credentials{Username: "activa", Password: "mala-mala-mala-1", Remote: from, Protocol: "test"})
	}
	_, err := c.Login(ctx, Credentials{Username: "activa", Password: goodPassword, Remote: from, Protocol: "test"})
	if !errors.Is(err, ErrLoginFailed) {
		t.Errorf("the right password from a banned address got %v, want ErrLoginFailed.", err)
	}
	if row := lastLogin(t, st, "activa"); row.Result != store.ResultFailed || !strings.Contains(row.Reason, "banned") {
		t.Errorf("the login from a banned address is audited as %q %q, want failed naming the ban.", row.Result, row.Reason)
	}
	if _, err := c.Login(ctx, Credentials{Username: "activa", Password: goodPassword,
		Remote: netip.MustParseAddr("198.51.100.21"), Protocol: "test"}); err != nil {
		t.Errorf("the ban of %s also refused 198.51.100.21: %v", from, err)
	}
}

// A session registered for an account disabled, expired or deleted
// since its login was checked is ended at once: a disable that came
// between the login and the registration found no session to end.
func TestRegisterEndsASessionWhoseAccountChanged(t *testing.T) {
	t.Parallel()
	c, _ := newLoginCore(t, nil)
	remote := netip.MustParseAddr("192.0.2.7")
	for _, user := range []string{"inactiva", "vencida", "nadie", "activa"} {
		killed := make(chan struct{})
		c.Register("s-"+user, user, "sftp", remote, func() { close(killed) })
		select {
		case <-killed:
			if user == "activa" {
				t.Errorf("the session of active user %s was ended", user)
			}
		case <-time.After(2 * time.Second):
			if user != "activa" {
				t.Errorf("the session of %s, no longer admitted, was not ended", user)
			}
		}
	}
}
