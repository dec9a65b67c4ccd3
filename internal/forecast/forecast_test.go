package forecast_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq/internal/forecast"
)

var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func at(days float64) *time.Time {
	t := now.Add(time.Duration(days * 24 * float64(time.Hour)))
	return &t
}

func f(v float64) *float64 { return &v }

func TestOf(t *testing.T) {
	t.Parallel()
	start := now.AddDate(0, 0, -10)
	deadline := now.AddDate(0, 0, 20) // a 30-day plan: slack 1.5 days
	cases := []struct {
		name   string
		p      forecast.Project
		finish time.Time
		atRisk bool
		reason string
	}{
		{
			name:   "on plan: the last due date",
			p:      forecast.Project{Start: start, Deadline: deadline, Open: []forecast.Task{{Due: at(5)}, {Due: at(15)}}},
			finish: *at(15),
		},
		{
			name:   "tasks without a due date do not move it",
			p:      forecast.Project{Start: start, Deadline: deadline, Open: []forecast.Task{{}, {Due: at(3)}}},
			finish: *at(3),
		},
		{
			name:   "the project's own lateness is added",
			p:      forecast.Project{Start: start, Deadline: deadline, AvgLateDays: 2, Open: []forecast.Task{{Due: at(15)}}},
			finish: *at(17),
		},
		{
			name:   "history of the same template task wins over the project's own",
			p:      forecast.Project{Start: start, Deadline: deadline, AvgLateDays: 2, Open: []forecast.Task{{Due: at(15), HistoryLateDays: f(6)}}},
			finish: *at(21),
		},
		{
			name:   "early history counts as on time",
			p:      forecast.Project{Start: start, Deadline: deadline, AvgLateDays: 2, Open: []forecast.Task{{Due: at(15), HistoryLateDays: f(-3)}}},
			finish: *at(15),
		},
		{
			name:   "within the slack is not at risk",
			p:      forecast.Project{Start: start, Deadline: deadline, Open: []forecast.Task{{Due: at(21.4)}}},
			finish: *at(21.4),
		},
		{
			name:   "past the slack is at risk",
			p:      forecast.Project{Start: start, Deadline: deadline, Open: []forecast.Task{{Due: at(15), HistoryLateDays: f(7)}}},
			finish: *at(22),
			atRisk: true,
			reason: "Forecast finish 24 Mar, deadline 22 Mar",
		},
		{
			name: "overdue tasks count from now, named by side",
			p: forecast.Project{Start: start, Deadline: now.AddDate(0, 0, 1), AvgLateDays: 3, Open: []forecast.Task{
				{Due: at(-4), ByCustomer: true}, {Due: at(-1), ByCustomer: true}, {Due: at(-1)},
			}},
			finish: *at(3),
			atRisk: true,
			reason: "2 customer tasks overdue by up to 4 days; 1 vendor task overdue by up to 1 day; forecast finish 5 Mar, deadline 3 Mar",
		},
		{
			name: "pace counts after three tasks over a week",
			p: forecast.Project{Start: start, Deadline: deadline, Completed: 5, Open: []forecast.Task{
				{Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)},
			}},
			finish: *at(24), // 5 tasks in 10 days: 12 open take 24 days
			atRisk: true,
			reason: "At 3.5 tasks a week, the 12 open tasks take until 26 Mar; forecast finish 26 Mar, deadline 22 Mar",
		},
		{
			name: "days on hold do not slow the pace",
			p: forecast.Project{Start: now.AddDate(0, 0, -40), HeldDays: 30, Deadline: deadline, Completed: 5, Open: []forecast.Task{
				{Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)}, {Due: at(1)},
			}},
			finish: *at(24), // as above: 5 tasks in the 10 days worked, not in 40
			atRisk: true,
			reason: "At 3.5 tasks a week, the 12 open tasks take until 26 Mar; forecast finish 26 Mar, deadline 22 Mar",
		},
		{
			name:   "pace needs a week of work, the days on hold left out",
			p:      forecast.Project{Start: now.AddDate(0, 0, -20), HeldDays: 14, Deadline: deadline, Completed: 10, Open: make([]forecast.Task, 30)},
			finish: now,
		},
		{
			name:   "pace needs three completed tasks",
			p:      forecast.Project{Start: start, Deadline: deadline, Completed: 2, Open: make([]forecast.Task, 30)},
			finish: now,
		},
		{
			name:   "pace needs a week",
			p:      forecast.Project{Start: now.AddDate(0, 0, -6), Deadline: deadline, Completed: 10, Open: make([]forecast.Task, 30)},
			finish: now,
		},
		{
			name:   "pace that is faster than the plan changes nothing",
			p:      forecast.Project{Start: start, Deadline: deadline, Completed: 20, Open: []forecast.Task{{Due: at(10)}}},
			finish: *at(10),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, ok := forecast.Of(tc.p, now)
			if !ok {
				t.Fatal("no forecast")
			}
			want := forecast.Result{Finish: tc.finish, AtRisk: tc.atRisk, Reason: tc.reason}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNothingOpenHasNoForecast(t *testing.T) {
	t.Parallel()
	if _, ok := forecast.Of(forecast.Project{Start: now, Deadline: now, Completed: 4}, now); ok {
		t.Error("a project without open tasks got a forecast")
	}
}

func TestSlack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		plan, want time.Duration
	}{
		{0, 24 * time.Hour},
		{10 * 24 * time.Hour, 24 * time.Hour},
		{20 * 24 * time.Hour, 24 * time.Hour},
		{100 * 24 * time.Hour, 5 * 24 * time.Hour},
	} {
		if got := forecast.Slack(now, now.Add(tc.plan)); got != tc.want {
			t.Errorf("Slack for a plan of %s: %s, want %s", tc.plan, got, tc.want)
		}
	}
}

