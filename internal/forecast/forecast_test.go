package forecast_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq/internal/forecast"
	"github.com/onboardiq/onboardiq/internal/schedule"
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

// TestChains: dependencies chain the open tasks' remaining work in working
// days, and a chain that cannot fit before its last due date moves the
// finish, naming the chain's last task.
func TestChains(t *testing.T) {
	t.Parallel()
	var cal schedule.Calendar
	wd := func(n int) *time.Time { d := cal.AddWorkdays(now, n); return &d } // now is Monday 2 March, noon
	start := now.AddDate(0, 0, -10)
	holiday := schedule.Calendar{Holidays: map[schedule.Date]bool{{Year: 2026, Month: time.March, Day: 16}: true}}
	cases := []struct {
		name     string
		deadline time.Time
		cal      schedule.Calendar
		open     []forecast.Task
		finish   time.Time
		reason   string
	}{
		{
			name:     "a chain that fits: the last due date",
			deadline: now.AddDate(0, 0, 20),
			open:     []forecast.Task{{Name: "Connect SSO", Due: wd(5)}, {Name: "Train admins", Start: wd(5), Due: wd(8), DependsOn: []int{0}}},
			finish:   *wd(8),
		},
		{
			name:     "a chain that cannot fit: 5 + 6 working days",
			deadline: now.AddDate(0, 0, 20),
			open:     []forecast.Task{{Name: "Connect SSO", Due: wd(5)}, {Name: "Train admins", Due: wd(6), DependsOn: []int{0}}},
			finish:   *wd(11), // Tuesday 17 March
		},
		{
			name:     "the chain past the deadline is the reason",
			deadline: now.AddDate(0, 0, 10),
			open:     []forecast.Task{{Name: "Connect SSO", Due: wd(5)}, {Name: "Train admins", Due: wd(6), DependsOn: []int{0}}},
			finish:   *wd(11),
			reason:   "The chain of 2 dependent tasks ending with “Train admins” needs 11 working days, until 17 Mar; forecast finish 17 Mar, deadline 12 Mar",
		},
		{
			name:     "holidays lengthen the chain",
			deadline: now.AddDate(0, 0, 20),
			cal:      holiday,
			open:     []forecast.Task{{Name: "Connect SSO", Due: wd(5)}, {Name: "Train admins", Due: wd(6), DependsOn: []int{0}}},
			finish:   time.Date(2026, 3, 18, 12, 0, 0, 0, time.UTC), // Monday 16 off
		},
		{
			name:     "the longest branch counts",
			deadline: now.AddDate(0, 0, 20),
			open: []forecast.Task{
				{Name: "Short", Due: wd(2)}, {Name: "Long", Due: wd(5)},
				{Name: "Go live", Due: wd(6), DependsOn: []int{0, 1}},
				{Name: "Independent", Due: wd(9)},
			},
			finish: *wd(11),
		},
		{
			name:     "overdue tasks in a chain take a working day each",
			deadline: now.AddDate(0, 0, 20),
			open:     []forecast.Task{{Name: "Export", Due: at(-4)}, {Name: "Import", Due: at(-1), DependsOn: []int{0}}},
			finish:   *wd(2),
		},
		{
			name:     "an overdue task alone is no chain",
			deadline: now.AddDate(0, 0, 20),
			open:     []forecast.Task{{Name: "Export", Due: at(-4)}},
			finish:   now,
		},
		{
			name:     "planned starts leave room: the work is counted from them",
			deadline: now.AddDate(0, 0, 30),
			open:     []forecast.Task{{Name: "Pilot", Start: wd(10), Due: wd(12)}, {Name: "Rollout", Start: wd(12), Due: wd(15), DependsOn: []int{0}}},
			finish:   *wd(15),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, ok := forecast.Of(forecast.Project{Start: start, Deadline: tc.deadline, Calendar: tc.cal, Open: tc.open}, now)
			if !ok {
				t.Fatal("no forecast")
			}
			want := forecast.Result{Finish: tc.finish, AtRisk: tc.reason != "", Reason: tc.reason}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestChainOf: the critical path's tasks, in order, and its length.
func TestChainOf(t *testing.T) {
	t.Parallel()
	var cal schedule.Calendar
	wd := func(n int) *time.Time { d := cal.AddWorkdays(now, n); return &d }
	c := forecast.ChainOf(forecast.Project{Open: []forecast.Task{
		{Due: wd(3)}, {Due: wd(1), DependsOn: []int{0}}, {DependsOn: []int{1}}, {Due: wd(20)},
	}}, now)
	// 3 + 1 (at least a day, though due before its predecessor ends) + 1
	// (undated) = 5: shorter than the independent task's 20.
	if c.Days != 20 || !cmp.Equal(c.Path, []int{3}) {
		t.Errorf("chain %v of %d days, want [3] of 20", c.Path, c.Days)
	}
	c = forecast.ChainOf(forecast.Project{Open: []forecast.Task{
		{Due: wd(3)}, {Due: wd(1), DependsOn: []int{0}}, {DependsOn: []int{1}},
	}}, now)
	if c.Days != 5 || !cmp.Equal(c.Path, []int{0, 1, 2}) || !c.Finish.Equal(*wd(5)) {
		t.Errorf("chain %v of %d days until %v, want [0 1 2] of 5", c.Path, c.Days, c.Finish)
	}
}
