package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

const taskColumns = `t.tenant_id, t.task_id, t.project_id, p.customer_id, t.description, t.details, t.assigned_to,
    t.status, t.phase, t.position, t.start_at, t.due_at, t.visibility, t.blocked_reason, t.completed_at, t.created_at, t.updated_at,
    coalesce(a.customer_id = p.customer_id, false), t.completed_by`

// taskFrom joins a task's project and its assignee (for CustomerSide): a
// join, not a subquery, so a locking read stays on one shard on Citus.
const taskFrom = taskWithProject + `
    LEFT JOIN tenant_users a ON a.tenant_id = t.tenant_id AND a.user_id = t.assigned_to `

// taskWithProject is taskFrom without the assignee, for queries that only
// pick tasks (taskVisible needs the project).
const taskWithProject = ` FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id `

// taskVisible limits a customer contact ($2) to the customer-visible tasks
// of their own customer's projects.
const taskVisible = `($2::uuid IS NULL OR (p.customer_id = $2 AND t.visibility = 'customer'))`

func scanTask(row pgx.Row) (*onboardiq.Task, error) {
	t := &onboardiq.Task{}
	err := row.Scan(&t.TenantID, &t.ID, &t.ProjectID, &t.CustomerID, &t.Description, &t.Details, &t.AssignedTo,
		&t.Status, &t.Phase, &t.Position, &t.StartAt, &t.DueAt, &t.Visibility, &t.BlockedReason, &t.CompletedAt, &t.CreatedAt, &t.UpdatedAt, &t.CustomerSide, &t.CompletedBy)
	return t, err
}

func getTask(ctx context.Context, tx *Tx, p *onboardiq.Principal, id uuid.UUID, lock bool) (*onboardiq.Task, error) {
	q := `SELECT ` + taskColumns + taskFrom + `WHERE t.tenant_id = $1 AND ` + taskVisible + ` AND t.task_id = $3`
	if lock {
		q += ` FOR UPDATE OF t`
	}
	t, err := scanTask(tx.QueryRow(ctx, q, tx.TenantID(), contactCustomer(p), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "task not found")
	}
	return t, err
}

// checkAssignee returns EINVALID unless user may hold a task of customer's
// project: one of that customer's contacts, or an active support member.
func checkAssignee(ctx context.Context, tx *Tx, customerID, userID uuid.UUID) error {
	var ok bool
	err := tx.QueryRow(ctx, `
SELECT EXISTS (
    SELECT FROM tenant_users u
    WHERE u.tenant_id = $1 AND u.user_id = $2 AND u.disabled_at IS NULL
      AND (u.customer_id = $3 OR EXISTS (
          SELECT FROM support_members s WHERE s.tenant_id = $1 AND s.support_member_id = u.user_id AND s.active)))`,
		tx.TenantID(), userID, customerID).Scan(&ok)
	if err != nil {
		return fmt.Errorf("check assignee: %w", err)
	}
	if !ok {
		return onboardiq.Invalid("assigned_to", "must be a contact of the project's customer or a support member of this workspace")
	}
	return nil
}

// CreateTask adds a task to a project (admin or csm). Unset fields take
// their defaults: not started, visible to the customer, after the
// project's last task.
func (db *DB) CreateTask(ctx context.Context, projectID uuid.UUID, in onboardiq.TaskPatch) (*onboardiq.Task, error) {
	var t *onboardiq.Task
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		var err error
		t, err = createTask(ctx, tx, p, projectID, in)
		return err
	})
	return t, err
}

