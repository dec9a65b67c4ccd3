package timeline_test

import (
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/timeline"
)

// node is an element of the drawn SVG, parsed back.
type node struct {
	name     string
	attr     map[string]string
	children []*node
	text     string
}

func parse(t *testing.T, svg string) *node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	root := &node{name: "#root"}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v\n%s", err, svg)
		}
		top := stack[len(stack)-1]
		switch v := tok.(type) {
		case xml.StartElement:
			n := &node{name: v.Name.Local, attr: map[string]string{}}
			for _, a := range v.Attr {
				key := a.Name.Local
				if a.Name.Space != "" && a.Name.Space != "http://www.w3.org/2000/svg" {
					key = a.Name.Space + ":" + key
				}
				n.attr[key] = a.Value
			}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text += string(v)
		}
	}
	if len(root.children) != 1 || root.children[0].name != "svg" {
		t.Fatalf("want one <svg>, got %v", root.children)
	}
	return root.children[0]
}

// all returns the elements under n named name whose class list holds class
// ("" for any).
func (n *node) all(name, class string) []*node {
	var out []*node
	var walk func(*node)
	walk = func(m *node) {
		for _, c := range m.children {
			if c.name == name && (class == "" || hasClass(c, class)) {
				out = append(out, c)
			}
			walk(c)
		}
	}
	walk(n)
	return out
}

func hasClass(n *node, class string) bool {
	for _, c := range strings.Fields(n.attr["class"]) {
		if c == class {
			return true
		}
	}
	return false
}

// textOf is all the text under n.
func (n *node) textOf() string {
	s := n.text
	for _, c := range n.children {
		s += c.textOf()
	}
	return s
}

func f(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return v
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.11 }

var jan1 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func day(n int) time.Time { return jan1.AddDate(0, 0, n) }

// plotX is where a date falls on a chart spanning 1 to 31 January.
func plotX(days float64) float64 {
	return timeline.PlotLeft + days/30*(timeline.PlotRight-timeline.PlotLeft)
}

func TestBarsFollowTheirDates(t *testing.T) {
	t.Parallel()
	c := timeline.Chart{Title: "Plan", From: day(0), To: day(30), Rows: []timeline.Row{
		{Label: "First half", Start: day(0), End: day(15), Class: "in_progress"},
		{Label: "Middle week", Start: day(10), End: day(17), Class: "not_started"},
		{Label: "Before the range", Start: day(-20), End: day(-10)},
		{Label: "Into the next month", Start: day(25), End: day(45)},
	}}
	svg := parse(t, string(timeline.SVG(c)))
	bars := svg.all("rect", "bar")
	if len(bars) != 4 {
		t.Fatalf("%d bars, want 4", len(bars))
	}
	for i, tc := range []struct{ x, w float64 }{
		{plotX(0), plotX(15) - plotX(0)},
		{plotX(10), plotX(17) - plotX(10)},
		{plotX(0), 3}, // clamped to the left edge, drawn thin
		{plotX(25), plotX(30) - plotX(25)},
	} {
		x, w := f(t, bars[i].attr["x"]), f(t, bars[i].attr["width"])
		if !near(x, tc.x) || !near(w, tc.w) {
			t.Errorf("bar %d: x %v width %v, want x %v width %v", i, x, w, tc.x, tc.w)
		}
	}
	// Rows go down the chart in order; each bar sits in its row.
	rows := svg.all("g", "row")
	for i, r := range rows {
		y := f(t, r.all("rect", "bar")[0].attr["y"])
		top := float64(timeline.Top + i*timeline.RowHeight)
		if y < top || y > top+timeline.RowHeight {
			t.Errorf("row %d's bar at y %v, outside %v–%v", i, y, top, top+timeline.RowHeight)
		}
	}
	if !hasClass(rows[0], "in_progress") || !hasClass(rows[1], "not_started") {
		t.Errorf("row classes: %q, %q", rows[0].attr["class"], rows[1].attr["class"])
	}
	if got := svg.attr["viewBox"]; got != "0 0 1000 "+strconv.Itoa(c.Height()) {
		t.Errorf("viewBox %q, height %d", got, c.Height())
	}
}

