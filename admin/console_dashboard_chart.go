package admin

import (
	"math"
	"slices"
	"time"

	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/ui"
)

// The dashboard's charts are drawn here as SVG, one bar per hour of the
// last week: one series upwards (bytes uploaded, logins that succeeded)
// and one downwards (bytes downloaded, logins that failed), each stacked
// by protocol. The page puts the SVG inline with classes only (the CSP
// allows no style attribute), a title and description for screen
// readers, and the numbers themselves in a table.

// Chart geometry, in SVG units: a bar every chartStep, half the height
// above the baseline and half below.
const (
	chartLeft   = 84
	chartStep   = 5
	chartBarW   = 4
	chartTop    = 14
	chartHalf   = 80
	chartBottom = 24 // the day labels
	chartRight  = 8
	chartLabelW = 64 // a day's label
)

// chartView is one chart and its data, ready for the page.
type chartView struct {
	ID               string // volume or logins
	Title, Desc      string
	None             string // what the page says when the week holds nothing
	Empty            bool
	Width, Height    int
	Base, Top, Low   int // y of the baseline, of the top and of the bottom of the bars
	Left, Right      int // x of the plot's edges
	Scale            string
	Bars             []chartBar
	Days             []chartTick
	Keys             []chartKey
	UpName, DownName string
	Rows             []chartRow // every hour and protocol with something to count
	// the data table's headings
	DataH, HourH, ProtocolH string
}

// chartBar is one protocol's part of one hour's bar.
type chartBar struct {
	X, Y, W, H int
	Class      string
	Title      string
}

// chartTick marks the start of a day.
type chartTick struct {
	X     int
	Label string
}

// chartKey is a protocol's colour in the legend.
type chartKey struct{ Protocol, Class string }

// chartRow is an hour's numbers for a protocol.
type chartRow struct {
	Hour             string // local time, for people
	Key              string // the UTC hour, as the store keys it (2006-01-02T15)
	Protocol         string
	Up, Down         int64
	UpText, DownText string
}

// chartPoint is an hour's two values for a protocol.
type chartPoint struct{ up, down int64 }

// volumeChart draws the bytes of completed uploads and downloads per hour
// and protocol, from start for a week.
func volumeChart(L ui.Text, hours []store.AuditHour, start time.Time) chartView {
	pts := map[chartIndex]*chartPoint{}
	for _, h := range hours {
		if h.Result != store.ResultOK {
			continue
		}
		switch h.Action {
		case auditWrite, auditOverwrite:
			point(pts, start, h).up += h.Bytes
		case auditRead:
			point(pts, start, h).down += h.Bytes
		}
	}
	return drawChart(L, "volume", start, pts, bytesText, L.T("dashboard.uploads"), L.T("dashboard.downloads"))
}

// loginChart draws the logins that succeeded and failed per hour and
// protocol, from start for a week.
func loginChart(L ui.Text, hours []store.AuditHour, start time.Time) chartView {
	pts := map[chartIndex]*chartPoint{}
	for _, h := range hours {
		if h.Action != auditLogin {
			continue
		}
		switch h.Result {
		case store.ResultOK:
			point(pts, start, h).up += h.Rows
		case store.ResultFailed:
			point(pts, start, h).down += h.Rows
		}
	}
	return drawChart(L, "logins", start, pts, countText, L.T("dashboard.ok"), L.T("dashboard.failed"))
}

// chartIndex is an hour (0 is start) and a protocol.
type chartIndex struct {
	hour     int
	protocol string
}

func point(pts map[chartIndex]*chartPoint, start time.Time, h store.AuditHour) *chartPoint {
	k := chartIndex{int(h.Hour.Sub(start) / time.Hour), h.Protocol}
	p := pts[k]
	if p == nil {
		p = &chartPoint{}
		pts[k] = p
	}
	return p
}

func countText(n int64) string { return formatInt(n) }

func drawChart(L ui.Text, id string, start time.Time, pts map[chartIndex]*chartPoint, format func(int64) string, upName, downName string) chartView {
	const n = chartDays * 24
	c := chartView{ID: id, Title: L.T("dashboard." + id), None: L.T("dashboard." + id + ".none"),
		Width: chartLeft + n*chartStep + chartRight, Base: chartTop + chartHalf, Top: chartTop, Low: chartTop + 2*chartHalf,
		Left: chartLeft, Right: chartLeft + n*chartStep, UpName: upName, DownName: downName,
		DataH: L.T("dashboard.chart.data"), HourH: L.T("dashboard.hour"), ProtocolH: L.T("dashboard.protocol")}
	c.Height = c.Low + chartBottom

	var protocols []string
	var top, totalUp, totalDown int64
	up, down := make([]int64, n), make([]int64, n)
	for k, p := range pts {
		if k.hour < 0 || k.hour >= n || (p.up == 0 && p.down == 0) {
			continue
		}
		if !slices.Contains(protocols, k.protocol) {
			protocols = append(protocols, k.protocol)
		}
		up[k.hour] += p.up
		down[k.hour] += p.down
		totalUp += p.up
		totalDown += p.down
	}
	for i := range n {
		top = max(top, up[i], down[i])
	}
	if top == 0 {
		c.Empty = true
		return c
	}
	slices.Sort(protocols)
	class := map[string]string{}
	for i, p := range protocols {
		class[p] = "s" + formatInt(int64(i%chartColours))
		c.Keys = append(c.Keys, chartKey{Protocol: p, Class: class[p]})
	}
	c.Scale = format(top)
	px := func(v int64) int {
		if v <= 0 {
			return 0
		}
		return max(1, int(math.Round(float64(v)*chartHalf/float64(top))))
	}
	for i := range n {
		hour := start.Add(time.Duration(i) * time.Hour)
		x := chartLeft + i*chartStep
		if t := hour.Local(); t.Hour() == 0 || i == 0 {
			tick := chartTick{X: x, Label: t.Format("2006-01-02")}
			if x > c.Right-chartLabelW {
				tick.Label = "" // no room left for it
			}
			c.Days = append(c.Days, tick)
		}
		var above, below int
		for _, p := range protocols {
			pt := pts[chartIndex{i, p}]
			if pt == nil || (pt.up == 0 && pt.down == 0) {
				continue
			}
			label := localTime(hour) + " · " + p + " · "
			if h := px(pt.up); h > 0 {
				above += h
				c.Bars = append(c.Bars, chartBar{X: x, Y: c.Base - above, W: chartBarW, H: h, Class: class[p],
					Title: label + upName + ": " + format(pt.up)})
			}
			if h := px(pt.down); h > 0 {
				c.Bars = append(c.Bars, chartBar{X: x, Y: c.Base + below, W: chartBarW, H: h, Class: class[p] + " down",
					Title: label + downName + ": " + format(pt.down)})
				below += h
			}
			c.Rows = append(c.Rows, chartRow{Hour: localTime(hour), Key: hour.UTC().Format("2006-01-02T15"), Protocol: p,
				Up: pt.up, Down: pt.down, UpText: format(pt.up), DownText: format(pt.down)})
		}
	}
	end := start.Add(n * time.Hour)
	c.Desc = L.T("dashboard."+id+".desc") + ", " + L.T("dashboard.chart.from") + " " + localTime(start) + " " +
		L.T("dashboard.chart.to") + " " + localTime(end) + "; " + L.T("dashboard.chart.total") + ": " +
		upName + " " + format(totalUp) + ", " + downName + " " + format(totalDown) + "."
	return c
}

// chartColours is how many protocol colours the style sheet has (.s0 …).
const chartColours = 6
