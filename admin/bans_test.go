package admin_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// TestAPILoginFromBannedAddressAnswers429: an admin-API login from an
// address the defender banned is answered 429 with Retry-After (the
// seconds left of the ban), even with the right password, instead of
// "wrong username or password"; every ban is logged once at WARN.
func TestAPILoginFromBannedAddressAnswers429(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_MAX_FAILURES=2", "CUSTODIA_DEFENDER_BAN_TIME=10m", "CUSTODIA_LOG_LEVEL=warn")
	tg.Fixture()
	tok := tg.APILogin("sys") // taken before the ban: it still works from the banned address
	login := func(pw string) testkit.APIResp {
		return tg.API("POST", "/api/v1/login", "", map[string]string{"username": "sys", "password": pw})
	}
	banLines := func() int { return strings.Count(tg.Log(), "address banned after failed logins") }
	ban := func() {
		t.Helper()
		for range 2 {
			testkit.WantProblem(t, "a login with a wrong password before the ban", login("wrong password"), 401, "")
		}
	}

	ban()
	r := login(testkit.Password)
	testkit.WantProblem(t, "the right password from a banned address", r, 429, "")
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 600 {
		t.Errorf("Retry-After is %q, want the seconds left of a 10-minute ban", r.Header.Get("Retry-After"))
	}
	if d, _ := r.JSON(t)["detail"].(string); !strings.Contains(d, "banned") {
		t.Errorf("the 429 does not say the address is banned: %s", r.Body)
	}
	testkit.WantProblem(t, "a wrong password from a banned address", login("wrong password"), 429, "")

	log := tg.Log()
	if n := banLines(); n != 1 {
		t.Errorf("one ban logged %d WARN lines, want 1:\n%s", n, log)
	}
	for _, want := range []string{"level=WARN", "remote=127.0.0.1", "failures=2", "until="} {
		if !strings.Contains(log, want) {
			t.Errorf("the ban's log line lacks %q:\n%s", want, log)
		}
	}

	if r := tg.API("DELETE", "/api/v1/bans/127.0.0.1", tok, nil); r.Code != 204 {
		t.Fatalf("lift the ban: %d %s", r.Code, r.Body)
	}
	if r := login(testkit.Password); r.Code != 200 {
		t.Errorf("a login after the ban was lifted: %d %s", r.Code, r.Body)
	}
	ban()
	if n := banLines(); n != 2 {
		t.Errorf("two bans logged %d WARN lines, want 2:\n%s", n, tg.Log())
	}
}

// TestBansShowTheirPrefix: a ban lists the network it covers: an IPv6
// address's whole /64 (here ::1's, whose first address "::" alone would
// say nothing), an IPv4 address as itself/32.
func TestBansShowTheirPrefix(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_MAX_FAILURES=2", "CUSTODIA_SFTP_LISTEN=[::1]:0")
	tg.Fixture()
	tok := tg.APILogin("sys")
	for range 2 {
		tg.Dial("ana", "wrong password") // over SFTP, from ::1
	}
	for range 2 {
		tg.API("POST", "/api/v1/login", "", map[string]string{"username": "ana", "password": "wrong password"}) // from 127.0.0.1
	}
	r := tg.API("GET", "/api/v1/bans", tok, nil)
	got := map[string]string{}
	bans, _ := r.JSON(t)["bans"].([]any)
	for _, b := range bans {
		m, _ := b.(map[string]any)
		a, _ := m["address"].(string)
		p, _ := m["prefix"].(string)
		got[a] = p
	}
	want := map[string]string{"::": "::/64", "127.0.0.1": "127.0.0.1/32"}
	if len(got) != len(want) || got["::"] != want["::"] || got["127.0.0.1"] != want["127.0.0.1"] {
		t.Errorf("bans (address: prefix) %v, want %v\n%s", got, want, r.Body)
	}
}
