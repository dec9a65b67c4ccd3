package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/metrics"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// metricsData is the success-metrics dashboard: the query form, a chart
// per trend, the table by group, and the milestones with their form.
type metricsData struct {
	CSV        string // the table's download
	Query      metricsQueryForm
	From, To   string // the span as read
	TimeZone   string
	Charts     []chart
	GroupLabel string
	Groups     []groupRow
	Milestones []milestoneRow
	Form       milestoneForm
	// GroupOptions are the table's keys, for the form's select.
	GroupOptions []option
}

type option struct{ Value, Label string }

// metricsQueryForm is the GET form, as typed, with an error per field.
type metricsQueryForm struct {
	GroupBy, Period, From, To string
	Errors                    map[string]string
}

// milestoneForm is the add-a-milestone form, kept as typed when refused.
type milestoneForm struct {
	Name, Event, Task, DistinctUsers, WithinDays string
	FirstValue, Activation                       bool
	Errors                                       map[string]string
}

type milestoneRow struct {
	postgres.Milestone
	Rule string
}

// groupRow is one row of the table by group, its values in words.
type groupRow struct {
	Group, Projects, TTFVMedian, TTFVP90, Activation, OnTime, Duration, CSAT, NPS string
}

var groupLabels = map[string]string{"template": "Template", "csm": "CSM", "segment": "Segment", "customer": "Customer"}

// metricsQuery reads the dashboard's query: by template and by month
// unless asked otherwise.
func metricsQuery(r *http.Request) metricsQueryForm {
	q := r.URL.Query()
	f := metricsQueryForm{GroupBy: q.Get("group_by"), Period: q.Get("period"), From: q.Get("from"), To: q.Get("to"), Errors: map[string]string{}}
	if f.GroupBy == "" {
		f.GroupBy = "template"
	}
	if f.Period == "" {
		f.Period = metrics.Month
	}
	return f
}

func (f metricsQueryForm) store() postgres.MetricsQuery {
	return postgres.MetricsQuery{GroupBy: f.GroupBy, Period: f.Period, From: f.From, To: f.To}
}

func (h *Handler) metricsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderMetrics(w, r, http.StatusOK, metricsQuery(r), milestoneForm{Errors: map[string]string{}})
}

// renderMetrics loads and renders the dashboard. A query the store refuses
// is shown with its error beside the field (422) and the dashboard read
// without that field.
func (h *Handler) renderMetrics(w http.ResponseWriter, r *http.Request, status int, q metricsQueryForm, form milestoneForm) error {
	pg, err := h.DB.LoadMetricsPage(r.Context(), q.store())
	if err != nil && onboardiq.ErrorCode(err) == onboardiq.EINVALID {
		field := onboardiq.ErrorField(err)
		q.Errors[field] = onboardiq.ErrorMessage(err)
		status = http.StatusUnprocessableEntity
		fallback := q.store()
		switch field {
		case "group_by":
			fallback.GroupBy = "template"
		case "period":
			fallback.Period = metrics.Month
		default:
			fallback.From, fallback.To = "", ""
		}
		pg, err = h.DB.LoadMetricsPage(r.Context(), fallback)
	}
	if err != nil {
		return err
	}
	if q.From == "" && q.Errors["from"] == "" {
		q.From = pg.Trend.From
	}
	if q.To == "" && q.Errors["to"] == "" {
		q.To = pg.Trend.To
	}
	d := &metricsData{Query: q, From: pg.Trend.From, To: pg.Trend.To, TimeZone: pg.Trend.TimeZone, Form: form,
		GroupLabel: groupLabels[pg.Table.GroupBy]}
	for _, k := range metrics.GroupBys {
		d.GroupOptions = append(d.GroupOptions, option{k, groupLabels[k]})
	}
	d.Charts = trendCharts(allPeriods(pg.Trend), pg.Trend.Period)
	for _, row := range pg.Table.Rows {
		d.Groups = append(d.Groups, groupRow{Group: row.Group, Projects: strconv.Itoa(row.Projects),
			TTFVMedian: daysText(row.TimeToFirstValue.Median), TTFVP90: daysText(row.TimeToFirstValue.P90),
			Activation: rateText(row.Activation), OnTime: rateText(row.OnTime), Duration: daysText(row.Duration.Median),
			CSAT: csatText(row.CSAT), NPS: npsText(row.NPS)})
	}
	for _, m := range pg.Milestones {
		d.Milestones = append(d.Milestones, milestoneRow{Milestone: m, Rule: ruleText(m.Milestone)})
	}
	if wantsCSV(r) && status == http.StatusOK {
		rows := make([][]string, len(d.Groups))
		for i, g := range d.Groups {
			rows[i] = []string{g.Group, g.Projects, g.TTFVMedian, g.TTFVP90, g.Activation, g.OnTime, g.Duration, g.CSAT, g.NPS}
		}
		return writeCSV(w, "metrics", []string{pg.Table.GroupBy, "projects", "time_to_first_value_median", "time_to_first_value_p90",
			"activation", "on_time", "duration_median", "csat", "nps"}, rows)
	}
	d.CSV = csvLink("/app/metrics", r.URL.Query())
	return h.render(w, r, status, "metrics.html", view{Title: "Success metrics", Data: d, Unread: pg.Unread, counted: true})
}

