package metrics_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/metrics"
)

func f(v float64) *float64 { return &v }
func n(v int) *int         { return &v }
func tp(t time.Time) *time.Time {
	return &t
}

func TestCompute(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	projects := []metrics.Project{
		// Template A: TTFV 3, 5, 10 days; two completed, one late.
		{Group: "A", Start: start, FirstValue: tp(start.Add(3 * day)), Completed: tp(start.Add(20 * day)), Deadline: tp(start.Add(25 * day)), Invited: 4, Activated: 3},
		{Group: "A", Start: start, FirstValue: tp(start.Add(10 * day)), Completed: tp(start.Add(40 * day)), Deadline: tp(start.Add(30 * day)), Invited: 2, Activated: 0},
		{Group: "A", Start: start, FirstValue: tp(start.Add(5 * day)), Invited: 2, Activated: 1},
		// Template B: nothing reached, nothing completed, no one invited.
		{Group: "B", Start: start},
		// A milestone dated before the start counts as day 0.
		{Group: "C", Start: start, FirstValue: tp(start.Add(-day))},
	}
	answers := []metrics.Answer{
		{Group: "A", Kind: metrics.CSAT, Score: 5, At: start}, {Group: "A", Kind: metrics.CSAT, Score: 4, At: start}, {Group: "A", Kind: metrics.CSAT, Score: 4, At: start},
		{Group: "A", Kind: metrics.NPS, Score: 10, At: start}, {Group: "A", Kind: metrics.NPS, Score: 9, At: start}, {Group: "A", Kind: metrics.NPS, Score: 7, At: start},
		{Group: "A", Kind: metrics.NPS, Score: 3, At: start}, {Group: "A", Kind: metrics.NPS, Score: 11, At: start}, // out of range: ignored
		{Group: "D", Kind: metrics.CSAT, Score: 2, At: start}, // a group with answers and no projects
	}
	got := metrics.Compute(projects, answers, metrics.Options{})
	want := []metrics.Row{
		{
			Group: "A", Projects: 3,
			TimeToFirstValue: metrics.Stat{N: 3, Median: f(5), P90: f(10)},
			Activation:       metrics.Rate{Count: 4, Of: 8, Rate: f(0.5)},
			OnTime:           metrics.Rate{Count: 1, Of: 2, Rate: f(0.5)},
			Duration:         metrics.Stat{N: 2, Median: f(30), P90: f(40)},
			CSAT:             metrics.Average{N: 3, Average: f(4.33)},
			NPS:              metrics.NetPromoter{N: 4, Promoters: 2, Detractors: 1, Score: n(25)},
		},
		{Group: "B", Projects: 1, Activation: metrics.Rate{}, OnTime: metrics.Rate{}},
		{Group: "C", Projects: 1, TimeToFirstValue: metrics.Stat{N: 1, Median: f(0), P90: f(0)}},
		{Group: "D", CSAT: metrics.Average{N: 1, Average: f(2)}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Compute (-want +got):\n%s", diff)
	}
	if rows := metrics.Compute(nil, nil, metrics.Options{Period: metrics.Month}); len(rows) != 0 {
		t.Errorf("no input: %v", rows)
	}
}

func TestStatsAndNPS(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	ttfv := func(days ...float64) []metrics.Project {
		var ps []metrics.Project
		for _, d := range days {
			ps = append(ps, metrics.Project{Start: start, FirstValue: tp(start.Add(time.Duration(d * 24 * float64(time.Hour))))})
		}
		return ps
	}
	stats := []struct {
		name        string
		days        []float64
		median, p90 float64
	}{
		{"single value", []float64{4}, 4, 4},
		{"two values: the mean of the middle", []float64{2, 5}, 3.5, 5},
		{"ties", []float64{3, 3, 3, 8}, 3, 8},
		{"ten values: p90 is the ninth", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 5.5, 9},
		{"eleven values: p90 is the tenth", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 6, 10},
		{"fractions of days to one decimal", []float64{0.25, 1.26}, 0.8, 1.3},
	}
	for _, tc := range stats {
		rows := metrics.Compute(ttfv(tc.days...), nil, metrics.Options{})
		want := metrics.Stat{N: len(tc.days), Median: f(tc.median), P90: f(tc.p90)}
		if diff := cmp.Diff(want, rows[0].TimeToFirstValue); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	nps := []struct {
		name   string
		scores []int
		want   int
	}{
		{"one promoter of three rounds down", []int{10, 8, 7}, 33},
		{"two of three rounds up", []int{10, 9, 8}, 67},
		{"minus two thirds", []int{0, 6, 7}, -67},
		{"12.5 rounds away from zero", []int{9, 7, 7, 7, 7, 7, 7, 8}, 13},
		{"-12.5 rounds away from zero", []int{6, 7, 7, 7, 7, 7, 7, 8}, -13},
		{"all passives", []int{7, 8}, 0},
		{"all promoters", []int{9, 10}, 100},
		{"all detractors", []int{0, 6}, -100},
		{"a single answer", []int{6}, -100},
	}
	for _, tc := range nps {
		var answers []metrics.Answer
		for _, s := range tc.scores {
			answers = append(answers, metrics.Answer{Kind: metrics.NPS, Score: s, At: start})
		}
		rows := metrics.Compute(nil, answers, metrics.Options{})
		if got := rows[0].NPS.Score; got == nil || *got != tc.want {
			t.Errorf("%s: NPS = %v, want %d", tc.name, got, tc.want)
		}
	}
}

func TestPeriods(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// Sunday 1 March 2026, 23:30 in New York is Monday 04:30 UTC.
	sundayNight := time.Date(2026, 3, 1, 23, 30, 0, 0, ny)
	mondayMorning := time.Date(2026, 3, 2, 0, 30, 0, 0, ny)
	// 31 March 22:00 in New York is already 1 April in UTC.
	endOfMarch := time.Date(2026, 3, 31, 22, 0, 0, 0, ny)
	answers := []metrics.Answer{
		{Group: "x", Kind: metrics.CSAT, Score: 5, At: sundayNight},
		{Group: "x", Kind: metrics.CSAT, Score: 3, At: mondayMorning},
		{Group: "x", Kind: metrics.CSAT, Score: 1, At: endOfMarch},
	}
	periods := func(rows []metrics.Row) map[string]int {
		m := map[string]int{}
		for _, r := range rows {
			m[r.Period] = r.CSAT.N
		}
		return m
	}
	cases := []struct {
		name string
		opt  metrics.Options
		want map[string]int
	}{
		{"weeks in New York", metrics.Options{Period: metrics.Week, Location: ny}, map[string]int{"2026-02-23": 1, "2026-03-02": 1, "2026-03-30": 1}},
		{"weeks in UTC", metrics.Options{Period: metrics.Week}, map[string]int{"2026-03-02": 2, "2026-03-30": 1}},
		{"months in New York", metrics.Options{Period: metrics.Month, Location: ny}, map[string]int{"2026-03-01": 3}},
		{"months in UTC", metrics.Options{Period: metrics.Month}, map[string]int{"2026-03-01": 2, "2026-04-01": 1}},
		{"not bucketed", metrics.Options{Location: ny}, map[string]int{"": 3}},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.want, periods(metrics.Compute(nil, answers, tc.opt))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	// Rows come in group and then period order.
	rows := metrics.Compute(nil, append(answers, metrics.Answer{Group: "a", Kind: metrics.NPS, Score: 9, At: endOfMarch}), metrics.Options{Period: metrics.Month})
	var order []string
	for _, r := range rows {
		order = append(order, r.Group+" "+r.Period)
	}
	if diff := cmp.Diff([]string{"a 2026-04-01", "x 2026-03-01", "x 2026-04-01"}, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	// Week start across the autumn change: Monday 2 Nov 2026 00:00 in New York.
	if got := metrics.PeriodStart(time.Date(2026, 11, 8, 23, 0, 0, 0, ny), metrics.Week, ny); !got.Equal(time.Date(2026, 11, 2, 0, 0, 0, 0, ny)) {
		t.Errorf("PeriodStart = %v", got)
	}
}

func TestOnTimeByDayInZone(t *testing.T) {
	t.Parallel()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Date(2026, 3, 10, 0, 0, 0, 0, tokyo) // the deadline day, as a date
	start := deadline.AddDate(0, 0, -30)
	cases := []struct {
		name      string
		completed time.Time
		onTime    int
	}{
		{"late in the evening of the deadline day", time.Date(2026, 3, 10, 23, 59, 0, 0, tokyo), 1},
		{"the next morning", time.Date(2026, 3, 11, 0, 1, 0, 0, tokyo), 0},
		{"the day before", time.Date(2026, 3, 9, 12, 0, 0, 0, tokyo), 1},
	}
	for _, tc := range cases {
		rows := metrics.Compute([]metrics.Project{{Start: start, Deadline: &deadline, Completed: &tc.completed}}, nil, metrics.Options{Location: tokyo})
		if got := rows[0].OnTime.Count; got != tc.onTime || rows[0].OnTime.Of != 1 {
			t.Errorf("%s: on time %d of %d, want %d of 1", tc.name, got, rows[0].OnTime.Of, tc.onTime)
		}
	}
	// The same completion counted in UTC (14:59 UTC on the 10th vs a deadline of 15:00 UTC on the 9th) is late.
	c := time.Date(2026, 3, 10, 23, 59, 0, 0, tokyo)
	if rows := metrics.Compute([]metrics.Project{{Start: start, Deadline: &deadline, Completed: &c}}, nil, metrics.Options{}); rows[0].OnTime.Count != 0 {
		t.Error("UTC: counted on time")
	}
}

func TestActivation(t *testing.T) {
	t.Parallel()
	a, i := metrics.Activation([]metrics.Contact{{SignedIn: true, Reached: true}, {SignedIn: true}, {Reached: true}, {}})
	if a != 1 || i != 4 {
		t.Errorf("Activation = %d of %d, want 1 of 4", a, i)
	}
	if a, i := metrics.Activation(nil); a != 0 || i != 0 {
		t.Errorf("empty = %d of %d", a, i)
	}
}

func TestValidateQuery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		groupBy, period, field string
	}{
		{"template", "week", ""}, {"csm", "", ""}, {"segment", "month", ""}, {"", "", ""},
		{"customer", "", ""}, {"customers", "", "group_by"}, {"csm", "day", "period"},
	}
	for _, tc := range cases {
		err := metrics.ValidateQuery(tc.groupBy, tc.period)
		var e *onboardiq.Error
		if tc.field == "" && err != nil || tc.field != "" && (!errors.As(err, &e) || e.Field != tc.field) {
			t.Errorf("ValidateQuery(%q, %q) = %v, want field %q", tc.groupBy, tc.period, err, tc.field)
		}
	}
}
