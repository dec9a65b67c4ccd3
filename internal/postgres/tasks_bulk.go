package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// Changes to several tasks of a project at once (the project page's
// selection, the API's bulk operation) and reordering within a phase. Each
// task changes through changeTask, UpdateTask's core: the same validation,
// the same events, one transaction.

// MaxBulkTasks bounds the tasks one bulk change names.
const MaxBulkTasks = 500

// MaxShiftDays bounds how far a bulk change moves due dates, either way.
const MaxShiftDays = 3650

// BulkTaskChange is what BulkUpdateTasks does to each task it names: any
// of reassign, shift the due date, and set the status.
type BulkTaskChange struct {
	// AssignedTo reassigns the tasks when Set; Set and Null unassigns them.
	AssignedTo onboardiq.Patch[uuid.UUID]
	// ShiftDays moves each due date, and the start date with it, by whole
	// days (later when positive); a task without a due date keeps none.
	ShiftDays int
	// Status, when not empty, becomes each task's status; BlockedReason is
	// required with blocked, and refused with any other status.
	Status        onboardiq.Status
	BlockedReason string
}

func (c *BulkTaskChange) validate() error {
	c.BlockedReason = strings.TrimSpace(c.BlockedReason)
	switch {
	case !c.AssignedTo.Set && c.ShiftDays == 0 && c.Status == "":
		return onboardiq.Invalid("change", "choose something to change: an assignee, a number of days to shift the due dates by, or a status")
	case c.ShiftDays < -MaxShiftDays || c.ShiftDays > MaxShiftDays:
		return onboardiq.Invalid("shift_days", "must be between %d and %d", -MaxShiftDays, MaxShiftDays)
	case c.Status != "" && !c.Status.Valid():
		return onboardiq.Invalid("status", "must be one of not_started, in_progress, blocked, completed, cancelled")
	case c.Status == onboardiq.StatusBlocked && c.BlockedReason == "":
		return onboardiq.Invalid("blocked_reason", "is required when the status is blocked")
	case c.Status != onboardiq.StatusBlocked && c.BlockedReason != "":
		return onboardiq.Invalid("blocked_reason", "is only for a blocked task")
	}
	return nil
}

// patch is the change as it applies to t.
func (c *BulkTaskChange) patch(t *onboardiq.Task) onboardiq.TaskPatch {
	p := onboardiq.TaskPatch{AssignedTo: c.AssignedTo}
	// A task moves whole: its start with its due date, so it keeps its
	// length and its start never passes its due date.
	if c.ShiftDays != 0 && t.DueAt != nil {
		p.DueAt = onboardiq.Set(t.DueAt.AddDate(0, 0, c.ShiftDays))
		if t.StartAt != nil {
			p.StartAt = onboardiq.Set(t.StartAt.AddDate(0, 0, c.ShiftDays))
		}
	}
	if c.Status != "" {
		p.Status = onboardiq.Set(c.Status)
		if c.Status == onboardiq.StatusBlocked {
			p.BlockedReason = onboardiq.Set(c.BlockedReason)
		}
	}
	return p
}

