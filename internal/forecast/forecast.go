// Package forecast estimates when an onboarding project will finish and
// whether that misses its deadline, with the reason in words. It is pure:
// the store gathers the facts and saves the result.
//
// The forecast pauses while a project is on hold: an on-hold project has
// none (the delay scan skips it, and putting it on hold clears its
// forecast and at-risk flag), and when it resumes its deadline and the due
// dates of its open tasks move by the days it spent on hold (HeldDays), and
// its pace leaves those days out, so the forecast, the deadline comparison
// and the overdue checks all count without that time.
//
// Dependencies (docs/decisions/0011-dependencies.md) chain the open tasks'
// remaining work: a task cannot finish before the tasks it waits on, so the
// longest chain of open work (the critical path, in working days) is a
// floor under the finish, whatever the due dates say.
package forecast

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq/internal/schedule"
)

// Project is what the forecast knows of one open project.
type Project struct {
	Start, Deadline time.Time
	// Completed counts its completed tasks.
	Completed int
	// HeldDays is how long it has been on hold, in days: its pace counts
	// the days since Start without them.
	HeldDays int
	// AvgLateDays is how many days late its completed tasks ran on
	// average (early counts as zero).
	AvgLateDays float64
	// Open are its tasks not completed or cancelled.
	Open []Task
	// Calendar counts working days for the chains of dependent tasks.
	Calendar schedule.Calendar
}

// Task is one open task.
type Task struct {
	// Name is what the reason calls it.
	Name string
	// Start is when work on it is planned to start, if set.
	Start *time.Time
	Due   *time.Time
	// DependsOn are the open tasks it waits on, as indexes into
	// Project.Open (finished predecessors hold nothing up and are left out).
	DependsOn []int
	// HistoryLateDays is how late the same template task ran on average in
	// the tenant's other projects; nil without such history.
	HistoryLateDays *float64
	// ByCustomer tells a task assigned to a customer contact.
	ByCustomer bool
}

// Result is a project's forecast.
type Result struct {
	Finish time.Time
	AtRisk bool
	Reason string // why, when at risk
}

// Pace needs this much history before it counts: enough completed tasks
// over enough days that one quick afternoon does not set the rate.
const (
	paceMinTasks = 3
	paceMinDays  = 7
)

// Of forecasts p at now. Each open task is expected at its due date (or
// now, if that passed) plus how late tasks tend to run: the same template
// task in earlier projects where there is history, otherwise this
// project's own average lateness. Once the project has some history, it
// finishes no sooner than its pace so far allows (the days on hold left
// out), and no sooner than its longest chain of dependent open tasks allows
// (Chain). It is at risk when the
// finish passes the deadline by more than the slack: a day, or 5% of the
// planned duration, whichever is longer. ok is false for a project with no
// open tasks, which has nothing to forecast.
func Of(p Project, now time.Time) (r Result, ok bool) {
	if len(p.Open) == 0 {
		return Result{}, false
	}
	finish := now
	overdue := map[bool]int{}
	maxOverdue := map[bool]float64{}
	for _, t := range p.Open {
		if t.Due == nil {
			continue
		}
		expected := *t.Due
		if expected.Before(now) {
			overdue[t.ByCustomer]++
			maxOverdue[t.ByCustomer] = math.Max(maxOverdue[t.ByCustomer], now.Sub(*t.Due).Hours()/24)
			expected = now
		}
		late := p.AvgLateDays
		if t.HistoryLateDays != nil {
			late = math.Max(0, *t.HistoryLateDays)
		}
		expected = expected.Add(days(late))
		if expected.After(finish) {
			finish = expected
		}
	}
	var why []string
	for _, byCustomer := range []bool{true, false} {
		if n := overdue[byCustomer]; n > 0 {
			who := "vendor"
			if byCustomer {
				who = "customer"
			}
			d := math.Round(maxOverdue[byCustomer])
			why = append(why, fmt.Sprintf("%d %s task%s overdue by up to %.0f day%s", n, who, plural(n), d, plural(int(d))))
		}
	}
	// A chain is two tasks or more: without a dependency there is none
	// (and no need to count working days).
	if waits(p.Open) {
		if c := ChainOf(p, now); len(c.Path) >= 2 && c.Finish.After(finish) {
			finish = c.Finish
			why = append(why, fmt.Sprintf("the chain of %d dependent tasks ending with “%s” needs %d working day%s, until %s",
				len(c.Path), p.Open[c.Path[len(c.Path)-1]].Name, c.Days, plural(c.Days), c.Finish.Format("2 Jan")))
		}
	}
	elapsed := now.Sub(p.Start).Hours()/24 - float64(p.HeldDays)
	if p.Completed >= paceMinTasks && elapsed >= paceMinDays {
		perDay := float64(p.Completed) / elapsed
		byPace := now.Add(days(float64(len(p.Open)) / perDay))
		if byPace.After(finish) {
			finish = byPace
			why = append(why, fmt.Sprintf("at %.1f tasks a week, the %d open tasks take until %s", perDay*7, len(p.Open), byPace.Format("2 Jan")))
		}
	}
	r = Result{Finish: finish, AtRisk: finish.After(p.Deadline.Add(Slack(p.Start, p.Deadline)))}
	if r.AtRisk {
		why = append(why, fmt.Sprintf("forecast finish %s, deadline %s", finish.Format("2 Jan"), p.Deadline.Format("2 Jan")))
		s := strings.Join(why, "; ")
		r.Reason = strings.ToUpper(s[:1]) + s[1:]
	}
	return r, true
}

// waits reports whether one of the tasks waits on another.
func waits(tasks []Task) bool {
	for _, t := range tasks {
		if len(t.DependsOn) > 0 {
			return true
		}
	}
	return false
}

// Chain is the longest chain of open work through dependencies.
type Chain struct {
	Path   []int     // indexes into Project.Open, first to start first
	Days   int       // working days of remaining work along it
	Finish time.Time // now plus those working days
}

// ChainOf is p's critical path at now: each open task's remaining work is
// the working days from its start (or now, if later) to its due date, at
// least one; a task starts when the tasks it waits on finish.
func ChainOf(p Project, now time.Time) Chain {
	nodes := make([]int, len(p.Open))
	for i := range nodes {
		nodes[i] = i
	}
	// Days are counted on the UTC calendar, as the store dates tasks.
	remaining := func(i int) int {
		t := p.Open[i]
		if t.Due == nil {
			return 1
		}
		from := now
		if t.Start != nil && t.Start.After(now) {
			from = *t.Start
		}
		return max(1, p.Calendar.WorkdaysBetween(from.UTC(), t.Due.UTC()))
	}
	days, path := schedule.CriticalPath(nodes, func(i int) []int { return p.Open[i].DependsOn }, remaining)
	return Chain{Path: path, Days: days, Finish: p.Calendar.AddWorkdays(now.UTC(), days).In(now.Location())}
}

// Slack is how far past its deadline a forecast may land before the
// project counts as at risk: a slip within a day, or 5% of the planned
// duration, is noise.
func Slack(start, deadline time.Time) time.Duration {
	return max(24*time.Hour, deadline.Sub(start)/20)
}

// HeldDays is by how many days a project that was on hold from since to
// until moves its deadline and its open tasks' due dates when it resumes:
// the time on hold, to the nearest whole day. Whole days keep a due time at
// its time of day; a hold shorter than half a day moves nothing.
func HeldDays(since, until time.Time) int {
	if !until.After(since) {
		return 0
	}
	return int(math.Round(until.Sub(since).Hours() / 24))
}

func days(d float64) time.Duration { return time.Duration(d * 24 * float64(time.Hour)) }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
