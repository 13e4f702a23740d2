package gateway_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestBusyPasswordChecksDoNotBan: with one password check at a time and
// almost no wait for it, many simultaneous logins with the right password
// from one address (an office behind one NAT address) find the pool busy
// and fail; those failures are audited, but they do not count towards a
// ban, so the address stays open although the defender bans after three
// failures.
func TestBusyPasswordChecksDoNotBan(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_MAX_FAILURES=3", "CUSTODIA_LIMITS_PASSWORD_CHECKS=1",
		"CUSTODIA_LIMITS_PASSWORD_WAIT=1ms", "CUSTODIA_LIMITS_MAX_CONNECTIONS_PER_IP=100",
		"CUSTODIA_LIMITS_MAX_UNAUTHENTICATED_PER_IP=50")
	tg.Fixture()
	tok := tg.APILogin("sys") // before the pool gets busy
	// A hash at custodia's own cost keeps the one slot busy for a while.
	slow, err := gateway.HashPassword(testkit.Password)
	if err != nil {
		t.Fatal(err)
	}
	tg.AddUser(store.NewUser{Name: "lenta", Role: store.RoleStaff, Department: "operaciones", PasswordHash: slow})
	busy := func() int {
		n := 0
		for _, r := range tg.AuditRows("lenta") {
			if r.Action == "login" && r.Result == "failed" && strings.Contains(r.Reason, "busy") {
				n++
			}
		}
		return n
	}
	for round := 0; round < 5 && busy() < 3; round++ {
		var wg sync.WaitGroup
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if c, err := tg.Dial("lenta", testkit.Password); err == nil {
					c.Close()
				}
			}()
		}
		wg.Wait()
	}
	if n := busy(); n < 3 {
		t.Fatalf("only %d logins found the password checks busy; the test needs at least 3 to prove anything", n)
	}
	bans, _ := tg.API("GET", "/api/v1/bans", tok, nil).JSON(t)["bans"].([]any)
	if len(bans) != 0 {
		t.Fatalf("right passwords refused only because the checks were busy got the address banned: %v\n%s",
			bans, tg.AuditLog("lenta", 100))
	}
	if c, err := tg.Dial("lenta", testkit.Password); err != nil {
		t.Errorf("after the burst, a login with the right password fails: %v", err)
	} else {
		c.Close()
	}
}
