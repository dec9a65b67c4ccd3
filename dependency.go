package onboardiq

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Dependencies between tasks are finish-to-start (docs/decisions/0011-
// dependencies.md): a task waits until each of its predecessors is
// finished, completed or cancelled. Both belong to the same project, and no
// task may end up waiting on itself through others. Template tasks have
// dependencies of the same kind, copied to the project's tasks when a
// project is created from the template.

// TaskRef names a task: what a page or an answer shows of a predecessor or
// of a task moved with another.
type TaskRef struct {
	ID          uuid.UUID `json:"id"`
	Description string    `json:"description"`
}

// MaxDependencies bounds a task's predecessors.
const MaxDependencies = 100

// CheckDependsOn returns the predecessors a patch gives the task id (uuid.Nil
// for a task not created yet), without repeats and in the order given. A
// task cannot wait on itself.
func CheckDependsOn(id uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, 0, len(ids))
	seen := make(map[uuid.UUID]bool, len(ids))
	for _, d := range ids {
		switch {
		case d == uuid.Nil:
			return nil, Invalid("depends_on", "names no task")
		case d == id:
			return nil, Invalid("depends_on", "a task cannot wait on itself")
		case seen[d]:
			continue
		}
		seen[d] = true
		out = append(out, d)
	}
	if len(out) > MaxDependencies {
		return nil, Invalid("depends_on", "may name at most %d tasks", MaxDependencies)
	}
	return out, nil
}

// Finished reports whether a task in status s no longer holds up the tasks
// that wait on it.
func (s Status) Finished() bool { return s == StatusCompleted || s == StatusCancelled }

// CycleError is the refusal of a change that would make a task wait on
// itself: names are the tasks along the cycle, each waiting on the next
// and the last on the first.
func CycleError(names []string) error {
	var b strings.Builder
	for _, n := range names {
		b.WriteString("“" + n + "” → ")
	}
	if len(names) > 0 {
		b.WriteString("“" + names[0] + "”")
	}
	return Invalid("depends_on", "%s would wait on itself", b.String())
}

// Holiday is a day off in the tenant's working-day calendar: like
// Saturdays and Sundays, it is skipped when template offsets and durations
// are counted and when tasks are moved with the one they wait on.
type Holiday struct {
	Day  string `json:"day" format:"date" doc:"The date, YYYY-MM-DD."`
	Name string `json:"name" required:"false" maxLength:"100" doc:"What the day is, for people (may be empty)."`
}

// MaxHolidays bounds a tenant's list of holidays.
const MaxHolidays = 1000

// Date is the holiday's day at midnight UTC.
func (h Holiday) Date() time.Time {
	d, _ := time.Parse(time.DateOnly, h.Day)
	return d
}

// CheckHolidays validates a whole list of holidays and returns it in date
// order, names trimmed. An error names the entry: holidays[2].day.
func CheckHolidays(in []Holiday) ([]Holiday, error) {
	if len(in) > MaxHolidays {
		return nil, Invalid("holidays", "may list at most %d days", MaxHolidays)
	}
	out := make([]Holiday, 0, len(in))
	seen := make(map[string]int, len(in))
	for i, h := range in {
		field := fmt.Sprintf("holidays[%d]", i)
		day := strings.TrimSpace(h.Day)
		d, err := time.Parse(time.DateOnly, day)
		if err != nil || CheckTime(field, d) != nil {
			return nil, Invalid(field+".day", "%q is not a date like 2026-12-25", h.Day)
		}
		if j, ok := seen[day]; ok {
			return nil, Invalid(field+".day", "%s is already holidays[%d]", day, j)
		}
		seen[day] = i
		name := strings.TrimSpace(h.Name)
		if err := checkText(field+".name", name, 0, 100); err != nil {
			return nil, err
		}
		out = append(out, Holiday{Day: day, Name: name})
	}
	// YYYY-MM-DD sorts as text.
	slices.SortFunc(out, func(a, b Holiday) int { return strings.Compare(a.Day, b.Day) })
	return out, nil
}
