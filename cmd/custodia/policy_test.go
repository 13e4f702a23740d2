package main

import (
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// The role matrix that every protocol runs agrees with `policy test`.
func TestRoleMatrixAgainstPolicyTest(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, "CUSTODIA_SFTP_LISTEN=off")
	tg.Fixture()
	for _, r := range testkit.RoleMatrix() {
		out := must(tg, "", "policy", "test", r.User, r.Action, r.SPath)
		want := "deny\t"
		if r.Want == "ok" {
			want = "allow\tp, "
		}
		if !strings.HasPrefix(out, want) {
			t.Errorf("policy test %s %s %s = %q, want a line starting %q", r.User, r.Action, r.SPath, out, want)
		}
	}
}
