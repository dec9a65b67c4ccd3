package onboardiq

import (
	"slices"
	"strings"
)

// ProjectStatuses are the states a project may be in: not started, in
// progress and completed follow its tasks; on hold and cancelled are set by
// hand (Lifecycle). Blocked is accepted for projects but never derived.
var ProjectStatuses = []Status{StatusNotStarted, StatusInProgress, StatusBlocked, StatusCompleted, StatusOnHold, StatusCancelled}

// ValidForProject reports whether s is a project status.
func (s Status) ValidForProject() bool { return slices.Contains(ProjectStatuses, s) }

// Paused reports whether a project in status s is on hold or cancelled:
// it raises no delay alerts, counts in no on-time figure, is never overdue,
// and has no forecast.
func (s Status) Paused() bool { return s == StatusOnHold || s == StatusCancelled }

// MaxStatusReason is the longest reason for putting a project on hold or
// cancelling it, in characters.
const MaxStatusReason = 2000

// Lifecycle is a change of a project's status made by hand; every other
// change of status follows the tasks.
type Lifecycle string

const (
	// LifecycleHold puts a running project on hold, with a reason: the
	// work pauses and so does its clock (see the store's ResumeProject).
	LifecycleHold Lifecycle = "hold"
	// LifecycleResume takes a project off hold; its status follows its
	// tasks again.
	LifecycleResume Lifecycle = "resume"
	// LifecycleCancel cancels a project that is not completed, with a
	// reason. Its tasks can no longer change.
	LifecycleCancel Lifecycle = "cancel"
	// LifecycleReopen reopens a cancelled project; its status follows its
	// tasks again. A completed project reopens by itself when one of its
	// tasks is reopened or added.
	LifecycleReopen Lifecycle = "reopen"
)

// Lifecycles lists the changes in the order the pages offer them.
var Lifecycles = []Lifecycle{LifecycleHold, LifecycleResume, LifecycleCancel, LifecycleReopen}

var running = []Status{StatusNotStarted, StatusInProgress, StatusBlocked}

var lifecycles = map[Lifecycle]struct {
	from   []Status // the statuses it may start from
	to     Status   // the status it sets; "" when the tasks decide
	reason bool     // a reason is required
	kind   EventKind
	what   string // "cannot <what>"
}{
	LifecycleHold:   {running, StatusOnHold, true, EventProjectPutOnHold, "put the project on hold"},
	LifecycleResume: {[]Status{StatusOnHold}, "", false, EventProjectResumed, "resume the project"},
	LifecycleCancel: {append(slices.Clone(running), StatusOnHold), StatusCancelled, true, EventProjectCancelled, "cancel the project"},
	LifecycleReopen: {[]Status{StatusCancelled}, "", false, EventProjectReopened, "reopen the project"},
}

// Valid reports whether l is one of Lifecycles.
func (l Lifecycle) Valid() bool { _, ok := lifecycles[l]; return ok }

// AllowedFrom reports whether a project in status s may go through l.
func (l Lifecycle) AllowedFrom(s Status) bool { return slices.Contains(lifecycles[l].from, s) }

// NeedsReason reports whether l takes a reason.
func (l Lifecycle) NeedsReason() bool { return lifecycles[l].reason }

// To is the status l sets, or "" when the project's tasks decide it.
func (l Lifecycle) To() Status { return lifecycles[l].to }

// EventKind is the kind of event that records l.
func (l Lifecycle) EventKind() EventKind { return lifecycles[l].kind }

// LifecyclesFrom lists the changes a project in status s may go through.
func LifecyclesFrom(s Status) []Lifecycle {
	var out []Lifecycle
	for _, l := range Lifecycles {
		if l.AllowedFrom(s) {
			out = append(out, l)
		}
	}
	return out
}

// Check validates l for a project in status from with the reason given,
// and returns the reason to record (trimmed; nil when l takes none). The
// reason is checked first: EINVALID naming "reason" when one is required
// and missing or too long; then ECONFLICT naming the current status when
// the project may not go through l.
func (l Lifecycle) Check(from Status, reason string) (*string, error) {
	c, ok := lifecycles[l]
	if !ok {
		return nil, Errorf(EINVALID, "unknown change %q", l)
	}
	var r *string
	if c.reason {
		reason = strings.TrimSpace(reason)
		if err := checkText("reason", reason, 1, MaxStatusReason); err != nil {
			return nil, err
		}
		r = &reason
	}
	if !slices.Contains(c.from, from) {
		return nil, Errorf(ECONFLICT, "cannot %s: its status is %s (it must be %s)", c.what, from, orList(c.from))
	}
	return r, nil
}

// orList writes statuses as "a, b or c".
func orList(ss []Status) string {
	words := make([]string, len(ss))
	for i, s := range ss {
		words[i] = string(s)
	}
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
