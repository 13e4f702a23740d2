package authz

import (
	"context"
	"strings"
	"testing"

	"github.com/oaq/custodia/store"
)

// TestDepartmentsRefuseWindowsRunnables: every type Windows runs on a
// double-click, and the shortcut types that leak NTLM hashes, is refused
// in department folders, in any case.
func TestDepartmentsRefuseWindowsRunnables(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		e, _ := newEnforcerOn(t, db)
		staff := subject(store.RoleStaff, "trafico")
		for _, ext := range strings.Fields("hta js jse vbe wsf wsh pif cpl msc msp appref-ms reg url lnk scf exe") {
			for _, name := range []string{"foo." + ext, "FOO." + strings.ToUpper(ext), "Foo." + strings.ToUpper(ext[:1]) + ext[1:]} {
				for _, act := range []Action{Write, Overwrite, Rename} {
					obj := "/departments/trafico/2026/" + name
					d, err := e.Decide(context.Background(), Request{Subject: staff, Action: act, Object: obj})
					if err != nil {
						t.Fatal(err)
					}
					if d.Allow || !strings.Contains(d.Rule, "deny") {
						t.Errorf("staff %s %s: allow=%v by %q, want denied by the department deny rule.", act, obj, d.Allow, d.Rule)
					}
				}
			}
		}
		d, _ := e.Decide(context.Background(), Request{Subject: staff, Action: Write, Object: "/departments/trafico/guia.docx"})
		if !d.Allow {
			t.Errorf("staff may no longer write a .docx: %s", d.Reason())
		}
	})
}

// TestDossiersAcceptDocumentTypesOnly: a correspondent uploads only the
// documents of an operation into a dossier, in any case; folders still
// work, and `policy test` names the rule.
func TestDossiersAcceptDocumentTypesOnly(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		e, _ := newEnforcerOn(t, db)
		corr := subject(store.RoleCorrespondent, "", "ACME")
		decide := func(act Action, obj string) Decision {
			t.Helper()
			d, err := e.Decide(context.Background(), Request{Subject: corr, Action: act, Object: obj})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		for _, name := range strings.Fields("a.pdf B.PDF cfdi.xml CFDI.XML scan.jpg scan.JPEG p.png p.tif p.TIFF carta.docx c.XLSX") {
			if d := decide(Write, "/dossiers/ACME/2026/"+name); !d.Allow || !strings.Contains(d.Rule, "correspondent") {
				t.Errorf("correspondent cannot upload %s into a dossier: %s", name, d.Reason())
			}
		}
		for _, name := range strings.Fields("x.html x.svg x.exe x.hta x.js x.zip x.doc x.xls x.docm x.xlsm x.csv x.txt x.lnk pdf x.pdf.exe noext") {
			if d := decide(Write, "/dossiers/ACME/2026/"+name); d.Allow {
				t.Errorf("correspondent may upload %s into a dossier: %s", name, d.Reason())
			}
		}
		if d := decide(Mkdir, "/dossiers/ACME/2027/"); !d.Allow {
			t.Errorf("correspondent cannot make a folder: %s", d.Reason())
		}
		if d := decide(List, "/dossiers/ACME/2026/"); !d.Allow {
			t.Errorf("correspondent cannot list: %s", d.Reason())
		}
		if d := decide(Write, "/dossiers/ACME/2026/"); !d.Allow { // a WebDAV LOCK of a folder
			t.Errorf("correspondent cannot lock a folder: %s", d.Reason())
		}
		if d := decide(Overwrite, "/dossiers/ACME/2026/a.pdf"); d.Allow {
			t.Errorf("correspondent may overwrite: %s", d.Reason())
		}
	})
}

// TestOldPoliciesUpgraded: a data dir seeded with the first release's
// rules gets the new forms of the rules it still has as shipped, once;
// a rule the administrator changed stays as it is.
func TestOldPoliciesUpgraded(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		ctx := context.Background()
		old := [][]string{
			{"p", "correspondent", "/dossiers/{client}/**", "list|write|mkdir", "allow"},
			{"p", "staff", "/departments/{department}/**", "list|read|write|overwrite|delete|rename|mkdir", "allow"},
			{"p", "staff", "/departments/**/*.{exe,bat,cmd,com,msi,scr,ps1,vbs,jar,dll,sh,mp3,mp4,m4a,avi,mkv,mov,wmv,wav,flac}", "write|overwrite|rename", "deny"},
		}
		open := func(dir string, rules [][]string) *store.Store {
			st, err := openStoreOn(t, db, dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if _, err := st.SeedPolicies(ctx, 1, rules); err != nil { // as the first release did
				t.Fatal(err)
			}
			return st
		}
		st := open(t.TempDir(), old)
		e, err := New(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		staff, corr := subject(store.RoleStaff, "trafico"), subject(store.RoleCorrespondent, "", "ACME")
		for _, c := range []struct {
			who   *Subject
			obj   string
			allow bool
		}{
			{staff, "/departments/trafico/x.HTA", false},
			{staff, "/departments/trafico/x.lnk", false},
			{staff, "/departments/trafico/x.docx", true},
			{corr, "/dossiers/ACME/x.html", false},
			{corr, "/dossiers/ACME/x.pdf", true},
		} {
			d, err := e.Decide(ctx, Request{Subject: c.who, Action: Write, Object: c.obj})
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != c.allow {
				t.Errorf("after the upgrade, %s write %s: %s, want allow=%v.", c.who.Role, c.obj, d.Reason(), c.allow)
			}
		}
		pol, _ := e.Policy()
		if n := len(pol.Rules); n != 5 {
			t.Errorf("after the upgrade there are %d rules, want 5 (2 replaced by 4): %v", n, pol.Rules)
		}
		e, err = New(ctx, st) // a second start changes nothing
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := e.Policy(); len(again.Rules) != len(pol.Rules) {
			t.Errorf("a second start changed the rules: %v", again.Rules)
		}

		// An administrator who widened the correspondents' rule keeps it.
		changed := [][]string{{"p", "correspondent", "/dossiers/{client}/**", "list|write|mkdir|read", "allow"}}
		st2 := open(t.TempDir(), changed)
		e2, err := New(ctx, st2)
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := e2.Decide(ctx, Request{Subject: corr, Action: Write, Object: "/dossiers/ACME/x.zip"}); !d.Allow {
			t.Errorf("an administrator's own correspondent rule was replaced: %s", d.Reason())
		}
	})
}