func TestHeldDays(t *testing.T) {
	t.Parallel()
	h := func(hours float64) time.Time { return now.Add(time.Duration(hours * float64(time.Hour))) }
	for _, tc := range []struct {
		name         string
		since, until time.Time
		want         int
	}{
		{"resumed at once", now, now, 0},
		{"a few hours move nothing", now, h(11), 0},
		{"half a day counts as a day", now, h(12), 1},
		{"a day", now, h(24), 1},
		{"two weeks and a bit", now, h(14*24 + 5), 14},
		{"nearly three weeks", now, h(20*24 + 20), 21},
		{"a clock that ran backwards moves nothing", now, h(-30), 0},
	} {
		if got := forecast.HeldDays(tc.since, tc.until); got != tc.want {
			t.Errorf("%s: HeldDays = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestResumedProjectIsJudgedWithoutTheHold: a project on plan put on hold
// for 30 days would be at risk and past its deadline by its old dates;
// moved by HeldDays, as resuming does, it is on plan again.
func TestResumedProjectIsJudgedWithoutTheHold(t *testing.T) {
	t.Parallel()
	start := now.AddDate(0, 0, -40)
	deadline := now.AddDate(0, 0, -5) // the plan ended 5 days ago...
	heldFrom := now.AddDate(0, 0, -30)
	due := now.AddDate(0, 0, -10) // ...and its last task was due 10 days ago, during the hold
	p := forecast.Project{Start: start, Deadline: deadline, Open: []forecast.Task{{Due: &due}}}
	if r, _ := forecast.Of(p, now); !r.AtRisk {
		t.Fatalf("by its old dates the project should be at risk: %+v", r)
	}
	shift := forecast.HeldDays(heldFrom, now)
	moved := due.AddDate(0, 0, shift)
	p.Deadline, p.Open = deadline.AddDate(0, 0, shift), []forecast.Task{{Due: &moved}}
	r, ok := forecast.Of(p, now)
	if !ok || r.AtRisk || !r.Finish.Equal(moved) {
		t.Errorf("after the move: %+v, want on plan, finishing %s", r, moved)
	}
	if !p.Deadline.After(now) {
		t.Errorf("the moved deadline %s should be ahead of now", p.Deadline)
	}
}
