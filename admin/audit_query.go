package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/oaq/custodia/store"
)

// auditQueryOf parses the audit log's filters (user, client, action,
// result, path, since, until, limit, cursor) as GET /api/v1/audit and the
// console's audit page take them. A bad value is an *apiError naming its
// field.
func auditQueryOf(v url.Values) (store.AuditQuery, error) {
	q := store.AuditQuery{User: v.Get("user"), Action: v.Get("action"), Result: store.Result(v.Get("result")),
		PathPrefix: v.Get("path")}
	var err error
	if q.Limit, err = limitOf(v.Get("limit"), 100, 10000); err != nil {
		return q, err
	}
	if cl := v.Get("client"); cl != "" {
		if q.Client, err = store.NormalizeClientID(cl); err != nil {
			return q, fail(http.StatusBadRequest, "client", "%v", err)
		}
	}
	if q.Result != "" && !q.Result.Known() {
		return q, fail(http.StatusBadRequest, "result", "result %q: want one of %v", q.Result, store.Results)
	}
	if q.Since, q.Until, err = rangeOf(v); err != nil {
		return q, err
	}
	if cur := v.Get("cursor"); cur != "" {
		if q.Before, err = strconv.ParseInt(cur, 10, 64); err != nil || q.Before < 1 {
			return q, fail(http.StatusBadRequest, "cursor", "cursor %q: use next_cursor from the previous page", cur)
		}
	}
	return q, nil
}

// rangeOf parses the optional since and until of a query: RFC 3339 times
// (zero when absent).
func rangeOf(v url.Values) (since, until time.Time, err error) {
	for _, t := range []struct {
		key string
		dst *time.Time
	}{{"since", &since}, {"until", &until}} {
		if s := v.Get(t.key); s != "" {
			if *t.dst, err = time.Parse(time.RFC3339, s); err != nil {
				return since, until, fail(http.StatusBadRequest, t.key, "%s %q: want an RFC 3339 time such as 2026-11-01T00:00:00Z", t.key, s)
			}
		}
	}
	return since, until, nil
}
