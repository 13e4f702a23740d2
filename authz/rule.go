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

// executables and media, which department folders refuse (policy: "solo
// documentos de trabajo").
const refusedInDepartments = "{exe,bat,cmd,com,msi,scr,ps1,vbs,jar,dll,sh,mp3,mp4,m4a,avi,mkv,mov,wmv,wav,flac}"

// DefaultRules are the rules seeded on first start.
func DefaultRules() []Rule {
	all := "list|read|write|overwrite|delete|rename|mkdir"
	return []Rule{
		{"client", "/clients/{client}/**/", "list", Allow},
		{"client", "/clients/{client}/**/*.pdf", "list|read", Allow},
		{"correspondent", "/dossiers/{client}/**", "list|write|mkdir", Allow},
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