// milestoneCreate adds a milestone from the dashboard's form (admins); a
// refusal shows the dashboard again with the error beside the field.
func (h *Handler) milestoneCreate(w http.ResponseWriter, r *http.Request) error {
	f := milestoneForm{Name: r.FormValue("name"), Event: r.FormValue("event"), Task: r.FormValue("task"),
		DistinctUsers: strings.TrimSpace(r.FormValue("distinct_users")), WithinDays: strings.TrimSpace(r.FormValue("within_days")),
		FirstValue: r.FormValue("first_value") != "", Activation: r.FormValue("activation") != "", Errors: map[string]string{}}
	in := postgres.MilestoneInput{Name: f.Name, Milestone: metrics.Milestone{Event: f.Event, Task: f.Task}, FirstValue: f.FirstValue, Activation: f.Activation}
	number := func(field, s string, dst *int) {
		if s == "" {
			return
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			f.Errors[field] = "must be a whole number"
			return
		}
		*dst = n
	}
	number("distinct_users", f.DistinctUsers, &in.DistinctUsers)
	number("within_days", f.WithinDays, &in.WithinDays)
	if len(f.Errors) > 0 {
		return h.renderMetrics(w, r, http.StatusUnprocessableEntity, metricsQuery(r), f)
	}
	m, err := h.DB.CreateMilestone(r.Context(), in)
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		field := onboardiq.ErrorField(err)
		switch field {
		case "name", "event", "task", "distinct_users", "within_days":
		default:
			field = "name" // its key, made from the name
		}
		f.Errors[field] = onboardiq.ErrorMessage(err)
		return h.renderMetrics(w, r, http.StatusUnprocessableEntity, metricsQuery(r), f)
	}
	h.redirectFlash(w, r, "/app/metrics#milestones", "Added the milestone “"+m.Name+"”.")
	return nil
}

// milestoneDelete deletes a milestone (admins).
func (h *Handler) milestoneDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.DB.DeleteMilestone(r.Context(), id); err != nil {
		return err
	}
	h.redirectFlash(w, r, "/app/metrics#milestones", "Deleted the milestone.")
	return nil
}

// ruleText says what reaches a milestone.
func ruleText(m metrics.Milestone) string {
	switch {
	case m.Task != "":
		return "the task “" + m.Task + "” completed"
	case m.DistinctUsers > 1 && m.WithinDays > 0:
		return fmt.Sprintf("%d users send %s within %s", m.DistinctUsers, m.Event, plural(m.WithinDays, "day"))
	case m.DistinctUsers > 1:
		return fmt.Sprintf("%d users send %s", m.DistinctUsers, m.Event)
	}
	return "the first " + m.Event + " event"
}

func daysText(v *float64) string {
	if v == nil {
		return "—"
	}
	if *v == 1 {
		return "1 day"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64) + " days"
}

func rateText(r metrics.Rate) string {
	if r.Rate == nil {
		return "—"
	}
	return fmt.Sprintf("%s%% (%d of %d)", strconv.FormatFloat(math.Round(*r.Rate*1000)/10, 'f', -1, 64), r.Count, r.Of)
}

func csatText(a metrics.Average) string {
	if a.Average == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f (%d)", *a.Average, a.N)
}

func npsText(n metrics.NetPromoter) string {
	if n.Score == nil {
		return "—"
	}
	return fmt.Sprintf("%+d (%d)", *n.Score, n.N)
}

