package admin

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/ui"
)

// The dashboard: what the gateway is doing now (live sessions, transfers
// in flight, bans), what it did today and over the last week (from the
// audit trail's hourly counts, store.AuditHours), how its backups and
// hooks fare, and the free space of the files. Each section comes from
// the same source as the API's list of it; a section with nothing to
// show says so.

// chartDays is how far back the charts go.
const chartDays = 7

// protocolCount is one row of the dashboard's live sessions.
type protocolCount struct {
	Protocol string
	Sessions int
}

// dashboardPage is the dashboard's data, formatted for the page.
type dashboardPage struct {
	Live      []protocolCount // per protocol, most sessions first
	Total     int
	Transfers []transferRow
	Today     todaySection
	Bans      []banRow
	Backups   backupSection
	Hooks     hookSection
	Disk      *diskView // nil: the free space could not be read
	Volume    chartView
	Logins    chartView
}

// dashboard renders the dashboard.
func (c *console) dashboard(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	p, err := c.dashboardData(r.Context(), q.L, time.Now())
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	c.pages.Render(w, http.StatusOK, "dashboard", q.page(q.L.T("nav.dashboard"), "/admin/", p))
}

// dashboardData gathers the dashboard as of now.
func (c *console) dashboardData(ctx context.Context, L ui.Text, now time.Time) (*dashboardPage, error) {
	p := &dashboardPage{}
	n := map[string]int{}
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
	p.Transfers = transferRows(L, c.s.o.Core.Transfers(), now)
	for _, b := range c.s.o.Core.Bans() {
		p.Bans = append(p.Bans, banRow{Addr: b.Prefix.String(), Until: localTime(b.Until), In: durationText(b.Until.Sub(now))})
	}

	// One read of the hourly counts serves today's figures and the charts.
	end := now.Truncate(time.Hour) // the current hour's start
	start := end.Add(-(chartDays*24 - 1) * time.Hour)
	hours, err := c.s.o.Store.AuditHours(ctx, start, auditLogin, auditRead, auditWrite, auditOverwrite)
	if err != nil {
		return nil, err
	}
	p.Today = todayFigures(hours, startOfDay(now))
	p.Volume, p.Logins = volumeChart(L, hours, start), loginChart(L, hours, start)

	if p.Backups, err = c.backupSection(ctx, now); err != nil {
		return nil, err
	}
	if p.Hooks, err = c.hookSection(ctx); err != nil {
		return nil, err
	}
	if sp, err := c.s.o.Core.Space(); err == nil {
		p.Disk = diskOf(sp.Free, sp.Used)
	} else {
		c.s.log.Warn("dashboard: free space", "err", err)
	}
	return p, nil
}

// The audit actions the dashboard counts: logins, downloads and uploads
// (a new file or a replacement).
const (
	auditLogin     = "login"
	auditRead      = "read"
	auditWrite     = "write"
	auditOverwrite = "overwrite"
)

// startOfDay is the first hour of now's day (local time) that the hourly
// counts hold: local midnight, or the hour it falls in where the zone is
// not a whole number of hours off UTC.
func startOfDay(now time.Time) time.Time {
	y, m, d := now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, now.Location()).Truncate(time.Hour)
}

// transferRow is a transfer in flight, formatted.
type transferRow struct {
	User, Protocol, Path string
	Upload               bool
	Bytes                int64
	BytesText            string
	Elapsed              string
	Rate                 string // average since it began
}

func transferRows(L ui.Text, ts []gateway.TransferInfo, now time.Time) []transferRow {
	out := make([]transferRow, 0, len(ts))
	for _, t := range ts {
		el := max(now.Sub(t.Started), time.Millisecond)
		out = append(out, transferRow{User: t.User, Protocol: t.Protocol, Path: t.Path, Upload: t.Upload,
			Bytes: t.Bytes, BytesText: bytesText(t.Bytes), Elapsed: durationText(el),
			Rate: bytesText(int64(float64(t.Bytes)/el.Seconds())) + "/s"})
	}
	return out
}

// banRow is an active ban.
type banRow struct{ Addr, Until, In string }

// todaySection is today's uploads, downloads and logins per protocol.
type todaySection struct {
	Rows       []todayRow // per protocol with any activity today
	Total      todayRow
	Failed, OK int64 // logins
	Since      string
}

// todayRow is one protocol's day.
type todayRow struct {
	Protocol               string
	Uploads, Downloads     int64
	UpBytes, DownBytes     int64
	UpText, DownText       string
	LoginsOK, LoginsFailed int64
}

func todayFigures(hours []store.AuditHour, since time.Time) todaySection {
	by := map[string]*todayRow{}
	s := todaySection{Since: localTime(since)}
	for _, h := range hours {
		if h.Hour.Before(since) {
			continue
		}
		r := by[h.Protocol]
		if r == nil {
			r = &todayRow{Protocol: h.Protocol}
			by[h.Protocol] = r
		}
		switch {
		case h.Action == auditLogin && h.Result == store.ResultOK:
			r.LoginsOK += h.Rows
		case h.Action == auditLogin && h.Result == store.ResultFailed:
			r.LoginsFailed += h.Rows
		case h.Action == auditRead && h.Result == store.ResultOK:
			r.Downloads += h.Rows
			r.DownBytes += h.Bytes
		case (h.Action == auditWrite || h.Action == auditOverwrite) && h.Result == store.ResultOK:
			r.Uploads += h.Rows
			r.UpBytes += h.Bytes
		}
	}
	for _, r := range by {
		r.UpText, r.DownText = bytesText(r.UpBytes), bytesText(r.DownBytes)
		s.Rows = append(s.Rows, *r)
		s.Total.Uploads += r.Uploads
		s.Total.UpBytes += r.UpBytes
		s.Total.Downloads += r.Downloads
		s.Total.DownBytes += r.DownBytes
		s.Total.LoginsOK += r.LoginsOK
		s.Total.LoginsFailed += r.LoginsFailed
	}
	s.Total.UpText, s.Total.DownText = bytesText(s.Total.UpBytes), bytesText(s.Total.DownBytes)
	s.OK, s.Failed = s.Total.LoginsOK, s.Total.LoginsFailed
	slices.SortFunc(s.Rows, func(a, b todayRow) int { return cmp.Compare(a.Protocol, b.Protocol) })
	return s
}

// diskView is the free space of the files.
type diskView struct {
	Free, Total uint64
	FreeText    string
	TotalText   string
	PercentFree int
	Low         bool // under a tenth free
}

func diskOf(free, used uint64) *diskView {
	total := free + used
	d := &diskView{Free: free, Total: total, FreeText: bytesText(int64(free)), TotalText: bytesText(int64(total))}
	if total > 0 {
		d.PercentFree = int(free * 100 / total)
	}
	d.Low = d.PercentFree < 10
	return d
}
