package authz

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/oaq/custodia/store"
)

//go:embed model.conf
var modelText string

// maxCached bounds the decision cache; it is emptied when full.
const maxCached = 1 << 16

// Request asks whether Subject may perform Action on Object, a storage
// path such as "/dossiers/ACME/2026/factura.pdf" (directories end in "/").
type Request struct {
	Subject *Subject
	Action  Action
	Object  string
}

// Decision is the answer, with the rule that decided it.
type Decision struct {
	Allow bool
	Rule  string // the deciding policy line, "" when no rule matched
}

// Reason explains a decision in one sentence.
func (d Decision) Reason() string {
	switch {
	case d.Allow:
		return "allowed by " + d.Rule
	case d.Rule != "":
		return "denied by " + d.Rule
	default:
		return "no rule allows it"
	}
}

// Enforcer decides requests against the rules in the store. Decisions are
// cached, by request and by class of objects (class.go); the caches are
// dropped whenever the rules change, in this process (AddRule, RemoveRule)
// or another one (Watch polls the store's revision).
type Enforcer struct {
	st *store.Store

	mu       sync.RWMutex
	ce       *casbin.Enforcer
	revision int64
	cache    map[cacheKey]Decision
	rules    []policyRule      // the loaded rules, for plans; nil: no class cache
	plans    map[planKey]*plan // by subject and action

	enforced atomic.Int64 // requests Casbin decided, for tests
}

// cacheKey identifies a cached decision. A struct of the request's own
// strings, not one string built from them, so that looking a decision up
// allocates nothing; its fields cannot run into each other either.
type cacheKey struct {
	subject string // Subject.key: every fact about the user a rule may use
	action  Action
	object  string
}

// New loads the rules from the store, seeding the defaults on a new store.
func New(ctx context.Context, st *store.Store) (*Enforcer, error) {
	var seed [][]string
	for _, r := range DefaultRules() {
		seed = append(seed, append([]string{"p"}, r.fields()...))
	}
	for _, i := range DefaultInheritance() {
		seed = append(seed, []string{"g", i.Role, i.Parent})
	}
	if _, err := st.SeedPolicies(ctx, PoliciesVersion, seed); err != nil {
		return nil, err
	}
	if err := st.UpgradePolicies(ctx, upgrades()); err != nil {
		return nil, err
	}
	e := &Enforcer{st: st}
	if err := e.Reload(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Reload reads the rules from the store and drops the cache.
func (e *Enforcer) Reload(ctx context.Context) error {
	rev, err := e.st.PolicyRevision(ctx)
	if err != nil {
		return err
	}
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return fmt.Errorf("authz: model: %w", err)
	}
	ce, err := casbin.NewEnforcer(m, e.st.Policies())
	if err != nil {
		return fmt.Errorf("authz: load rules: %w", err)
	}
	ce.AddFunction("objectMatch", func(args ...any) (any, error) {
		obj, _ := args[0].(string)
		pattern, _ := args[1].(string)
		sub, ok := args[2].(*Subject)
		if !ok {
			return false, errors.New("authz: objectMatch: subject is not *Subject")
		}
		// A stored rule whose glob is malformed fails the decision rather
		// than matching nothing, which would silently drop a deny rule.
		if !doublestar.ValidatePattern(pattern) {
			return false, fmt.Errorf("authz: rule object %q is not a valid glob", pattern)
		}
		return objectMatch(obj, pattern, sub), nil
	})
	ce.AddFunction("actionMatch", func(args ...any) (any, error) {
		act, _ := args[0].(string)
		acts, _ := args[1].(string)
		return actionMatch(act, acts), nil
	})
	rules, err := classRules(ce)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.ce, e.revision, e.cache = ce, rev, make(map[cacheKey]Decision)
	e.rules, e.plans = rules, make(map[planKey]*plan)
	e.mu.Unlock()
	return nil
}

// classRules lists the loaded rules for decision classes, or nil when a
// rule's glob is malformed: then every decision goes to Casbin, which
// fails it as before. (A plan leaves out the rules that cannot apply to
// its subject and action, so it could skip the bad glob and its error.)
func classRules(ce *casbin.Enforcer) ([]policyRule, error) {
	ps, err := ce.GetPolicy()
	if err != nil {
		return nil, fmt.Errorf("authz: rules: %w", err)
	}
	rules := make([]policyRule, 0, len(ps))
	for _, p := range ps {
		if len(p) < 3 || !doublestar.ValidatePattern(p[1]) {
			return nil, nil
		}
		rules = append(rules, policyRule{sub: p[0], obj: p[1], acts: p[2]})
	}
	return rules, nil
}

// Watch reloads the rules whenever another process changed them, checking
// every interval until ctx is done. Errors are returned to report() and
// retried at the next tick.
func (e *Enforcer) Watch(ctx context.Context, interval time.Duration, report func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rev, err := e.st.PolicyRevision(ctx)
		if err == nil {
			e.mu.RLock()
			changed := rev != e.revision
			e.mu.RUnlock()
			if !changed {
				continue
			}
			err = e.Reload(ctx)
		}
		if err != nil && ctx.Err() == nil {
			report(err)
		}
	}
}