// BulkUpdateTasks applies one change to several tasks of a project (admin
// or csm): all of them, or, when one is refused, none. Each task changes as
// UpdateTask would change it, with its own event; the project's progress
// and status follow once. An error names the task, and the field of the
// change it is about (shift_days for a due date out of range). It returns
// the tasks named, as they are after the change, in plan order.
func (db *DB) BulkUpdateTasks(ctx context.Context, projectID uuid.UUID, ids []uuid.UUID, change BulkTaskChange) ([]*onboardiq.Task, error) {
	ids = uniqueIDs(ids)
	switch {
	case len(ids) == 0:
		return nil, onboardiq.Invalid("task_ids", "choose at least one task")
	case len(ids) > MaxBulkTasks:
		return nil, onboardiq.Invalid("task_ids", "at most %d tasks at a time", MaxBulkTasks)
	}
	if err := change.validate(); err != nil {
		return nil, err
	}
	var out []*onboardiq.Task
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		out = nil // a retried transaction starts again
		pr, err := getProject(ctx, tx, p, projectID, true)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditTasks); err != nil {
			return err
		}
		if err := checkTasksMayChange(pr); err != nil {
			return err
		}
		tasks, err := lockProjectTasks(ctx, tx, p, pr.ID, ids)
		if err != nil {
			return err
		}
		if len(tasks) != len(ids) {
			for _, id := range ids {
				if !slices.ContainsFunc(tasks, func(t *onboardiq.Task) bool { return t.ID == id }) {
					return onboardiq.Invalid("task_ids", "%s is not a task of this project", id)
				}
			}
		}
		now, anyChanged := time.Now(), false
		for _, before := range tasks {
			t, changed, err := changeTask(ctx, tx, p, before, change.patch(before), now)
			if err != nil {
				return aboutTask(before, err, map[string]string{"due_at": "shift_days"})
			}
			out = append(out, t)
			anyChanged = anyChanged || changed
		}
		if !anyChanged {
			return nil
		}
		return tx.RefreshProject(ctx, pr.ID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Directions a task moves in.
const (
	MoveUp   = "up"
	MoveDown = "down"
)

// MoveTask moves a task one place up or down within its phase (admin or
// csm): it changes places with its neighbour in plan order, which must be
// of the same phase. The two swap positions; where tasks share a position,
// the positions are pulled apart, each task moved recorded as a change of
// position (task.updated), as UpdateTask records one.
func (db *DB) MoveTask(ctx context.Context, id uuid.UUID, direction string) (*onboardiq.Task, error) {
	if direction != MoveUp && direction != MoveDown {
		return nil, onboardiq.Invalid("direction", "must be up or down")
	}
	var moved *onboardiq.Task
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		_, pr, err := lockTaskProject(ctx, tx, p, id)
		if err != nil {
			return err
		}
		order, err := lockProjectTasks(ctx, tx, p, pr.ID, nil)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(order, func(t *onboardiq.Task) bool { return t.ID == id })
		if i < 0 {
			return onboardiq.Errorf(onboardiq.ENOTFOUND, "task not found")
		}
		j := i - 1
		if direction == MoveDown {
			j = i + 1
		}
		if j < 0 || j >= len(order) || order[j].Phase != order[i].Phase {
			edge := map[string]string{MoveUp: "first", MoveDown: "last"}[direction]
			return onboardiq.Invalid("direction", "the task is already the %s of its phase", edge)
		}
		positions := taskPositions(order, i, j)
		order[i], order[j] = order[j], order[i]
		now := time.Now()
		for k, before := range order {
			if before.Position == positions[k] {
				if before.ID == id {
					moved = before
				}
				continue
			}
			t, _, err := changeTask(ctx, tx, p, before, onboardiq.TaskPatch{Position: onboardiq.Set(positions[k])}, now)
			if err != nil {
				return aboutTask(before, err, map[string]string{"position": "direction"})
			}
			if t.ID == id {
				moved = t
			}
		}
		if err := tx.fillDependencies(ctx, []*onboardiq.Task{moved}); err != nil {
			return err
		}
		return tx.RefreshProject(ctx, pr.ID)
	})
	if err != nil {
		return nil, err
	}
	return moved, nil
}

// taskPositions are the positions of order (a project's tasks in plan
// order) once the tasks at i and j, neighbours, have changed places: the
// two swap positions when theirs differ; when they share one, the
// positions are pulled apart from the first tie on, by as little as keeps
// them increasing.
func taskPositions(order []*onboardiq.Task, i, j int) []int {
	out := make([]int, len(order))
	for k, t := range order {
		out[k] = t.Position
	}
	if out[i] != out[j] {
		return out
	}
	for k := 1; k < len(out); k++ {
		out[k] = max(out[k], out[k-1]+1)
	}
	return out
}

// lockProjectTasks reads the tasks of project projectID the caller may see,
// those of ids only when ids is not nil, in plan order, and locks them.
// The caller holds the project's lock (taken first, as every change to a
// project's tasks takes it).
func lockProjectTasks(ctx context.Context, tx *Tx, p *onboardiq.Principal, projectID uuid.UUID, ids []uuid.UUID) ([]*onboardiq.Task, error) {
	rows, err := tx.Query(ctx, `SELECT `+taskColumns+taskFrom+`
WHERE t.tenant_id = $1 AND `+taskVisible+` AND t.project_id = $3 AND ($4::uuid[] IS NULL OR t.task_id = ANY ($4))
ORDER BY t.position, t.task_id
FOR UPDATE OF t`, tx.TenantID(), contactCustomer(p), projectID, ids)
	if err != nil {
		return nil, fmt.Errorf("lock tasks: %w", err)
	}
	tasks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Task, error) { return scanTask(r) })
	if err != nil {
		return nil, fmt.Errorf("lock tasks: %w", err)
	}
	return tasks, nil
}

// aboutTask names the task a refusal is about, keeping its code; its field
// becomes the field of the request that set it (rename maps a task's field
// to the request's, when they differ).
func aboutTask(t *onboardiq.Task, err error, rename map[string]string) error {
	var e *onboardiq.Error
	if !errors.As(err, &e) || e.Code == onboardiq.EINTERNAL {
		return err
	}
	field := e.Field
	if to, ok := rename[field]; ok {
		field = to
	}
	return &onboardiq.Error{Code: e.Code, Field: field, Message: fmt.Sprintf("task %q: %s", t.Description, e.Message)}
}

// uniqueIDs drops repeated ids, keeping the first of each.
func uniqueIDs(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
