package playbook

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq"
)

func matchEvent(p *onboardiq.Playbook, e *onboardiq.Event) bool {
	if p == nil || e == nil || !p.Enabled || p.Trigger.Event == "" || p.Trigger.Event != string(e.Kind) {
		return false
	}
	if e.CustomerID == nil {
		return false
	}
	if p.Subject == "project" && e.ProjectID == nil {
		return false
	}
	if id, ok := e.Data["playbook_id"]; ok && fmt.Sprint(id) == p.ID.String() {
		return false
	}
	return true
}

// days is the whole number of days from a to b (negative when b is
// before a), counted in 24-hour steps.
func days(a, b time.Time) int {
	return int(math.Floor(b.Sub(a).Hours() / 24))
}

// civilDays counts calendar days from now's date to date's (both in UTC).
func civilDays(now, date time.Time) int {
	n := time.Date(now.UTC().Year(), now.UTC().Month(), now.UTC().Day(), 0, 0, 0, 0, time.UTC)
	d := time.Date(date.UTC().Year(), date.UTC().Month(), date.UTC().Day(), 0, 0, 0, 0, time.UTC)
	return int(d.Sub(n).Hours() / 24)
}

func plural(n int, one, many string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func due(t onboardiq.PlaybookTrigger, f *Facts) (bool, []string) {
	if f == nil || t.Schedule == "" {
		return false, nil
	}
	switch t.Schedule {
	case onboardiq.ScheduleRenewal:
		if f.Customer.RenewalDate == nil {
			return false, nil
		}
		d := civilDays(f.Now, *f.Customer.RenewalDate)
		if d < 0 || d > t.Days {
			return false, nil
		}
		return true, []string{fmt.Sprintf("renewal in %s (%s)", plural(d, "day", "days"), f.Customer.RenewalDate.UTC().Format(time.DateOnly))}
	case onboardiq.ScheduleNoActivity:
		if f.LastActivityAt == nil {
			return true, []string{"no activity recorded"}
		}
		d := days(*f.LastActivityAt, f.Now)
		if d < t.Days {
			return false, nil
		}
		return true, []string{fmt.Sprintf("no activity for %s (last on %s)", plural(d, "day", "days"), f.LastActivityAt.UTC().Format(time.DateOnly))}
	case onboardiq.ScheduleUsageChange:
		if f.UsageRecent == nil || f.UsagePrevious == nil || *f.UsagePrevious <= 0 {
			return false, nil
		}
		change := (*f.UsageRecent - *f.UsagePrevious) / *f.UsagePrevious * 100
		if t.Percent < 0 && change > t.Percent || t.Percent >= 0 && change < t.Percent {
			return false, nil
		}
		verb := "rose"
		if change < 0 {
			verb = "fell"
		}
		return true, []string{fmt.Sprintf("usage %s by %s%% over the last %s (%s against %s)", verb,
			num(math.Abs(math.Round(change*10)/10)), plural(t.Days, "day", "days"), num(*f.UsageRecent), num(*f.UsagePrevious))}
	case onboardiq.ScheduleHealthBelow:
		if f.HealthBelowSince == nil {
			return false, nil
		}
		d := days(*f.HealthBelowSince, f.Now)
		if d < t.Days {
			return false, nil
		}
		score := ""
		if f.Customer.Health != nil {
			score = fmt.Sprintf(" (now %d)", f.Customer.Health.Score)
		}
		return true, []string{fmt.Sprintf("health below %d for %s%s", t.Score, plural(d, "day", "days"), score)}
	case onboardiq.ScheduleTaskBlocked:
		var ev []string
		for _, b := range f.Blocked {
			d := days(b.Since, f.Now)
			if d >= t.Days {
				ev = append(ev, fmt.Sprintf("task %q blocked for %s", b.Title, plural(d, "day", "days")))
			}
		}
		return len(ev) > 0, ev
	case onboardiq.ScheduleAtRisk:
		if !f.AtRisk {
			return false, nil
		}
		reason := strings.TrimSpace(f.AtRiskReason)
		if reason == "" {
			reason = "the project is forecast to miss its deadline"
		}
		return true, []string{reason}
	}
	return false, nil
}
