package gateway

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/store"
)

// TestConfirmIsNotALogin: a password typed again to sign an action (a
// manager's approval) is audited as an "auth" row for that action, never
// as a login, and does not become the account's last login; a wrong one
// is refused like a failed login and counts towards a ban.
func TestConfirmIsNotALogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, st := newLoginCore(t, NewDefender(DefenderOptions{MaxFailures: 2, Window: time.Minute, BanTime: time.Hour}))
	from := netip.MustParseAddr("192.0.2.30")
	cr := Credentials{Username: "activa", Password: goodPassword, Remote: from, Protocol: "test", Session: "s-1",
		Confirm: "backup.restore.approve"}
	if _, err := c.Confirm(ctx, Credentials{Username: "activa", Password: goodPassword}); err == nil {
		t.Error("a confirmation that names no action was accepted")
	}
	u, err := c.Confirm(ctx, cr)
	if err != nil || u.Name != "activa" {
		t.Fatalf("the right password is not confirmed: %v %v", u, err)
	}
	rows, err := st.QueryAudit(ctx, store.AuditQuery{User: "activa"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Action != "auth" || rows[0].Target != "backup.restore.approve" ||
		rows[0].Result != store.ResultOK || rows[0].Session != "s-1" {
		t.Fatalf("the confirmation's audit rows are %+v, want one auth row for backup.restore.approve", rows)
	}
	if got, err := st.UserByName(ctx, "activa"); err != nil || got.LastLoginAt != nil {
		t.Errorf("a confirmation became activa's last login: %v %v", got.LastLoginAt, err)
	}

	bad := cr
	bad.Password = "not-" + goodPassword
	for i := range 2 {
		_, err := c.Confirm(ctx, bad)
		if !errors.Is(err, ErrLoginFailed) {
			t.Fatalf("wrong password %d: %v, want ErrLoginFailed", i+1, err)
		}
	}
	rows, _ = st.QueryAudit(ctx, store.AuditQuery{User: "activa"})
	last := rows[len(rows)-1]
	if last.Action != "auth" || last.Result != store.ResultFailed || !strings.Contains(last.Reason, "wrong password") ||
		strings.Contains(last.Reason, bad.Password) {
		t.Errorf("the wrong password's audit row: %+v", last)
	}
	if !c.defender.Banned(from) {
		t.Error("two wrong confirmations did not count towards a ban")
	}
	if _, err := c.Confirm(ctx, cr); err == nil {
		t.Error("a banned address confirmed a password")
	}
}
