// Package timeline draws a Gantt chart as SVG markup, on the server: rows
// of bars (or diamonds, for a date without a start) against a date axis,
// with vertical markers such as today, a deadline or a forecast. It is
// pure: no I/O, no clock (the caller passes "today" as a marker), and
// everything it writes from its input is escaped.
//
// The chart has a fixed coordinate system (a viewBox Width units wide) and
// scales to its container; it carries classes, never style attributes, so
// the page's stylesheet colours it under a strict Content-Security-Policy.
package timeline

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Geometry, in viewBox units.
const (
	Width      = 1000 // the whole chart
	LabelWidth = 260  // the labels' column, left of the bars
	pad        = 10
	PlotLeft   = LabelWidth + pad // where the date axis starts
	PlotRight  = Width - pad      // and ends
	Top        = 46               // the axis: marker labels, then tick labels
	RowHeight  = 26
	barHeight  = 14
	bottom     = 8
	labelRunes = 38 // a longer label is cut, whole in the row's <title>
)

// Row is one line of the chart: a bar from Start to End or, when Start is
// zero, a diamond at End (a due date). A row without End shows its label
// only.
type Row struct {
	Label  string
	Start  time.Time
	End    time.Time
	Class  string  // classes of the row: its status, "overdue", …
	Href   string  // a path on this site the row links to; "" for none
	Points []Point // marks inside this row only (a project's forecast)
}

// Point is a mark inside one row.
type Point struct {
	At    time.Time
	Label string // its tooltip: "Forecast"
	Class string
}

// Marker is a vertical line across every row, labelled on the axis.
type Marker struct {
	At    time.Time
	Label string // "Today", "Deadline", "Forecast"
	Class string // "today", "deadline", "forecast"
}

// Chart is what SVG draws.
type Chart struct {
	// Title names the chart for assistive technology (aria-label and
	// <title>).
	Title string
	// From and To are the dates the axis spans; zero: from the rows,
	// points and markers, with a margin.
	From, To time.Time
	Rows     []Row
	Markers  []Marker
}

// Height is the height of the chart's viewBox.
func (c Chart) Height() int { return Top + max(len(c.Rows), 1)*RowHeight + bottom }

// Range is the span the axis covers: From and To when both are set,
// otherwise the earliest and latest date of the chart, widened by 3% on
// each side, and at least a day.
func (c Chart) Range() (from, to time.Time) {
	if !c.From.IsZero() && !c.To.IsZero() && c.To.After(c.From) {
		return c.From, c.To
	}
	var all []time.Time
	for _, r := range c.Rows {
		all = append(all, r.Start, r.End)
		for _, p := range r.Points {
			all = append(all, p.At)
		}
	}
	for _, m := range c.Markers {
		all = append(all, m.At)
	}
	for _, t := range all {
		if t.IsZero() {
			continue
		}
		if from.IsZero() || t.Before(from) {
			from = t
		}
		if to.IsZero() || t.After(to) {
			to = t
		}
	}
	if from.IsZero() {
		return time.Time{}, time.Time{}
	}
	margin := to.Sub(from) * 3 / 100
	from, to = from.Add(-margin), to.Add(margin)
	if to.Sub(from) < 24*time.Hour {
		mid := from.Add(to.Sub(from) / 2)
		from, to = mid.Add(-12*time.Hour), mid.Add(12*time.Hour)
	}
	if !c.From.IsZero() {
		from = c.From
	}
	if !c.To.IsZero() && c.To.After(from) {
		to = c.To
	}
	return from, to
}

// scale maps times to x positions of the plot.
type scale struct{ from, to time.Time }

// X is t's position on the axis, clamped to the plot.
func (s scale) X(t time.Time) float64 {
	span := s.to.Sub(s.from)
	if span <= 0 {
		return PlotLeft
	}
	f := float64(t.Sub(s.from)) / float64(span)
	return PlotLeft + math.Max(0, math.Min(1, f))*(PlotRight-PlotLeft)
}

