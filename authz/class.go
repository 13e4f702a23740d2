package authz

import (
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/casbin/casbin/v2/rbac"
)

// Decision classes. model.conf's matcher is
//
//	(subject terms) && objectMatch(r.obj, p.obj, r.sub) && actionMatch(r.act, p.act)
//
// so the object of a request reaches Casbin only through objectMatch
// (TestMatcherUsesObjectOnlyInObjectMatch guards it). For one subject and
// one action, two objects that objectMatch answers alike for every rule
// whose subject and action terms hold make the same rules match, hence get
// the same decision and the same explaining rule. A plan lists those
// rules' distinct patterns; an object's class is the bitset of the
// patterns it matches; Casbin decides once per class. A folder of 100,000
// entries then costs a few glob matches per entry instead of Casbin's
// interpreted matcher for each.

// maxPlans and maxClasses bound the class caches; each is emptied when full.
const (
	maxPlans   = 1 << 12 // (subject, action) pairs
	maxClasses = 1 << 10 // classes of one plan
)

// maxBindings bounds the patterns a placeholder rule expands to for one
// subject (a pattern with two {client} segments grows with the square of
// the subject's clients); past it the pattern is matched by objectMatch.
const maxBindings = 1 << 12

// globMeta are the characters a placeholder may not bind: a path segment
// holding one is never taken as a client's or department's name.
const globMeta = `*?[]{}\`

// policyRule is what of a loaded rule decides whether it may apply.
type policyRule struct {
	sub, obj, acts string
}

// planKey names a plan: a subject (Subject.key) and an action.
type planKey struct {
	subject string
	action  Action
}

// plan is the patterns that may decide requests of one subject and action,
// and the decisions already known for each class of objects.
type plan struct {
	patterns []pattern
	classes  map[string]Decision // by class bitset; guarded by Enforcer.mu
}

// pattern answers objectMatch(obj, raw, sub) for one subject without
// allocating: the placeholders are bound to the subject's values once.
type pattern struct {
	glob  string            // lower-case glob without placeholders, when slots is nil
	slots []int             // path segments that are placeholders
	bound map[string]string // their "/"-joined values → the glob with them in place
	raw   string            // the rule's object, for the fallback
	sub   *Subject          // non-nil: too many bindings, ask objectMatch
}

// newPlan builds the plan of sub and act over the loaded rules: the
// distinct patterns of every rule whose subject and action terms may hold
// (a rule left out is one that matches no object for this subject and
// action). rm is Casbin's role manager, which answers the matcher's g().
func newPlan(rules []policyRule, rm rbac.RoleManager, sub *Subject, act Action) *plan {
	p := &plan{classes: make(map[string]Decision)}
	seen := make(map[string]bool)
	for _, r := range rules {
		if seen[r.obj] || !actionMatch(string(act), r.acts) || !subjectMayMatch(rm, sub, r.sub) {
			continue
		}
		seen[r.obj] = true
		p.patterns = append(p.patterns, compilePattern(r.obj, sub))
	}
	return p
}

// subjectMayMatch is the matcher's subject terms; an error of the role
// manager counts as a match, which only makes classes finer.
func subjectMayMatch(rm rbac.RoleManager, sub *Subject, ruleSub string) bool {
	if ruleSub == sub.Unit || ruleSub == sub.Principal || ruleSub == sub.Role {
		return true
	}
	if rm == nil {
		return false
	}
	ok, err := rm.HasLink(sub.Role, ruleSub)
	return ok || err != nil
}

// compilePattern prepares objectMatch(·, raw, sub).
func compilePattern(raw string, sub *Subject) pattern {
	lower := strings.ToLower(raw)
	if !strings.Contains(lower, ClientPlaceholder) && !strings.Contains(lower, DepartmentPlaceholder) {
		return pattern{glob: lower, raw: raw}
	}
	segs := strings.Split(lower, "/")
	pt := pattern{raw: raw}
	var choices [][]string // per slot, the values it may bind
	for i, s := range segs {
		var vals []string
		switch s {
		case ClientPlaceholder:
			for _, c := range sub.Clients {
				vals = append(vals, strings.ToLower(c))
			}
		case DepartmentPlaceholder:
			if sub.Department != "" {
				vals = []string{strings.ToLower(sub.Department)}
			}
		default:
			continue
		}
		// A value that no segment of a matching path can equal is dropped:
		// one with "/" (no segment has it) or a glob character (refused).
		kept := vals[:0]
		for _, v := range vals {
			if !strings.ContainsAny(v, globMeta+"/") {
				kept = append(kept, v)
			}
		}
		pt.slots = append(pt.slots, i)
		choices = append(choices, kept)
	}
	n := 1
	for _, c := range choices {
		n *= len(c)
		if n > maxBindings {
			return pattern{raw: raw, sub: sub}
		}
	}
	pt.bound = make(map[string]string, n)
	var bind func(k int, key []string)
	bind = func(k int, key []string) {
		if k == len(choices) {
			s := append([]string(nil), segs...)
			for j, slot := range pt.slots {
				s[slot] = key[j]
			}
			pt.bound[strings.Join(key, "/")] = strings.Join(s, "/")
			return
		}
		for _, v := range choices[k] {
			bind(k+1, append(key, v))
		}
	}
	bind(0, nil)
	return pt
}

// match is objectMatch(obj, raw, sub), given lower = strings.ToLower(obj).
func (pt *pattern) match(obj, lower string) bool {
	if pt.sub != nil {
		return objectMatch(obj, pt.raw, pt.sub)
	}
	glob := pt.glob
	if pt.slots != nil {
		var buf [128]byte
		key := buf[:0]
		for j, slot := range pt.slots {
			// bound holds no value with a glob character: a segment
			// holding one binds nothing, as in objectMatch.
			seg, ok := segment(lower, slot)
			if !ok {
				return false
			}
			if j > 0 {
				key = append(key, '/')
			}
			key = append(key, seg...)
		}
		g, found := pt.bound[string(key)]
		if !found {
			return false
		}
		glob = g
	}
	ok, err := doublestar.Match(glob, lower)
	return ok && err == nil
}

// segment is strings.Split(s, "/")[i], without splitting.
func segment(s string, i int) (string, bool) {
	for ; i > 0; i-- {
		j := strings.IndexByte(s, '/')
		if j < 0 {
			return "", false
		}
		s = s[j+1:]
	}
	if j := strings.IndexByte(s, '/'); j >= 0 {
		s = s[:j]
	}
	return s, true
}

// class appends obj's class, the bitset of the plan's patterns it
// matches, to dst.
func (p *plan) class(dst []byte, obj string) []byte {
	lower := strings.ToLower(obj)
	n := len(dst)
	for range (len(p.patterns) + 7) / 8 {
		dst = append(dst, 0)
	}
	for i := range p.patterns {
		if p.patterns[i].match(obj, lower) {
			dst[n+i/8] |= 1 << (i % 8)
		}
	}
	return dst
}
