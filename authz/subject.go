package authz

import (
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/oaq/custodia/store"
)

// Subject is who asks: the facts about a user that rules may refer to.
type Subject struct {
	Name       string
	Role       string
	Department string
	Clients    []string // sorted
	Unit       string   // "department:<name>", or "" without a department
	Principal  string   // "user:<name>"
	key        string   // identity for the decision cache
}

// SubjectOf builds the subject of a user.
func SubjectOf(u *store.User) *Subject {
	s := &Subject{
		Name:       strings.ToLower(u.Name),
		Role:       string(u.Role),
		Department: u.Department,
		Clients:    slices.Sorted(slices.Values(u.Clients)),
	}
	if s.Department != "" {
		s.Unit = "department:" + s.Department
	}
	s.Principal = "user:" + s.Name
	s.key = s.Name + "\x00" + s.Role + "\x00" + s.Department + "\x00" + strings.Join(s.Clients, ",")
	return s
}

// objectMatch reports whether a storage path matches a rule's glob once
// its placeholder segments are bound to one of the subject's values. The
// match ignores case, so that *.pdf also admits FACTURA.PDF.
func objectMatch(obj, pattern string, sub *Subject) bool {
	obj = strings.ToLower(obj)
	pattern = strings.ToLower(pattern)
	if !strings.Contains(pattern, "{client}") && !strings.Contains(pattern, "{department}") {
		ok, err := doublestar.Match(pattern, obj)
		return ok && err == nil
	}
	psegs := strings.Split(pattern, "/")
	osegs := strings.Split(obj, "/")
	for i, ps := range psegs {
		var allowed bool
		switch ps {
		case ClientPlaceholder:
			allowed = i < len(osegs) && slices.ContainsFunc(sub.Clients, func(c string) bool {
				return strings.ToLower(c) == osegs[i]
			})
		case DepartmentPlaceholder:
			allowed = i < len(osegs) && sub.Department != "" && strings.ToLower(sub.Department) == osegs[i]
		default:
			continue
		}
		if !allowed || strings.ContainsAny(osegs[i], `*?[]{}\`) {
			return false
		}
		psegs[i] = osegs[i]
	}
	ok, err := doublestar.Match(strings.Join(psegs, "/"), obj)
	return ok && err == nil
}
