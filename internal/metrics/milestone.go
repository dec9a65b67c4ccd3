package metrics

import (
	"slices"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq"
)

// Milestone is a tenant's definition of a moment in a customer's onboarding:
// an event rule or a task completion, exactly one of them.
//
//	{"event": "first_api_call"}                                       the first such event
//	{"event": "user_active", "distinct_users": 5, "within_days": 7}   5 users within 7 days
//	{"task": "go-live"}                                               the task completed
type Milestone struct {
	Event string `json:"event,omitempty"`
	// DistinctUsers is how many different users must send Event (1 when
	// 0); WithinDays the window they must do it in (0: any time).
	DistinctUsers int `json:"distinct_users,omitempty"`
	WithinDays    int `json:"within_days,omitempty"`
	// Task names the task whose completion reaches the milestone (its
	// template task key, as the store passes it in TaskDone).
	Task string `json:"task,omitempty"`
}

// Validate reports the first thing wrong with m, naming its field.
func (m Milestone) Validate() error {
	switch {
	case m.Event == "" && m.Task == "":
		return onboardiq.Invalid("event", "name an event or a task")
	case m.Event != "" && m.Task != "":
		return onboardiq.Invalid("task", "a milestone is an event rule or a task completion, not both")
	case len(m.Event) > 100:
		return onboardiq.Invalid("event", "the event name is longer than 100 characters")
	case m.DistinctUsers < 0 || m.DistinctUsers > 10000:
		return onboardiq.Invalid("distinct_users", "must be between 1 and 10,000")
	case m.WithinDays < 0 || m.WithinDays > 366:
		return onboardiq.Invalid("within_days", "must be between 1 and 366 days")
	case m.Task != "" && (m.DistinctUsers != 0 || m.WithinDays != 0):
		return onboardiq.Invalid("task", "a task milestone takes no user count or window")
	}
	return nil
}

// UsageEvent is one usage event of a customer, as the rule sees it.
type UsageEvent struct {
	ID   string
	Name string
	// User identifies who did it (an email); empty when the event names no
	// user, and then it does not count towards DistinctUsers above 1.
	User string
	At   time.Time
}

// TaskDone is the completion of a task of the customer's onboarding.
type TaskDone struct {
	Task string
	At   time.Time
}

// Reached is when a milestone was reached and the events that reached it.
type Reached struct {
	At       time.Time
	EventIDs []string
}

// Evaluate returns when the milestone was first reached over the events
// and task completions given (in any order), and ok false when it was not.
//
// An event rule with one user is reached by the first matching event. With
// N users it is reached at the first event that makes N different users
// have sent the event within the window (WithinDays × 24 hours ending at
// that event, both ends included; any time when WithinDays is 0). EventIDs
// are, for each of those users, their latest event in the window,
// ascending.
func Evaluate(m Milestone, events []UsageEvent, tasks []TaskDone) (r Reached, ok bool) {
	if m.Task != "" {
		for _, t := range tasks {
			if t.Task == m.Task && (!ok || t.At.Before(r.At)) {
				r, ok = Reached{At: t.At, EventIDs: []string{}}, true
			}
		}
		return r, ok
	}
	var evs []UsageEvent
	for _, e := range events {
		if e.Name == m.Event && (m.DistinctUsers <= 1 || e.User != "") {
			evs = append(evs, e)
		}
	}
	slices.SortStableFunc(evs, func(a, b UsageEvent) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(evs) == 0 {
		return Reached{}, false
	}
	need := max(1, m.DistinctUsers)
	if need == 1 {
		return Reached{At: evs[0].At, EventIDs: []string{evs[0].ID}}, true
	}
	window := time.Duration(m.WithinDays) * 24 * time.Hour
	users := map[string]int{} // events per user in the window
	lo := 0
	for hi, e := range evs {
		users[e.User]++
		if m.WithinDays > 0 {
			for evs[lo].At.Before(e.At.Add(-window)) {
				if users[evs[lo].User]--; users[evs[lo].User] == 0 {
					delete(users, evs[lo].User)
				}
				lo++
			}
		}
		if len(users) >= need {
			latest := map[string]string{}
			for _, w := range evs[lo : hi+1] {
				latest[w.User] = w.ID
			}
			ids := make([]string, 0, len(latest))
			for _, id := range latest {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			return Reached{At: e.At, EventIDs: ids}, true
		}
	}
	return Reached{}, false
}
