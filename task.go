package onboardiq

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// Task is one step of a project, done by a customer contact or a support
// member; both sides see it unless its visibility is internal.
type Task struct {
	TenantID      uuid.UUID  `json:"tenant_id"`
	ID            uuid.UUID  `json:"id"`
	ProjectID     uuid.UUID  `json:"project_id"`
	CustomerID    uuid.UUID  `json:"customer_id"`
	Description   string     `json:"description"`
	Details       string     `json:"details"`
	AssignedTo    *uuid.UUID `json:"assigned_to,omitempty"`
	Status        Status     `json:"status"`
	Phase         string     `json:"phase"`
	Position      int        `json:"position"`
	StartAt       *time.Time `json:"start_at,omitempty"`
	DueAt         *time.Time `json:"due_at,omitempty"`
	Visibility    Visibility `json:"visibility"`
	BlockedReason *string    `json:"blocked_reason,omitempty"`
	CompletedAt   *time.Time `json:"completed_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`

	// DependsOn are the task's predecessors (finish-to-start: it may start
	// when they are finished), in plan order; WaitingOn are those not yet
	// completed or cancelled. A customer contact sees only the ones visible
	// to customers. See dependency.go.
	DependsOn []uuid.UUID `json:"depends_on"`
	WaitingOn []TaskRef   `json:"waiting_on,omitempty"`

	// CustomerSide: the task is assigned to a contact of its customer (not
	// shown in the API; CanChangeTaskStatus decides by it).
	CustomerSide bool `json:"-"`
	// CompletedBy is who marked the task done, while it is (not shown in
	// the API; CanChangeTaskStatus lets a contact reopen what they completed).
	CompletedBy *uuid.UUID `json:"-"`
}

// TaskStatuses are the states a task may be in.
var TaskStatuses = []Status{StatusNotStarted, StatusInProgress, StatusBlocked, StatusCompleted, StatusCancelled}

// Valid reports whether s is a task status.
func (s Status) Valid() bool {
	for _, x := range TaskStatuses {
		if s == x {
			return true
		}
	}
	return false
}

// TaskPatch changes a task; NewTask is a TaskPatch with a description.
type TaskPatch struct {
	Description   Patch[string]
	Details       Patch[string]
	AssignedTo    Patch[uuid.UUID]
	Status        Patch[Status]
	Phase         Patch[string]
	Position      Patch[int]
	StartAt       Patch[time.Time]
	DueAt         Patch[time.Time]
	Visibility    Patch[Visibility]
	BlockedReason Patch[string]
	// DependsOn replaces the task's predecessors (null or empty: none);
	// the store checks them (CheckDependsOn, same project, no cycle).
	DependsOn Patch[[]uuid.UUID]
	// ShiftDependents: when the due date moves by N working days, the
	// unfinished tasks that wait on this one, directly or not, move by N
	// working days too.
	ShiftDependents bool
}

// OnlyStatus reports whether the patch changes nothing but the status and
// the blocked reason: all a customer contact may change.
func (p *TaskPatch) OnlyStatus() bool {
	return !p.Description.Set && !p.Details.Set && !p.AssignedTo.Set && !p.Phase.Set &&
		!p.Position.Set && !p.StartAt.Set && !p.DueAt.Set && !p.Visibility.Set && !p.DependsOn.Set && !p.ShiftDependents
}

// Apply applies the patch to t and validates the result, naming the first
// bad field. Completing sets CompletedAt (to now); leaving completed clears
// it; leaving blocked clears the reason.
func (p *TaskPatch) Apply(t *Task, now time.Time) error {
	if !p.Description.ApplyValue(&t.Description) {
		return Invalid("description", "is required")
	}
	if !p.Details.ApplyValue(&t.Details) {
		t.Details = ""
	}
	p.AssignedTo.Apply(&t.AssignedTo)
	wasStatus := t.Status
	if !p.Status.ApplyValue(&t.Status) {
		return Invalid("status", "cannot be null")
	}
	if !p.Phase.ApplyValue(&t.Phase) {
		t.Phase = ""
	}
	if !p.Position.ApplyValue(&t.Position) {
		return Invalid("position", "cannot be null")
	}
	p.StartAt.Apply(&t.StartAt)
	if t.StartAt != nil && p.StartAt.Set {
		if err := CheckTime("start_at", *t.StartAt); err != nil {
			return err
		}
	}
	p.DueAt.Apply(&t.DueAt)
	if t.DueAt != nil && p.DueAt.Set {
		if err := CheckTime("due_at", *t.DueAt); err != nil {
			return err
		}
	}
	// Checked when either date changes: a change of status alone never
	// fails on dates someone else set.
	if (p.StartAt.Set || p.DueAt.Set) && t.StartAt != nil && t.DueAt != nil && t.StartAt.After(*t.DueAt) {
		if p.StartAt.Set {
			return Invalid("start_at", "must not be after the due date")
		}
		return Invalid("due_at", "must not be before the start date")
	}
	if !p.Visibility.ApplyValue(&t.Visibility) {
		return Invalid("visibility", "cannot be null")
	}
	p.BlockedReason.Apply(&t.BlockedReason)

	t.Description = strings.TrimSpace(t.Description)
	t.Phase = strings.TrimSpace(t.Phase)
	if err := checkText("description", t.Description, 1, 500); err != nil {
		return err
	}
	if err := checkText("details", t.Details, 0, 20000); err != nil {
		return err
	}
	if err := checkText("phase", t.Phase, 0, 100); err != nil {
		return err
	}
	if !t.Status.Valid() {
		return Invalid("status", "must be one of not_started, in_progress, blocked, completed, cancelled")
	}
	if t.Position < 0 || t.Position > 100000 {
		return Invalid("position", "must be between 0 and 100000")
	}
	if t.Visibility != VisibilityCustomer && t.Visibility != VisibilityInternal {
		return Invalid("visibility", "must be customer or internal")
	}
	if t.BlockedReason != nil {
		r := strings.TrimSpace(*t.BlockedReason)
		t.BlockedReason = &r
		if err := checkText("blocked_reason", r, 0, 2000); err != nil {
			return err
		}
	}
	switch {
	case t.Status == StatusBlocked && (t.BlockedReason == nil || *t.BlockedReason == ""):
		return Invalid("blocked_reason", "is required when the status is blocked")
	case t.Status != StatusBlocked && p.BlockedReason.Set && !p.BlockedReason.Null:
		return Invalid("blocked_reason", "is only for a blocked task")
	case t.Status != StatusBlocked:
		t.BlockedReason = nil
	}
	switch {
	case t.Status == StatusCompleted && wasStatus != StatusCompleted:
		t.CompletedAt = &now
	case t.Status != StatusCompleted:
		t.CompletedAt = nil
	}
	return nil
}

// Comment is a remark on a task by a customer contact or a staff member.
type Comment struct {
	ID        int64      `json:"id"`
	TaskID    uuid.UUID  `json:"task_id"`
	AuthorID  *uuid.UUID `json:"author_id,omitempty"`
	Author    string     `json:"author"`
	Body      string     `json:"body"`
	CreatedAt time.Time  `json:"created_at"`
}
