package storage

import (
	"context"

	"github.com/oaq/custodia/authz"
)

// May reports what Check would answer, without auditing: whether the user
// may perform act on name (on an existing folder, Write and Mkdir ask
// whether they may write into it: the folder page's upload link). It is for a page that shows only the controls
// its user may use (hide before deny): a listing of a hundred files asks
// it for each of them every time it is shown, and a denied row per file
// and per view would bury the audit trail. It grants nothing, and is no
// answer to a request: the operation checks (and audits) again when it
// runs.
func (v *View) May(ctx context.Context, act authz.Action, name string) bool {
	t, err := v.resolve(name)
	if err != nil {
		return false
	}
	if fi, err := v.lookup(ctx, t); err == nil && v.permits(ctx, authz.List, t, fi.IsDir()) {
		switch {
		case act == authz.Mkdir:
			return false // exists
		case act == authz.Write && !fi.IsDir():
			act = authz.Overwrite
		}
		return v.permits(ctx, act, t, fi.IsDir())
	}
	// A new name, or one the user may not see (Check treats it as new).
	if act != authz.Write && act != authz.Mkdir {
		return false
	}
	p := v.parent(t)
	if fi, err := v.lookup(ctx, p); err != nil || !fi.IsDir() || !v.permits(ctx, authz.List, p, true) {
		return false
	}
	return v.permits(ctx, act, t, act == authz.Mkdir)
}

// permits asks the decider without auditing; a failed decision denies.
func (v *View) permits(ctx context.Context, act authz.Action, t target, dir bool) bool {
	d, err := v.allowed(ctx, act, t, dir)
	return err == nil && d.Allow
}