func TestMilestonesAndMarkers(t *testing.T) {
	t.Parallel()
	c := timeline.Chart{Title: "Plan", From: day(0), To: day(30),
		Rows: []timeline.Row{
			{Label: "Due on the 16th", End: day(15)},
			{Label: "Not dated"},
			{Label: "A project", Start: day(2), End: day(20), Points: []timeline.Point{{At: day(24), Label: "Forecast", Class: "forecast"}}},
		},
		Markers: []timeline.Marker{
			{At: day(10), Label: "Today", Class: "today"},
			{At: day(12), Label: "Deadline", Class: "deadline"},
			{At: day(60), Label: "Forecast", Class: "forecast"},
		}}
	svg := parse(t, string(timeline.SVG(c)))

	// A row without a start is a diamond centred on its date.
	ms := svg.all("polygon", "milestone")
	if len(ms) != 1 {
		t.Fatalf("%d milestones, want 1", len(ms))
	}
	var xs []float64
	for _, p := range strings.Fields(ms[0].attr["points"]) {
		x, _, _ := strings.Cut(p, ",")
		xs = append(xs, f(t, x))
	}
	if len(xs) != 4 || !near((xs[1]+xs[3])/2, plotX(15)) || !near(xs[0], plotX(15)) {
		t.Errorf("the diamond's points %v, want centred on %v", xs, plotX(15))
	}
	if n := len(svg.all("text", "undated")); n != 1 {
		t.Errorf("%d 'no date' notes, want 1", n)
	}

	// Markers are vertical lines at their dates, across every row.
	for _, tc := range []struct {
		class string
		x     float64
	}{{"today", plotX(10)}, {"deadline", plotX(12)}, {"forecast", plotX(30)}} {
		g := svg.all("g", tc.class)
		var lines []*node
		for _, m := range g {
			if hasClass(m, "marker") {
				lines = append(lines, m.all("line", "")...)
			}
		}
		if len(lines) != 1 {
			t.Errorf("%s: %d marker lines, want 1", tc.class, len(lines))
			continue
		}
		l := lines[0]
		if !near(f(t, l.attr["x1"]), tc.x) || l.attr["x1"] != l.attr["x2"] {
			t.Errorf("%s line at x %s–%s, want %v", tc.class, l.attr["x1"], l.attr["x2"], tc.x)
		}
		if f(t, l.attr["y2"]) != float64(timeline.Top+3*timeline.RowHeight) {
			t.Errorf("%s line ends at %s, want at the last row's bottom", tc.class, l.attr["y2"])
		}
	}
	// The row's own point: the project's forecast.
	pts := svg.all("g", "point")
	if len(pts) != 1 || !hasClass(pts[0], "forecast") || !near(f(t, pts[0].all("line", "")[0].attr["x1"]), plotX(24)) {
		t.Errorf("points: %v", pts)
	}
	if title := pts[0].all("title", "")[0].text; title != "Forecast: 25 Jan 2026" {
		t.Errorf("the point's title: %q", title)
	}
	// Close markers' labels do not sit on one another.
	var labels []*node
	for _, m := range svg.all("g", "marker") {
		labels = append(labels, m.all("text", "marker-label")...)
	}
	if len(labels) != 3 || labels[0].attr["y"] == labels[1].attr["y"] {
		t.Errorf("today's and the deadline's labels share a line: %v", labels)
	}
}

