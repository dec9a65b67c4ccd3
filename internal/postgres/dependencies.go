package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/schedule"
)

// Task dependencies (docs/decisions/0011-dependencies.md): finish-to-start
// between tasks of one project. The store keeps both ends in the same
// project and the graph without cycles; every writer holds the project's
// lock (UpdateTask, CreateTask), so two changes cannot each add half of a
// cycle.

// projectGraph is a project's tasks, in plan order, with their
// predecessors: what a change to dependencies is checked against and what
// shifting walks.
type projectGraph struct {
	order []uuid.UUID
	tasks map[uuid.UUID]*graphTask
}

type graphTask struct {
	ref                   onboardiq.TaskRef
	status                onboardiq.Status
	startAt, dueAt        *time.Time
	dependsOn             []uuid.UUID
	blockedReason         *string
	customerID, projectID uuid.UUID
}

func (g *projectGraph) dependsOn(id uuid.UUID) []uuid.UUID {
	if t := g.tasks[id]; t != nil {
		return t.dependsOn
	}
	return nil
}

// loadProjectGraph reads a project's tasks and dependencies in one round
// trip.
func loadProjectGraph(ctx context.Context, tx *Tx, projectID uuid.UUID) (*projectGraph, error) {
	b := &pgx.Batch{}
	g := queueProjectGraph(b, tx, projectID)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("project dependencies: %w", err)
	}
	return g, nil
}

// queueProjectGraph queues the reads of a project's graph on b; the graph
// is whole once b has been sent.
func queueProjectGraph(b *pgx.Batch, tx *Tx, projectID uuid.UUID) *projectGraph {
	g := &projectGraph{tasks: map[uuid.UUID]*graphTask{}}
	b.Queue(`
SELECT t.task_id, t.description, t.status, t.start_at, t.due_at, t.blocked_reason, p.customer_id
FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
WHERE t.tenant_id = $1 AND t.project_id = $2
ORDER BY t.position, t.task_id`, tx.TenantID(), projectID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			t := &graphTask{projectID: projectID}
			if err := rows.Scan(&t.ref.ID, &t.ref.Description, &t.status, &t.startAt, &t.dueAt, &t.blockedReason, &t.customerID); err != nil {
				return err
			}
			g.order = append(g.order, t.ref.ID)
			g.tasks[t.ref.ID] = t
		}
		return rows.Err()
	})
	b.Queue(`
SELECT d.task_id, d.depends_on_task_id
FROM task_dependencies d
JOIN tasks t ON t.tenant_id = d.tenant_id AND t.task_id = d.task_id
JOIN tasks pre ON pre.tenant_id = d.tenant_id AND pre.task_id = d.depends_on_task_id
WHERE d.tenant_id = $1 AND t.project_id = $2
ORDER BY pre.position, pre.task_id`, tx.TenantID(), projectID).Query(func(rows pgx.Rows) error {
		var id, pre uuid.UUID
		_, err := pgx.ForEachRow(rows, []any{&id, &pre}, func() error {
			if t := g.tasks[id]; t != nil {
				t.dependsOn = append(t.dependsOn, pre)
			}
			return nil
		})
		return err
	})
	return g
}

// toShift lists, in the order they move, the tasks that moving from's due
// date with its dependents moves: the unfinished tasks waiting on it
// directly or through other unfinished tasks, that have a date to move.
func (g *projectGraph) toShift(from uuid.UUID) []uuid.UUID {
	var nodes []uuid.UUID
	for _, id := range g.order {
		if id == from || !g.tasks[id].status.Finished() {
			nodes = append(nodes, id)
		}
	}
	var out []uuid.UUID
	for _, id := range schedule.Dependents(nodes, g.dependsOn, from) {
		if t := g.tasks[id]; t.startAt != nil || t.dueAt != nil {
			out = append(out, id)
		}
	}
	return out
}

// waitingOn lists the tasks that wait on id directly, in plan order.
func (g *projectGraph) waitingOn(id uuid.UUID) []uuid.UUID {
	var out []uuid.UUID
	for _, x := range g.order {
		if slices.Contains(g.tasks[x].dependsOn, id) {
			out = append(out, x)
		}
	}
	return out
}

