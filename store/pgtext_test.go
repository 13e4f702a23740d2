package store

import (
	"context"
	"testing"
)

// Names strangers choose hold any bytes: NUL, bytes that are not UTF-8,
// the escape itself and what its encoding looks like.
var hostileTexts = []string{
	"", "ana", "x\x00y", "\xff\xfebad", "y\u202e\tz\r\x00\x9b", "\U0010FFFF", "\U0010FFFF\U0010FE41",
	"\U0010FE41dmin", "a\U0010FFFF", "ñandú/año", "\xe2\x82", "\x00",
}

func TestPgTextRoundTrips(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, s := range hostileTexts {
		enc := pgEncode(s)
		if got := pgDecode(enc); got != s {
			t.Errorf("pgDecode(pgEncode(%q)) = %q", s, got)
		}
		if other, dup := seen[enc]; dup {
			t.Errorf("%q and %q encode alike: %q", s, other, enc)
		}
		seen[enc] = s
	}
	for _, s := range []string{"ana", "ñandú/año", "/dossiers/ACME/2026/a.pdf"} {
		if enc := pgEncode(s); enc != s {
			t.Errorf("pgEncode changed valid text %q to %q", s, enc)
		}
	}
}

// A failed login under a hostile name is audited on both databases, and
// reads back byte for byte, found by that name.
func TestHostileTextIsStoredAsItCame(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, name := range hostileTexts {
			if err := s.Audit(ctx, AuditEntry{User: name, Protocol: "sftp", Action: "login", VPath: "/" + name, Result: ResultFailed, Reason: name}); err != nil {
				t.Fatalf("audit a failed login as %q: %v", name, err)
			}
			rows, err := s.QueryAudit(ctx, AuditQuery{User: name, Limit: 5})
			if name == "" {
				continue
			}
			if err != nil || len(rows) != 1 || rows[0].User != name || rows[0].VPath != "/"+name || rows[0].Reason != name {
				t.Errorf("the audit rows of %q read back as %+v, %v", name, rows, err)
			}
		}
	})
}