// ---- charts: server-rendered SVG, coordinates computed here ----

// chart is one trend: bars or lines over the periods, with axes, a title
// per mark (the tooltip) and the same numbers as a table.
type chart struct {
	ID, Title, Desc, Unit string
	Width, Height         int
	X0, X1, Y0, Y1        string // the plot's edges
	Zero                  string // the y of 0, the bars' base
	YTicks, XTicks        []tick
	Bars                  []bar
	Lines                 []line
	Empty                 bool
	Head                  []string
	Rows                  [][]string
}

type tick struct{ Pos, Label string }

type bar struct{ X, Y, W, H, Title string }

// line is one series: a polyline per run of periods with a value (an
// empty period breaks it), and a dot per value.
type line struct {
	Name, Class string
	Segments    []string
	Dots        []dot
}

// dot is one value; R is its radius: the first series larger, so that an
// equal value of the next one drawn over it leaves it showing.
type dot struct{ X, Y, R, Title string }

// series is one line (or the bars) of a chart: a value per period, nil
// where there is nothing to measure.
type series struct {
	name, class string
	values      []*float64
	text        func(*float64) string
}

const (
	chartW, chartH                           = 480, 220
	plotLeft, plotRight, plotTop, plotBottom = 48.0, 12.0, 24.0, 42.0
)

func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// periodLabel names a period by its first day: "Mar 2026" for a month,
// "2 Mar" for a week.
func periodLabel(day, period string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	if period == metrics.Week {
		return t.Format("2 Jan")
	}
	if period == metrics.Month {
		return t.Format("Jan 2006")
	}
	return "All"
}

// niceMax rounds a chart's top up to 1, 2 or 5 × a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// newChart lays out ss over the periods, bars for one series and lines
// for more, on a y axis from lo to hi (hi 0: from the data).
func newChart(id, title, desc, unit string, periods []string, period string, bars bool, lo, hi float64, ss ...series) chart {
	c := chart{ID: id, Title: title, Desc: desc, Unit: unit, Width: chartW, Height: chartH,
		X0: num(plotLeft), X1: num(chartW - plotRight), Y0: num(chartH - plotBottom), Y1: num(plotTop)}
	c.Head = []string{"Period"}
	for _, s := range ss {
		c.Head = append(c.Head, s.name)
	}
	top := hi
	some := false
	for _, s := range ss {
		for _, v := range s.values {
			if v != nil {
				some = true
				if hi == 0 {
					top = math.Max(top, *v)
				}
			}
		}
	}
	if hi == 0 {
		top = niceMax(top)
	}
	c.Empty = !some
	plotW, plotH := chartW-plotLeft-plotRight, chartH-plotTop-plotBottom
	y := func(v float64) float64 { return plotTop + plotH*(1-(v-lo)/(top-lo)) }
	c.Zero = num(y(math.Max(lo, 0)))
	for i := 0; i <= 4; i++ {
		v := lo + (top-lo)*float64(i)/4
		c.YTicks = append(c.YTicks, tick{Pos: num(y(v)), Label: num(v)})
	}
	n := len(periods)
	band := plotW / float64(max(n, 1))
	every := max(1, int(math.Ceil(float64(n)/8)))
	for i, p := range periods {
		if i%every == 0 {
			c.XTicks = append(c.XTicks, tick{Pos: num(plotLeft + band*(float64(i)+0.5)), Label: periodLabel(p, period)})
		}
		row := []string{periodLabel(p, period)}
		for _, s := range ss {
			row = append(row, s.text(s.values[i]))
		}
		c.Rows = append(c.Rows, row)
	}
	for si, s := range ss {
		r := "5"
		if si > 0 {
			r = "3"
		}
		if bars {
			for i, v := range s.values {
				if v == nil {
					continue
				}
				top, base := y(*v), y(math.Max(lo, 0))
				if top > base {
					top, base = base, top
				}
				w := band * 0.6
				c.Bars = append(c.Bars, bar{X: num(plotLeft + band*float64(i) + (band-w)/2), Y: num(top), W: num(w), H: num(math.Max(base-top, 0.5)),
					Title: periodLabel(periods[i], period) + ": " + s.text(v)})
			}
			continue
		}
		l := line{Name: s.name, Class: s.class}
		var pts []string
		flush := func() {
			if len(pts) > 1 {
				l.Segments = append(l.Segments, strings.Join(pts, " "))
			}
			pts = nil
		}
		for i, v := range s.values {
			if v == nil {
				flush()
				continue
			}
			x, yy := num(plotLeft+band*(float64(i)+0.5)), num(y(*v))
			pts = append(pts, x+","+yy)
			l.Dots = append(l.Dots, dot{X: x, Y: yy, R: r, Title: periodLabel(periods[i], period) + ", " + s.name + ": " + s.text(v)})
		}
		flush()
		c.Lines = append(c.Lines, l)
	}
	return c
}

