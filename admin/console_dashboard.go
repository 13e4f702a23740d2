package admin

import (
	"cmp"
	"net/http"
	"slices"
)

// protocolCount is one row of the dashboard's live sessions.
type protocolCount struct {
	Protocol string
	Sessions int
}

// dashboardPage is the dashboard's data.
type dashboardPage struct {
	Live  []protocolCount // per protocol, most sessions first
	Total int
}

// dashboard shows what the gateway is doing now: the live sessions per
// protocol, from the core's session registry (the list /api/v1/sessions
// gives).
func (c *console) dashboard(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	n := map[string]int{}
	var p dashboardPage
	for _, si := range c.s.o.Core.Sessions() {
		n[si.Protocol]++
		p.Total++
	}
	for proto, k := range n {
		p.Live = append(p.Live, protocolCount{proto, k})
	}
	slices.SortFunc(p.Live, func(a, b protocolCount) int {
		return cmp.Or(cmp.Compare(b.Sessions, a.Sessions), cmp.Compare(a.Protocol, b.Protocol))
	})
	c.pages.Render(w, http.StatusOK, "dashboard", q.page(q.L.T("nav.dashboard"), "/admin/", p))
}