// X is where t falls on c's axis, in viewBox units.
func (c Chart) X(t time.Time) float64 {
	from, to := c.Range()
	return scale{from, to}.X(t)
}

// SVG draws the chart. Every text that comes from the chart is escaped;
// a row's Href is used only when it is a path on this site.
func SVG(c Chart) template.HTML {
	from, to := c.Range()
	s := scale{from, to}
	h := c.Height()
	var b strings.Builder
	title := esc(c.Title)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 %d %d" role="img" aria-label="%s">`, Width, h, title)
	fmt.Fprintf(&b, `<title>%s</title>`, title)
	if from.IsZero() || len(c.Rows) == 0 {
		fmt.Fprintf(&b, `<text class="empty" x="%d" y="%d">No dates to show.</text></svg>`, PlotLeft, Top+RowHeight/2+4)
		return template.HTML(b.String())
	}
	bodyBottom := Top + len(c.Rows)*RowHeight

	// The axis: a line under the labels, and a tick per step with its date.
	b.WriteString(`<g class="axis">`)
	fmt.Fprintf(&b, `<line class="axis-line" x1="%d" y1="%d" x2="%d" y2="%d"></line>`, PlotLeft, Top, PlotRight, Top)
	for _, t := range ticks(from, to) {
		x := s.X(t.at)
		fmt.Fprintf(&b, `<line class="tick" x1="%s" y1="%d" x2="%s" y2="%d"></line>`, num(x), Top, num(x), bodyBottom)
		fmt.Fprintf(&b, `<text class="tick-label" x="%s" y="%d" text-anchor="%s">%s</text>`, num(x), Top-6, anchor(x), esc(t.label))
	}
	b.WriteString(`</g>`)

	// Stripes behind alternate rows, for the eye to follow a row.
	for i := range c.Rows {
		if i%2 == 1 {
			fmt.Fprintf(&b, `<rect class="stripe" x="0" y="%d" width="%d" height="%d"></rect>`, Top+i*RowHeight, Width, RowHeight)
		}
	}

	for i, r := range c.Rows {
		y := Top + i*RowHeight
		mid := float64(y) + RowHeight/2
		fmt.Fprintf(&b, `<g class="%s">`, esc(classes("row", r.Class)))
		fmt.Fprintf(&b, `<title>%s</title>`, esc(rowTitle(r)))
		href := safeHref(r.Href)
		if href != "" {
			fmt.Fprintf(&b, `<a href="%s">`, esc(href))
		}
		fmt.Fprintf(&b, `<text class="label" x="%d" y="%s">%s</text>`, pad, num(mid+4), esc(cut(r.Label)))
		switch {
		case r.End.IsZero():
			fmt.Fprintf(&b, `<text class="undated" x="%d" y="%s">no date</text>`, PlotLeft+4, num(mid+4))
		case r.Start.IsZero() || !r.End.After(r.Start):
			x := s.X(r.End)
			const d = barHeight / 2
			fmt.Fprintf(&b, `<polygon class="milestone" points="%s,%s %s,%s %s,%s %s,%s"></polygon>`,
				num(x), num(mid-d), num(x+d), num(mid), num(x), num(mid+d), num(x-d), num(mid))
		default:
			x0, x1 := s.X(r.Start), s.X(r.End)
			fmt.Fprintf(&b, `<rect class="bar" x="%s" y="%s" width="%s" height="%d" rx="3"></rect>`,
				num(x0), num(mid-barHeight/2), num(math.Max(x1-x0, 3)), barHeight)
		}
		if href != "" {
			b.WriteString(`</a>`)
		}
		for _, p := range r.Points {
			if p.At.IsZero() {
				continue
			}
			x := s.X(p.At)
			fmt.Fprintf(&b, `<g class="%s"><title>%s</title><line x1="%s" y1="%s" x2="%s" y2="%s"></line></g>`,
				esc(classes("point", p.Class)), esc(p.Label+": "+day(p.At)), num(x), num(mid-barHeight/2-2), num(x), num(mid+barHeight/2+2))
		}
		b.WriteString(`</g>`)
	}

	// Markers last, over the bars; their labels alternate between two
	// lines of the axis when they would overlap.
	ms := slices.Clone(c.Markers)
	slices.SortStableFunc(ms, func(a, b Marker) int { return a.At.Compare(b.At) })
	lastX, line := math.Inf(-1), 0
	for _, m := range ms {
		if m.At.IsZero() {
			continue
		}
		x := s.X(m.At)
		if x-lastX < 70 {
			line = 1 - line
		} else {
			line = 0
		}
		lastX = x
		fmt.Fprintf(&b, `<g class="%s"><title>%s</title>`, esc(classes("marker", m.Class)), esc(m.Label+": "+day(m.At)))
		fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%d"></line>`, num(x), Top, num(x), bodyBottom)
		fmt.Fprintf(&b, `<text class="marker-label" x="%s" y="%d" text-anchor="%s">%s</text>`, num(x), 12+line*11, anchor(x), esc(m.Label))
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

type tick struct {
	at    time.Time
	label string
}

// ticks are the dates the axis labels: days, Mondays, first days of
// months or of quarters, whichever gives at most about a dozen.
func ticks(from, to time.Time) []tick {
	loc := from.Location()
	days := to.Sub(from).Hours() / 24
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	var next func(time.Time) time.Time
	format := "2 Jan"
	switch {
	case days <= 12:
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	case days <= 84:
		for start.Weekday() != time.Monday {
			start = start.AddDate(0, 0, 1)
		}
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	case days <= 400:
		start = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, loc)
		next = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
		format = "Jan 2006"
	default:
		start = time.Date(from.Year(), from.Month()-(from.Month()-1)%3, 1, 0, 0, 0, 0, loc)
		next = func(t time.Time) time.Time { return t.AddDate(0, 3, 0) }
		format = "Jan 2006"
	}
	var out []tick
	for t := start; !t.After(to) && len(out) < 60; t = next(t) {
		if t.Before(from) {
			continue
		}
		out = append(out, tick{t, t.Format(format)})
	}
	return out
}

// anchor keeps a label centred on x inside the chart: near its right
// edge the label ends at x.
func anchor(x float64) string {
	if x > Width-40 {
		return "end"
	}
	return "middle"
}

// rowTitle is a row's tooltip: its whole label and its dates.
func rowTitle(r Row) string {
	switch {
	case r.End.IsZero():
		return r.Label + ": no date"
	case r.Start.IsZero() || !r.End.After(r.Start):
		return r.Label + ": " + day(r.End)
	}
	return r.Label + ": " + day(r.Start) + " – " + day(r.End)
}

func day(t time.Time) string { return t.Format("2 Jan 2006") }

// cut shortens a label to what fits its column.
func cut(s string) string {
	if utf8.RuneCountInString(s) <= labelRunes {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:labelRunes-1])) + "…"
}

// classes joins a base class and the caller's, keeping only characters a
// class name may safely hold.
func classes(base, extra string) string {
	var b strings.Builder
	b.WriteString(base)
	for _, f := range strings.Fields(extra) {
		f = strings.Map(func(r rune) rune {
			if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				return r
			}
			return -1
		}, f)
		if f != "" {
			b.WriteString(" " + f)
		}
	}
	return b.String()
}

// safeHref keeps a path on this site ("/app/…") and drops anything else.
func safeHref(h string) string {
	if !strings.HasPrefix(h, "/") || strings.HasPrefix(h, "//") || strings.HasPrefix(h, `/\`) {
		return ""
	}
	return h
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// num writes a coordinate with at most one decimal.
func num(f float64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0")
}