// createTask adds a task to a project as p, in tx.
func createTask(ctx context.Context, tx *Tx, p *onboardiq.Principal, projectID uuid.UUID, in onboardiq.TaskPatch) (*onboardiq.Task, error) {
	pr, err := getProject(ctx, tx, p, projectID, true)
	if err != nil {
		return nil, err
	}
	if err := p.Check(onboardiq.EditTasks); err != nil {
		return nil, err
	}
	if err := checkTasksMayChange(pr); err != nil {
		return nil, err
	}
	draft := &onboardiq.Task{ProjectID: pr.ID, CustomerID: pr.CustomerID, Status: onboardiq.StatusNotStarted, Visibility: onboardiq.VisibilityCustomer}
	if !in.Position.Set {
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(position) + 1, 0) FROM tasks WHERE tenant_id = $1 AND project_id = $2`,
			tx.TenantID(), pr.ID).Scan(&draft.Position); err != nil {
			return nil, err
		}
	}
	if err := in.Apply(draft, time.Now()); err != nil {
		return nil, err
	}
	if draft.AssignedTo != nil {
		if err := checkAssignee(ctx, tx, pr.CustomerID, *draft.AssignedTo); err != nil {
			return nil, err
		}
	}
	var id uuid.UUID
	err = tx.QueryRow(ctx, `
INSERT INTO tasks (tenant_id, project_id, description, details, assigned_to, status, phase, position, start_at, due_at, visibility, blocked_reason, completed_at, completed_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
RETURNING task_id`, tx.TenantID(), pr.ID, draft.Description, draft.Details, draft.AssignedTo, draft.Status, draft.Phase,
		draft.Position, draft.StartAt, draft.DueAt, draft.Visibility, draft.BlockedReason, draft.CompletedAt, completer(p, draft)).Scan(&id)
	if err != nil {
		return nil, fmt.Errorf("insert task: %w", err)
	}
	t, err := getTask(ctx, tx, p, id, false)
	if err != nil {
		return nil, err
	}
	if in.DependsOn.Set && len(in.DependsOn.Value) > 0 {
		if _, _, _, err := setDependencies(ctx, tx, t, in.DependsOn.Value); err != nil {
			return nil, err
		}
	}
	if err := tx.fillDependencies(ctx, []*onboardiq.Task{t}); err != nil {
		return nil, err
	}
	if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTaskCreated, CustomerID: &pr.CustomerID, ProjectID: &pr.ID, TaskID: &t.ID,
		Data: map[string]any{"description": t.Description, "status": t.Status, "depends_on": t.DependsOn}}); err != nil {
		return nil, err
	}
	if err := enqueueEmbed(ctx, tx, EntityTask, t.ID); err != nil {
		return nil, err
	}
	return t, tx.RefreshProject(ctx, pr.ID)
}

// GetTask returns a task the caller may see, with its predecessors.
func (db *DB) GetTask(ctx context.Context, id uuid.UUID) (*onboardiq.Task, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.Task, error) {
		t, err := getTask(ctx, tx, p, id, false)
		if err != nil {
			return nil, err
		}
		return t, tx.fillDependencies(ctx, []*onboardiq.Task{t})
	})
}

// TaskFilter narrows ListTasks.
type TaskFilter struct {
	onboardiq.ListOptions
	AssignedTo *uuid.UUID
	Status     onboardiq.Status
}

// ListTasks lists the tasks of a project the caller may see, in plan order
// (a contact sees only the tasks visible to customers).
func (db *DB) ListTasks(ctx context.Context, projectID uuid.UUID, f TaskFilter) (onboardiq.Page[*onboardiq.Task], error) {
	var out onboardiq.Page[*onboardiq.Task]
	o := &f.ListOptions
	if err := o.Normalise(); err != nil {
		return out, err
	}
	if f.Status != "" && !f.Status.Valid() {
		return out, onboardiq.Invalid("status", "must be one of not_started, in_progress, blocked, completed, cancelled")
	}
	afterPos, afterID := -1, uuid.Nil
	if o.Cursor != "" {
		if err := decodeCursor(o.Cursor, &afterPos, &afterID); err != nil {
			return out, err
		}
	}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if _, err := getProject(ctx, tx, p, projectID, false); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+taskColumns+taskFrom+`
WHERE t.tenant_id = $1 AND `+taskVisible+` AND t.project_id = $3 AND (t.position, t.task_id) > ($4, $5)
  AND ($7::uuid IS NULL OR t.assigned_to = $7) AND ($8::text = '' OR t.status = $8)
ORDER BY t.position, t.task_id LIMIT $6`, tx.TenantID(), contactCustomer(p), projectID, afterPos, afterID, o.Limit+1, f.AssignedTo, f.Status)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Task, error) { return scanTask(r) })
		if err != nil {
			return err
		}
		out = page(items, o.Limit, func(t *onboardiq.Task) []any { return []any{t.Position, t.ID} })
		return tx.fillDependencies(ctx, out.Items)
	})
	return out, err
}

var taskFields = []string{"description", "details", "assigned_to", "status", "phase", "position", "start_at", "due_at", "visibility", "blocked_reason"}

// UpdateTask changes a task. Admins and CSMs may change any field; a
// customer contact may change only the status (and blocked reason) of an
// open task assigned to one of their company's contacts, or reopen a task
// they completed (onboardiq.CanChangeTaskStatus). The project's progress
// and status follow in the same transaction.
func (db *DB) UpdateTask(ctx context.Context, id uuid.UUID, patch onboardiq.TaskPatch) (*onboardiq.Task, error) {
	t, _, err := db.UpdateTaskAndDependents(ctx, id, patch)
	return t, err
}

// UpdateTaskAndDependents is UpdateTask that also says which tasks moved
// with it: with patch.ShiftDependents, when the due date moves by N working
// days, the unfinished tasks waiting on this one move by N working days too
// (shiftDependents), in the same transaction.
func (db *DB) UpdateTaskAndDependents(ctx context.Context, id uuid.UUID, patch onboardiq.TaskPatch) (*onboardiq.Task, []onboardiq.TaskRef, error) {
	var (
		t       *onboardiq.Task
		shifted []onboardiq.TaskRef
	)
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		var err error
		t, shifted, err = updateTask(ctx, tx, p, id, patch)
		return err
	})
	return t, shifted, err
}

// updateTask is UpdateTaskAndDependents in tx, as p (ApplyReply shares it).
func updateTask(ctx context.Context, tx *Tx, p *onboardiq.Principal, id uuid.UUID, patch onboardiq.TaskPatch) (t *onboardiq.Task, shifted []onboardiq.TaskRef, err error) {
	// Find the project first and lock it before the task: every
	// change to a project's tasks takes the two locks in this order.
	found, err := getTask(ctx, tx, p, id, false)
	if err != nil {
		return nil, nil, err
	}
	if !p.IsCustomer() {
		if err := p.Check(onboardiq.EditTasks); err != nil {
			return nil, nil, err
		}
	} else if !patch.OnlyStatus() {
		return nil, nil, onboardiq.Errorf(onboardiq.EFORBIDDEN, "a customer contact may change only a task's status")
	}
	pr, err := getProject(ctx, tx, p, found.ProjectID, true)
	if err != nil {
		return nil, nil, err
	}
	if err := checkTasksMayChange(pr); err != nil {
		return nil, nil, err
	}
	before, err := getTask(ctx, tx, p, id, true)
	if err != nil {
		return nil, nil, err
	}
	if p.IsCustomer() && !onboardiq.CanChangeTaskStatus(p, before) {
		return nil, nil, onboardiq.Errorf(onboardiq.EFORBIDDEN, "you may change only the open tasks assigned to your company's contacts, and reopen the tasks you completed")
	}
	if p.IsCustomer() && patch.Status.Set && !onboardiq.ContactMaySetStatus(patch.Status.Value) {
		return nil, nil, onboardiq.Errorf(onboardiq.EFORBIDDEN, "a customer contact may not cancel a task; ask your support team")
	}
	var changed bool
	if t, changed, err = changeTask(ctx, tx, p, before, patch, time.Now()); err != nil || !changed {
		return t, nil, err
	}
	// What waits on it moves after it, each with its own event.
	if patch.ShiftDependents && before.DueAt != nil && t.DueAt != nil && !before.DueAt.Equal(*t.DueAt) {
		cal, err := loadCalendar(ctx, tx)
		if err != nil {
			return nil, nil, err
		}
		if shifted, err = shiftDependents(ctx, tx, cal, t, cal.WorkdaysBetween(before.DueAt.UTC(), t.DueAt.UTC())); err != nil {
			return nil, nil, err
		}
	}
	return t, shifted, tx.RefreshProject(ctx, t.ProjectID)
}

// changeTask applies patch to before, saves the task and records the change:
// the core of UpdateTask, which BulkUpdateTasks and MoveTask share. The
// caller has checked the caller's permission, holds the project's lock and
// then the task's (before is read under it), and refreshes the project when
// changed. It returns the task as saved and whether anything changed.
func changeTask(ctx context.Context, tx *Tx, p *onboardiq.Principal, before *onboardiq.Task, patch onboardiq.TaskPatch, now time.Time) (t *onboardiq.Task, changed bool, err error) {
	id := before.ID
	after := *before
	if err := patch.Apply(&after, now); err != nil {
		return nil, false, err
	}
	if after.AssignedTo != nil && (before.AssignedTo == nil || *after.AssignedTo != *before.AssignedTo) {
		if err := checkAssignee(ctx, tx, before.CustomerID, *after.AssignedTo); err != nil {
			return nil, false, err
		}
	}
	_, err = tx.Exec(ctx, `
UPDATE tasks SET description = $3, details = $4, assigned_to = $5, status = $6, phase = $7, position = $8,
    start_at = $14, due_at = $9, visibility = $10, blocked_reason = $11, completed_at = $12, completed_by = $13, updated_at = now()
WHERE tenant_id = $1 AND task_id = $2`, tx.TenantID(), id, after.Description, after.Details, after.AssignedTo, after.Status,
		after.Phase, after.Position, after.DueAt, after.Visibility, after.BlockedReason, after.CompletedAt, completer(p, &after), after.StartAt)
	if err != nil {
		return nil, false, fmt.Errorf("update task: %w", err)
	}
	if t, err = getTask(ctx, tx, p, id, false); err != nil {
		return nil, false, err
	}
	ch := changes(before, t, taskFields...)
	if patch.DependsOn.Set {
		from, to, changed, err := setDependencies(ctx, tx, t, patch.DependsOn.Value)
		if err != nil {
			return nil, false, err
		}
		if changed {
			ch["depends_on"] = map[string]any{"from": from, "to": to}
		}
	}
	if err := tx.fillDependencies(ctx, []*onboardiq.Task{t}); err != nil {
		return nil, false, err
	}
	if len(ch) == 0 {
		return t, false, nil
	}
	if before.Description != t.Description || before.Details != t.Details {
		if err := enqueueEmbed(ctx, tx, EntityTask, t.ID); err != nil {
			return nil, false, err
		}
	}
	kind := onboardiq.EventTaskUpdated
	switch {
	case before.Status == t.Status:
	case t.Status == onboardiq.StatusCompleted:
		kind = onboardiq.EventTaskCompleted
	case t.Status == onboardiq.StatusBlocked:
		kind = onboardiq.EventTaskBlocked
	case before.Status == onboardiq.StatusCompleted:
		kind = onboardiq.EventTaskReopened
	default:
		kind = onboardiq.EventTaskStatusChanged
	}
	if err := tx.Emit(ctx, onboardiq.Event{Kind: kind, CustomerID: &t.CustomerID, ProjectID: &t.ProjectID, TaskID: &t.ID,
		Changes: ch, Data: map[string]any{"description": t.Description, "status": t.Status, "blocked_reason": t.BlockedReason}}); err != nil {
		return nil, false, err
	}
	return t, true, nil
}

// completer is who to record as having completed t: whoever changed it to
// completed (p), or who did before when it stays so, and nobody once it is
// open again.
func completer(p *onboardiq.Principal, t *onboardiq.Task) *uuid.UUID {
	switch {
	case t.Status != onboardiq.StatusCompleted:
		return nil
	case t.CompletedBy != nil:
		return t.CompletedBy
	}
	return p.Actor()
}

// lockTaskProject finds a task for a change by staff who may edit tasks,
// and locks its project (every change to a project's tasks takes the
// project's lock first), refusing the tasks of a cancelled project.
func lockTaskProject(ctx context.Context, tx *Tx, p *onboardiq.Principal, id uuid.UUID) (*onboardiq.Task, *onboardiq.Project, error) {
	t, err := getTask(ctx, tx, p, id, false)
	if err != nil {
		return nil, nil, err
	}
	if err := p.Check(onboardiq.EditTasks); err != nil {
		return nil, nil, err
	}
	pr, err := getProject(ctx, tx, p, t.ProjectID, true)
	if err != nil {
		return nil, nil, err
	}
	return t, pr, checkTasksMayChange(pr)
}

// DeleteTask deletes a task (admin or csm); the project's progress follows.
func (db *DB) DeleteTask(ctx context.Context, id uuid.UUID) error {
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		t, _, err := lockTaskProject(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := clearReferences(ctx, tx, []string{`UPDATE assistant_conversations SET task_id = NULL WHERE tenant_id = $1 AND task_id = $2`}, tx.TenantID(), id); err != nil {
			return fmt.Errorf("delete task: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tasks WHERE tenant_id = $1 AND task_id = $2`, tx.TenantID(), id); err != nil {
			return fmt.Errorf("delete task: %w", err)
		}
		if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTaskDeleted, CustomerID: &t.CustomerID, ProjectID: &t.ProjectID, TaskID: &t.ID,
			Data: map[string]any{"description": t.Description}}); err != nil {
			return err
		}
		return tx.RefreshProject(ctx, t.ProjectID)
	})
}