func percent(r metrics.Rate) *float64 {
	if r.Rate == nil {
		return nil
	}
	v := math.Round(*r.Rate*1000) / 10
	return &v
}

// allPeriods returns a row for every period of the span, an empty one
// where nothing started or was answered, so that the trend's x axis is
// time and a quiet month shows as a gap.
func allPeriods(m *postgres.OnboardingMetrics) []metrics.Row {
	from, err1 := time.Parse(time.DateOnly, m.From)
	to, err2 := time.Parse(time.DateOnly, m.To)
	if m.Period == "" || err1 != nil || err2 != nil {
		return m.Rows
	}
	byPeriod := map[string]metrics.Row{}
	for _, r := range m.Rows {
		byPeriod[r.Period] = r
	}
	var out []metrics.Row
	for p := metrics.PeriodStart(from, m.Period, time.UTC); !p.After(to) && len(out) < 400; {
		day := p.Format(time.DateOnly)
		r, ok := byPeriod[day]
		if !ok {
			r = metrics.Row{Period: day}
		}
		out = append(out, r)
		if m.Period == metrics.Week {
			p = p.AddDate(0, 0, 7)
		} else {
			p = p.AddDate(0, 1, 0)
		}
	}
	return out
}

// trendCharts draws the dashboard's trends from the rows of one group
// over the periods.
func trendCharts(rows []metrics.Row, period string) []chart {
	periods := make([]string, len(rows))
	var ttfvMed, ttfvP90, durMed, durP90, act, onTime, csat, nps []*float64
	for i, r := range rows {
		periods[i] = r.Period
		ttfvMed, ttfvP90 = append(ttfvMed, r.TimeToFirstValue.Median), append(ttfvP90, r.TimeToFirstValue.P90)
		durMed, durP90 = append(durMed, r.Duration.Median), append(durP90, r.Duration.P90)
		act, onTime = append(act, percent(r.Activation)), append(onTime, percent(r.OnTime))
		csat = append(csat, r.CSAT.Average)
		var s *float64
		if r.NPS.Score != nil {
			v := float64(*r.NPS.Score)
			s = &v
		}
		nps = append(nps, s)
	}
	days := func(v *float64) string { return daysText(v) }
	pct := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return num(*v) + "%"
	}
	plain := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return num(*v)
	}
	return []chart{
		newChart("chart-ttfv", "Time to first value", "Days from a project's start to its first value milestone, median and 90th percentile, by the period the projects started in.",
			"days", periods, period, false, 0, 0, series{"Median", "series-0", ttfvMed, days}, series{"90th percentile", "series-1", ttfvP90, days}),
		newChart("chart-activation", "User activation", "Invited contacts who signed in and reached the activation milestone.",
			"%", periods, period, true, 0, 100, series{"Activated", "series-0", act, pct}),
		newChart("chart-on-time", "On-time completion", "Completed projects that completed by their deadline's day.",
			"%", periods, period, true, 0, 100, series{"On time", "series-0", onTime, pct}),
		newChart("chart-duration", "Onboarding duration", "Days from start to completion of the completed projects, median and 90th percentile.",
			"days", periods, period, false, 0, 0, series{"Median", "series-0", durMed, days}, series{"90th percentile", "series-1", durP90, days}),
		newChart("chart-csat", "CSAT", "The average CSAT answer, 1 to 5, by the period it was given in.",
			"1–5", periods, period, false, 1, 5, series{"Average", "series-0", csat, plain}),
		newChart("chart-nps", "NPS", "Promoters less detractors, −100 to 100, by the period the answers were given in.",
			"NPS", periods, period, true, -100, 100, series{"NPS", "series-0", nps, plain}),
	}
}
