// Package metrics computes onboarding success metrics (time to first value,
// user activation, on-time completion, onboarding duration, CSAT and NPS)
// from plain inputs, grouped by a key and by period, and evaluates
// milestone rules over usage events. It is pure: the store gathers the
// projects, answers and events and the API renders the rows.
// docs/customer-success.md defines each metric.
package metrics

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq"
)

// Project is one onboarding project as the metrics see it.
type Project struct {
	// Group is the key it is reported under: its template, CSM or the
	// customer's segment, as the caller chose.
	Group string
	Start time.Time
	// Deadline is its planned finish; nil without one.
	Deadline *time.Time
	// Completed is when it completed; nil while open.
	Completed *time.Time
	// FirstValue is when its first value milestone was reached; nil until
	// then.
	FirstValue *time.Time
	// Invited counts the contacts invited; Activated those of them who
	// signed in and reached the activation milestone (Activation).
	Invited, Activated int
}

// Contact is one invited contact, for Activation.
type Contact struct {
	SignedIn bool
	// Reached tells whether the contact reached the activation milestone.
	Reached bool
}

// Activation counts the contacts who signed in and reached the milestone,
// of those invited.
func Activation(contacts []Contact) (activated, invited int) {
	for _, c := range contacts {
		if c.SignedIn && c.Reached {
			activated++
		}
	}
	return activated, len(contacts)
}

// Survey kinds.
const (
	CSAT = "csat"
	NPS  = "nps"
)

// Answer is one survey answer: CSAT 1–5 or NPS 0–10.
type Answer struct {
	Group string
	Kind  string
	Score int
	At    time.Time
}

// Periods.
const (
	All   = ""
	Week  = "week"
	Month = "month"
)

// Options say how to bucket.
type Options struct {
	// Period is All, Week (Monday to Sunday) or Month.
	Period string
	// Location is the time zone that periods and deadline days are
	// counted in; UTC when nil.
	Location *time.Location
}

// Group-by keys the API accepts.
var GroupBys = []string{"template", "csm", "segment", "customer"}

// ValidateQuery checks the group_by and period of a metrics request.
func ValidateQuery(groupBy, period string) error {
	if groupBy != "" && !slices.Contains(GroupBys, groupBy) {
		return onboardiq.Invalid("group_by", "must be one of %s", strings.Join(GroupBys, ", "))
	}
	if period != All && period != Week && period != Month {
		return onboardiq.Invalid("period", "must be week or month")
	}
	return nil
}

// Stat summarises durations in days over N values; Median and P90 are nil
// when N is 0.
type Stat struct {
	N      int      `json:"n"`
	Median *float64 `json:"median"`
	P90    *float64 `json:"p90"`
}

// Rate is Count of Of; Rate is nil when Of is 0.
type Rate struct {
	Count int      `json:"count"`
	Of    int      `json:"of"`
	Rate  *float64 `json:"rate"`
}

// Average of N answers; nil when N is 0.
type Average struct {
	N       int      `json:"n"`
	Average *float64 `json:"average"`
}

// NetPromoter is the NPS of N answers: % promoters (9–10) − % detractors
// (0–6), rounded half away from zero; nil when N is 0.
type NetPromoter struct {
	N          int  `json:"n"`
	Promoters  int  `json:"promoters"`
	Detractors int  `json:"detractors"`
	Score      *int `json:"score"`
}

// Row is the metrics of one group in one period.
type Row struct {
	Group string `json:"group"`
	// Period is the first day of the period (2006-01-02, in the options'
	// zone); empty when not bucketed.
	Period string `json:"period,omitempty"`
	// Projects counts the projects started in the period.
	Projects         int         `json:"projects"`
	TimeToFirstValue Stat        `json:"time_to_first_value_days"`
	Activation       Rate        `json:"activation"`
	OnTime           Rate        `json:"on_time"`
	Duration         Stat        `json:"duration_days"`
	CSAT             Average     `json:"csat"`
	NPS              NetPromoter `json:"nps"`
}

