package authz

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Effect of a matching rule. Deny wins over allow.
type Effect string

// Rule effects.
const (
	Allow Effect = "allow"
	Deny  Effect = "deny"
)

// Placeholders a rule's object may use as whole path segments.
const (
	ClientPlaceholder     = "{client}"
	DepartmentPlaceholder = "{department}"
)

// Rule is one policy line ("p") of the model.
type Rule struct {
	Subject string // a role, "department:<name>" or "user:<name>"
	Object  string // glob over storage paths; "{client}"/"{department}" segments bind to the subject
	Actions string // "|"-separated actions or "*"
	Effect  Effect
}

// Inheritance is one role line ("g"): Role has every right of Parent.
type Inheritance struct {
	Role, Parent string
}

// Policy is the rules and role lines an Enforcer has loaded, read at one
// moment.
type Policy struct {
	Rules       []Rule
	Inheritance []Inheritance
}

func (r Rule) fields() []string {
	return []string{r.Subject, r.Object, r.Actions, string(r.Effect)}
}

// String renders the rule as a policy line, the form `policy list` prints.
func (r Rule) String() string { return "p, " + strings.Join(r.fields(), ", ") }

func (i Inheritance) String() string { return "g, " + i.Role + ", " + i.Parent }

// Validate checks every field of the rule, naming the first bad one.
func (r Rule) Validate() error {
	if r.Subject == "" || strings.ContainsAny(r.Subject, ", \t\n") {
		return fmt.Errorf("rule subject %q: want a role, department:<name> or user:<name>", r.Subject)
	}
	if !strings.HasPrefix(r.Object, "/") || !doublestar.ValidatePattern(r.Object) {
		return fmt.Errorf("rule object %q: want a glob over storage paths starting with /", r.Object)
	}
	sawDoubleStar := false
	for _, seg := range strings.Split(r.Object, "/") {
		switch {
		case seg == "**":
			sawDoubleStar = true
		case seg == ClientPlaceholder || seg == DepartmentPlaceholder:
			if sawDoubleStar {
				return fmt.Errorf("rule object %q: placeholder %s must come before any **", r.Object, seg)
			}
		case strings.Contains(seg, ClientPlaceholder) || strings.Contains(seg, DepartmentPlaceholder):
			return fmt.Errorf("rule object %q: a placeholder must be a whole path segment", r.Object)
		}
	}
	if r.Actions != "*" {
		for _, a := range strings.Split(r.Actions, "|") {
			if _, err := ParseAction(a); err != nil {
				return fmt.Errorf("rule actions %q: %w", r.Actions, err)
			}
		}
	}
	if r.Effect != Allow && r.Effect != Deny {
		return fmt.Errorf("rule effect %q: want allow or deny", r.Effect)
	}
	return nil
}

// refusedInDepartments are the executables and media that department
// folders refuse (policy: "solo documentos de trabajo"): what Windows runs
// on a double-click (exe … appref-ms, reg), the shortcut types that make
// Explorer fetch a remote icon and leak the user's NTLM hash just by
// showing the folder (url, lnk, scf), and media. Matched in any case.
const refusedInDepartments = "{exe,bat,cmd,com,msi,msp,scr,pif,cpl,msc,hta,js,jse,vbs,vbe,wsf,wsh,ps1,reg," +
	"appref-ms,jar,dll,sh,url,lnk,scf,mp3,mp4,m4a,avi,mkv,mov,wmv,wav,flac}"

// acceptedInDossiers are the only types a correspondent may upload into
// a client's dossier (expediente digital): the documents of a customs
// operation. pdf (pedimentos, invoices, certificates); xml (CFDI, the
// Mexican electronic invoice, is XML); jpg jpeg png tif tiff (photos and
// scans of paper documents); docx xlsx (Office files that cannot hold
// macros). Left out on purpose: doc xls docm xlsm (macros), csv (formulas
// run when a spreadsheet opens it), zip and other archives (they hide
// their contents from these rules), svg and html (scripts), txt (not a
// document of an operation). Matched in any case.
const acceptedInDossiers = "{pdf,xml,jpg,jpeg,png,tif,tiff,docx,xlsx}"

// DefaultRules are the rules seeded on first start.
func DefaultRules() []Rule {
	all := "list|read|write|overwrite|delete|rename|mkdir"
	return []Rule{
		{"client", "/clients/{client}/**/", "list", Allow},
		{"client", "/clients/{client}/**/*.pdf", "list|read", Allow},
		{"correspondent", "/dossiers/{client}/**", "list|mkdir", Allow},
		{"correspondent", "/dossiers/{client}/**/", "write", Allow}, // folders only (a WebDAV LOCK of one)
		{"correspondent", "/dossiers/{client}/**/*." + acceptedInDossiers, "write", Allow},
		{"staff", "/departments/{department}/**", all, Allow},
		{"staff", "/departments/**/*." + refusedInDepartments, "write|overwrite|rename", Deny},
		{"department:operaciones", "/dossiers/**", "list|read", Allow},
		{"publisher", "/clients/**", "list|read|mkdir", Allow},
		{"publisher", "/clients/**/*.pdf", "write|overwrite", Allow},
		{"admin", "/**", all, Allow},
	}
}

// DefaultInheritance: a manager has every right of staff.
func DefaultInheritance() []Inheritance {
	return []Inheritance{{Role: "manager", Parent: "staff"}}
}