// setDependencies replaces the predecessors of task t with ids: tasks of
// its own project that do not, directly or not, wait on t. It returns the
// predecessors before and after, in plan order, and whether they changed.
// The caller holds the project's lock.
func setDependencies(ctx context.Context, tx *Tx, t *onboardiq.Task, ids []uuid.UUID) (from, to []uuid.UUID, changed bool, err error) {
	ids, err = onboardiq.CheckDependsOn(t.ID, ids)
	if err != nil {
		return nil, nil, false, err
	}
	g, err := loadProjectGraph(ctx, tx, t.ProjectID)
	if err != nil {
		return nil, nil, false, err
	}
	self := g.tasks[t.ID]
	if self == nil {
		return nil, nil, false, onboardiq.Errorf(onboardiq.ENOTFOUND, "task not found")
	}
	for _, id := range ids {
		if g.tasks[id] == nil {
			return nil, nil, false, onboardiq.Invalid("depends_on", "%s is not a task of this project", id)
		}
	}
	// Sets compare regardless of order; the graph keeps plan order.
	inPlanOrder := func(xs []uuid.UUID) []uuid.UUID {
		out := slices.Clone(xs)
		pos := make(map[uuid.UUID]int, len(g.order))
		for i, id := range g.order {
			pos[id] = i
		}
		slices.SortFunc(out, func(a, b uuid.UUID) int { return pos[a] - pos[b] })
		return out
	}
	from, to = inPlanOrder(self.dependsOn), inPlanOrder(ids)
	if slices.Equal(from, to) {
		return from, to, false, nil
	}
	self.dependsOn = to
	if cycle := schedule.FindCycle(g.order, g.dependsOn); cycle != nil {
		// The graph had none before, so the cycle runs through t: name
		// it from t.
		if i := slices.Index(cycle, t.ID); i > 0 {
			cycle = append(cycle[i:], cycle[:i]...)
		}
		names := make([]string, len(cycle))
		for i, id := range cycle {
			names[i] = g.tasks[id].ref.Description
		}
		return nil, nil, false, onboardiq.CycleError(names)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM task_dependencies WHERE tenant_id = $1 AND task_id = $2 AND NOT (depends_on_task_id = ANY ($3))`,
		tx.TenantID(), t.ID, to); err != nil {
		return nil, nil, false, fmt.Errorf("set dependencies: %w", err)
	}
	if len(to) > 0 {
		if _, err := tx.Exec(ctx, `
INSERT INTO task_dependencies (tenant_id, task_id, depends_on_task_id)
SELECT $1, $2, d FROM unnest($3::uuid[]) AS d
ON CONFLICT DO NOTHING
RETURNING 1`, tx.TenantID(), t.ID, to); err != nil {
			return nil, nil, false, fmt.Errorf("set dependencies: %w", err)
		}
	}
	return from, to, true, nil
}

// shiftDependents moves the unfinished tasks that wait on from, directly or
// through other unfinished tasks, by n working days (start and due; a date
// not set stays unset), each change an event, and returns the tasks moved in
// the order they were moved. A finished task ends the walk: what waits on it
// is no longer held up by from. The caller holds the project's lock.
func shiftDependents(ctx context.Context, tx *Tx, cal schedule.Calendar, from *onboardiq.Task, n int) ([]onboardiq.TaskRef, error) {
	if n == 0 {
		return nil, nil
	}
	g, err := loadProjectGraph(ctx, tx, from.ProjectID)
	if err != nil {
		return nil, err
	}
	var (
		moved         []onboardiq.TaskRef
		ids           []uuid.UUID
		starts, dues  []*time.Time
		before, after []*onboardiq.Task
	)
	for _, id := range g.toShift(from.ID) {
		t := g.tasks[id]
		b := &onboardiq.Task{StartAt: t.startAt, DueAt: t.dueAt}
		a := &onboardiq.Task{StartAt: shiftTime(cal, t.startAt, n), DueAt: shiftTime(cal, t.dueAt, n)}
		moved = append(moved, t.ref)
		ids, starts, dues = append(ids, id), append(starts, a.StartAt), append(dues, a.DueAt)
		before, after = append(before, b), append(after, a)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if _, err := tx.Exec(ctx, `
UPDATE tasks t SET start_at = s.start_at, due_at = s.due_at, updated_at = now()
FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS s(task_id, start_at, due_at)
WHERE t.tenant_id = $1 AND t.task_id = s.task_id`, tx.TenantID(), ids, starts, dues); err != nil {
		return nil, fmt.Errorf("shift dependents: %w", err)
	}
	for i, id := range ids {
		t := g.tasks[id]
		if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTaskUpdated, CustomerID: &t.customerID, ProjectID: &t.projectID, TaskID: &t.ref.ID,
			Changes: changes(before[i], after[i], "start_at", "due_at"),
			Data: map[string]any{"description": t.ref.Description, "status": t.status, "blocked_reason": t.blockedReason,
				"moved_with": onboardiq.TaskRef{ID: from.ID, Description: from.Description}, "working_days": n}}); err != nil {
			return nil, err
		}
	}
	return moved, nil
}

// shiftTime moves t by n working days; nil stays nil.
func shiftTime(cal schedule.Calendar, t *time.Time, n int) *time.Time {
	if t == nil {
		return nil
	}
	v := addWorkdays(cal, *t, n)
	return &v
}

// fillDependencies sets DependsOn and WaitingOn of tasks (read in the
// caller's view) in one query. A customer contact sees only the
// predecessors visible to customers, as they see tasks.
func (tx *Tx) fillDependencies(ctx context.Context, tasks []*onboardiq.Task) error {
	if len(tasks) == 0 {
		return nil
	}
	byID := make(map[uuid.UUID]*onboardiq.Task, len(tasks))
	ids := make([]uuid.UUID, 0, len(tasks))
	for _, t := range tasks {
		t.DependsOn, t.WaitingOn = []uuid.UUID{}, nil
		byID[t.ID] = t
		ids = append(ids, t.ID)
	}
	// No caller (never on a page or in the API) sees no predecessor.
	contact := &uuid.Nil
	if p, err := caller(ctx); err == nil {
		contact = contactCustomer(p)
	}
	rows, err := tx.Query(ctx, `
SELECT d.task_id, t.task_id, t.description, t.status`+taskWithProject+`
JOIN task_dependencies d ON d.tenant_id = t.tenant_id AND d.depends_on_task_id = t.task_id
WHERE t.tenant_id = $1 AND `+taskVisible+` AND d.task_id = ANY ($3)
ORDER BY t.position, t.task_id`, tx.TenantID(), contact, ids)
	if err != nil {
		return fmt.Errorf("task dependencies: %w", err)
	}
	var (
		of     uuid.UUID
		pre    onboardiq.TaskRef
		status onboardiq.Status
	)
	_, err = pgx.ForEachRow(rows, []any{&of, &pre.ID, &pre.Description, &status}, func() error {
		t := byID[of]
		t.DependsOn = append(t.DependsOn, pre.ID)
		if !status.Finished() {
			t.WaitingOn = append(t.WaitingOn, pre)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("task dependencies: %w", err)
	}
	return nil
}