// Decide answers a request. On any error it denies (fails closed).
func (e *Enforcer) Decide(ctx context.Context, req Request) (Decision, error) {
	if req.Subject == nil {
		return Decision{}, errors.New("authz: request without subject")
	}
	if !strings.HasPrefix(req.Object, "/") {
		return Decision{}, fmt.Errorf("authz: object %q is not a storage path", req.Object)
	}
	key := cacheKey{subject: req.Subject.key, action: req.Action, object: req.Object}
	e.mu.RLock()
	d, ok := e.cache[key]
	ce, rules := e.ce, e.rules
	e.mu.RUnlock()
	if ok {
		return d, nil
	}
	pk := planKey{subject: req.Subject.key, action: req.Action}
	var pl *plan
	var class []byte
	if rules != nil {
		e.mu.RLock()
		pl = e.plans[pk]
		e.mu.RUnlock()
		if pl == nil {
			pl = newPlan(rules, ce.GetRoleManager(), req.Subject, req.Action)
		}
		var buf [32]byte
		class = pl.class(buf[:0], req.Object)
		e.mu.RLock()
		d, ok = pl.classes[string(class)]
		e.mu.RUnlock()
	}
	if !ok {
		e.enforced.Add(1)
		allow, explain, err := ce.EnforceEx(req.Subject, req.Object, string(req.Action))
		if err != nil {
			return Decision{}, fmt.Errorf("authz: decide %s %s: %w", req.Action, req.Object, err)
		}
		d = Decision{Allow: allow}
		if len(explain) > 0 {
			d.Rule = "p, " + strings.Join(explain, ", ")
		}
	}
	e.mu.Lock()
	if e.ce == ce {
		if len(e.cache) >= maxCached {
			clear(e.cache)
		}
		e.cache[key] = d
		if pl != nil {
			e.remember(pk, pl, class, d)
		}
	}
	e.mu.Unlock()
	return d, nil
}

// remember keeps d as the decision of class in plan pl (made for pk), or in
// the plan another request stored for pk meanwhile. e.mu is held.
func (e *Enforcer) remember(pk planKey, pl *plan, class []byte, d Decision) {
	if have, ok := e.plans[pk]; ok {
		pl = have
	} else {
		if len(e.plans) >= maxPlans {
			clear(e.plans)
		}
		e.plans[pk] = pl
	}
	if _, ok := pl.classes[string(class)]; ok {
		return
	}
	if len(pl.classes) >= maxClasses {
		clear(pl.classes)
	}
	pl.classes[string(class)] = d
}

// Policy lists the rules and inheritances currently loaded.
func (e *Enforcer) Policy() (Policy, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ps, err := e.ce.GetPolicy()
	if err != nil {
		return Policy{}, fmt.Errorf("authz: rules: %w", err)
	}
	gs, err := e.ce.GetGroupingPolicy()
	if err != nil {
		return Policy{}, fmt.Errorf("authz: rules: %w", err)
	}
	pol := Policy{Rules: make([]Rule, 0, len(ps)), Inheritance: make([]Inheritance, 0, len(gs))}
	for _, p := range ps {
		if len(p) != 4 {
			return Policy{}, fmt.Errorf("authz: stored rule %v has %d fields, want 4", p, len(p))
		}
		pol.Rules = append(pol.Rules, Rule{Subject: p[0], Object: p[1], Actions: p[2], Effect: Effect(p[3])})
	}
	for _, g := range gs {
		if len(g) != 2 {
			return Policy{}, fmt.Errorf("authz: stored inheritance %v has %d fields, want 2", g, len(g))
		}
		pol.Inheritance = append(pol.Inheritance, Inheritance{Role: g[0], Parent: g[1]})
	}
	return pol, nil
}

// AddRule validates and stores a rule, then reloads.
func (e *Enforcer) AddRule(ctx context.Context, r Rule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if err := e.st.Policies().AddPolicy("p", "p", r.fields()); err != nil {
		return err
	}
	return e.Reload(ctx)
}

// GrantTree lets u list and read the folder dir (a storage path) and
// everything under it, and list dir's parent folder; a rule already
// there is kept. A finished restore grants its requester the restored
// files this way.
func (e *Enforcer) GrantTree(ctx context.Context, u *store.User, dir string) error {
	subject := SubjectOf(u).Principal // names match in lower case
	for _, r := range []Rule{
		{Subject: subject, Object: path.Dir(dir) + "/", Actions: "list", Effect: Allow},
		{Subject: subject, Object: dir + "/**", Actions: "list|read", Effect: Allow},
	} {
		if err := e.AddRule(ctx, r); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return nil
}

// RevokeTree takes back what GrantTree gave the user named name on dir,
// and the listing of dir's parent unless another of the user's rules
// still reaches below it (another restore not yet expired). It works
// for a user since deleted, whose rules would otherwise pass to the next
// user of the name.
func (e *Enforcer) RevokeTree(ctx context.Context, name, dir string) error {
	subject := "user:" + strings.ToLower(name)
	parent := path.Dir(dir) + "/"
	tree := Rule{Subject: subject, Object: dir + "/**", Actions: "list|read", Effect: Allow}
	if err := e.RemoveRule(ctx, tree); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	pol, err := e.Policy()
	if err != nil {
		return err
	}
	for _, r := range pol.Rules {
		if r.Subject == subject && r.Object != parent && strings.HasPrefix(r.Object, parent) {
			return nil
		}
	}
	err = e.RemoveRule(ctx, Rule{Subject: subject, Object: parent, Actions: "list", Effect: Allow})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// MayRead reports whether u may read spath under the current rules: the
// contents of a file, or the listing of a folder (spath ending in "/").
// A restore is requested, and its files restored, only when it does.
func (e *Enforcer) MayRead(ctx context.Context, u *store.User, spath string) (bool, error) {
	act := Read
	if strings.HasSuffix(spath, "/") {
		act = List
	}
	d, err := e.Decide(ctx, Request{Subject: SubjectOf(u), Action: act, Object: spath})
	if err != nil {
		return false, err
	}
	return d.Allow, nil
}

// RemoveRule deletes a rule, then reloads.
func (e *Enforcer) RemoveRule(ctx context.Context, r Rule) error {
	if err := e.st.Policies().RemovePolicy("p", "p", r.fields()); err != nil {
		return err
	}
	return e.Reload(ctx)
}