// PeriodStart returns the first instant of the period t falls in, in loc:
// midnight of the Monday of its week or of the first of its month. All
// returns the zero time.
func PeriodStart(t time.Time, period string, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	y, m, d := t.Date()
	switch period {
	case Week:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, loc)
	}
	return time.Time{}
}

type key struct {
	group  string
	period time.Time
}

type acc struct {
	row             Row
	ttfv, durations []float64
	csatSum         int
}

// Compute returns one row per group and period that has a project or an
// answer, ordered by group and then period. Projects count in the period
// they started in (a cohort), answers in the period they were given.
func Compute(projects []Project, answers []Answer, opt Options) []Row {
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	accs := map[key]*acc{}
	get := func(group string, at time.Time) *acc {
		k := key{group, PeriodStart(at, opt.Period, loc)}
		a := accs[k]
		if a == nil {
			a = &acc{row: Row{Group: group}}
			if opt.Period != All {
				a.row.Period = k.period.Format(time.DateOnly)
			}
			accs[k] = a
		}
		return a
	}
	for _, p := range projects {
		a := get(p.Group, p.Start)
		a.row.Projects++
		if p.FirstValue != nil {
			a.ttfv = append(a.ttfv, days(p.FirstValue.Sub(p.Start)))
		}
		a.row.Activation.Count += max(0, p.Activated)
		a.row.Activation.Of += max(0, p.Invited)
		if p.Completed != nil {
			a.durations = append(a.durations, days(p.Completed.Sub(p.Start)))
			if p.Deadline != nil {
				a.row.OnTime.Of++
				if !dayOf(*p.Completed, loc).After(dayOf(*p.Deadline, loc)) {
					a.row.OnTime.Count++
				}
			}
		}
	}
	for _, ans := range answers {
		switch ans.Kind {
		case CSAT:
			if ans.Score < 1 || ans.Score > 5 {
				continue
			}
			a := get(ans.Group, ans.At)
			a.row.CSAT.N++
			a.csatSum += ans.Score
		case NPS:
			if ans.Score < 0 || ans.Score > 10 {
				continue
			}
			a := get(ans.Group, ans.At)
			a.row.NPS.N++
			switch {
			case ans.Score >= 9:
				a.row.NPS.Promoters++
			case ans.Score <= 6:
				a.row.NPS.Detractors++
			}
		}
	}
	keys := make([]key, 0, len(accs))
	for k := range accs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.group, b.group); c != 0 {
			return c
		}
		return a.period.Compare(b.period)
	})
	rows := make([]Row, 0, len(keys))
	for _, k := range keys {
		a := accs[k]
		r := a.row
		r.TimeToFirstValue = stat(a.ttfv)
		r.Duration = stat(a.durations)
		r.Activation.Rate = rate(r.Activation.Count, r.Activation.Of)
		r.OnTime.Rate = rate(r.OnTime.Count, r.OnTime.Of)
		if r.CSAT.N > 0 {
			r.CSAT.Average = ptr(round(float64(a.csatSum)/float64(r.CSAT.N), 2))
		}
		if r.NPS.N > 0 {
			s := int(math.Round(100 * float64(r.NPS.Promoters-r.NPS.Detractors) / float64(r.NPS.N)))
			r.NPS.Score = &s
		}
		rows = append(rows, r)
	}
	return rows
}

// days is a duration in days to one decimal; negative (a milestone dated
// before its project started) counts as 0.
func days(d time.Duration) float64 {
	return round(math.Max(0, d.Hours()/24), 1)
}

// dayOf is the calendar day of t in loc, as midnight of that day.
func dayOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// stat is the median (the mean of the two middle values of an even count)
// and the 90th percentile (nearest rank: the value at rank ⌈0.9 n⌉).
func stat(v []float64) Stat {
	s := Stat{N: len(v)}
	if len(v) == 0 {
		return s
	}
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	med := v[n/2]
	if n%2 == 0 {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	s.Median = ptr(round(med, 1))
	s.P90 = ptr(v[int(math.Ceil(0.9*float64(n)))-1])
	return s
}

func rate(count, of int) *float64 {
	if of == 0 {
		return nil
	}
	return ptr(round(float64(count)/float64(of), 4))
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

func ptr[T any](v T) *T { return &v }