func TestLabelsAreEscapedAndTitled(t *testing.T) {
	t.Parallel()
	long := "Configure single sign-on (SSO) with the customer's identity provider and test it"
	hostile := `</text><script>x</script>&"q"<b>`
	c := timeline.Chart{Title: `Acme <Rollout> & "friends"`, From: day(0), To: day(30), Rows: []timeline.Row{
		{Label: hostile, Start: day(1), End: day(3), Class: `overdue" onclick="alert(1)`, Href: "/app/tasks/1?a=1&b=2"},
		{Label: long, End: day(5), Href: "javascript:alert(1)"},
		{Label: "Elsewhere", End: day(6), Href: "//evil.example/"},
	}}
	out := string(timeline.SVG(c))
	if strings.Contains(out, "<script") || strings.Contains(out, "onclick=") || strings.Contains(out, "<b>") {
		t.Fatalf("input reached the markup unescaped:\n%s", out)
	}
	svg := parse(t, out)
	if svg.attr["role"] != "img" || svg.attr["aria-label"] != c.Title {
		t.Errorf("role %q, aria-label %q", svg.attr["role"], svg.attr["aria-label"])
	}
	if len(svg.children) == 0 || svg.children[0].name != "title" || svg.children[0].text != c.Title {
		t.Errorf("the chart's first child is not its title")
	}
	rows := svg.all("g", "row")
	if got := rows[0].all("text", "label")[0].textOf(); got != hostile {
		t.Errorf("the label reads %q, want %q", got, hostile)
	}
	if got := rows[0].all("title", "")[0].text; got != hostile+": 2 Jan 2026 – 4 Jan 2026" {
		t.Errorf("the row's title: %q", got)
	}
	if !hasClass(rows[0], "overdue") || strings.ContainsAny(rows[0].attr["class"], `"=()`) {
		t.Errorf("the row's class: %q", rows[0].attr["class"])
	}
	// A long label is cut in the row and whole in its title.
	shown := rows[1].all("text", "label")[0].textOf()
	if !strings.HasSuffix(shown, "…") || len([]rune(shown)) > 38 || !strings.HasPrefix(rows[1].all("title", "")[0].text, long+": ") {
		t.Errorf("long label shown %q, titled %q", shown, rows[1].all("title", "")[0].text)
	}
	// Only paths on this site are linked.
	links := svg.all("a", "")
	if len(links) != 1 || links[0].attr["href"] != "/app/tasks/1?a=1&b=2" {
		t.Errorf("links: %v", links)
	}
	if strings.Contains(out, "javascript:") || strings.Contains(out, "evil.example") {
		t.Error("an unsafe link was drawn")
	}
	// No style attributes anywhere: the stylesheet colours the chart.
	if strings.Contains(out, "style=") {
		t.Error("a style attribute in the chart")
	}
}

func TestRangeFromTheData(t *testing.T) {
	t.Parallel()
	c := timeline.Chart{Rows: []timeline.Row{
		{Label: "a", Start: day(0), End: day(10)},
		{Label: "b", End: day(40)},
	}, Markers: []timeline.Marker{{At: day(-5), Label: "Today", Class: "today"}}}
	from, to := c.Range()
	if !from.Before(day(-5)) || !to.After(day(40)) || to.Sub(from) > 50*24*time.Hour {
		t.Errorf("range %v – %v, want a little wider than %v – %v", from, to, day(-5), day(40))
	}
	svg := parse(t, string(timeline.SVG(c)))
	for _, r := range svg.all("rect", "bar") {
		x := f(t, r.attr["x"])
		if x <= timeline.PlotLeft || x+f(t, r.attr["width"]) >= timeline.PlotRight {
			t.Errorf("a bar at %v touches the edge of the plot", x)
		}
	}
	if c.X(day(-5)) >= c.X(day(0)) || c.X(day(0)) >= c.X(day(10)) || c.X(day(10)) >= c.X(day(40)) {
		t.Error("positions do not follow dates")
	}
	// Ticks: weekly for six weeks, labelled with their dates, in order.
	ticks := svg.all("text", "tick-label")
	if len(ticks) < 5 || len(ticks) > 8 {
		t.Errorf("%d ticks for six weeks", len(ticks))
	}
	last := 0.0
	for _, tk := range ticks {
		if x := f(t, tk.attr["x"]); x <= last {
			t.Errorf("ticks out of order at %v", x)
		} else {
			last = x
		}
	}
	// A year: monthly ticks.
	year := timeline.Chart{From: day(0), To: day(365), Rows: []timeline.Row{{Label: "x", End: day(100)}}}
	if got := parse(t, string(timeline.SVG(year))).all("text", "tick-label"); len(got) != 13 || got[0].text != "Jan 2026" {
		t.Errorf("a year's ticks: %d, first %q", len(got), got[0].text)
	}
}

func TestEmptyChart(t *testing.T) {
	t.Parallel()
	for _, c := range []timeline.Chart{
		{Title: "Nothing"},
		{Title: "No dates", Rows: []timeline.Row{{Label: "Undated"}}},
	} {
		out := string(timeline.SVG(c))
		svg := parse(t, out)
		if svg.attr["role"] != "img" || !strings.Contains(out, "No dates to show.") {
			t.Errorf("%s: %s", c.Title, out)
		}
	}
}
