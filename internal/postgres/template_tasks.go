package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// Writing a template's tasks: in place for the ids it keeps, set-based.

// positionShift moves a template's kept tasks out of the way of the
// positions they are given (UNIQUE (tenant_id, template_id, position) is
// checked row by row): above any position a template can hold.
const positionShift = 1_000_000

// writeTemplateTasks makes the tasks of template id those of tasks (valid,
// each with an id), given its tasks before (none for a new template): those
// with an id of before are updated in place, the others inserted, and the
// tasks of before left out deleted (their dependencies with them); the
// positions follow the order of tasks, and the dependencies are written
// anew.
func writeTemplateTasks(ctx context.Context, tx *Tx, id uuid.UUID, before, tasks []onboardiq.TemplateTask) error {
	tenant := tx.TenantID()
	had := make(map[uuid.UUID]bool, len(before))
	for _, pt := range before {
		had[pt.ID] = true
	}
	var kept, added []int // indexes into tasks
	var keptIDs, addedIDs []uuid.UUID
	for i, pt := range tasks {
		if had[pt.ID] {
			kept, keptIDs = append(kept, i), append(keptIDs, pt.ID)
		} else {
			added, addedIDs = append(added, i), append(addedIDs, pt.ID)
		}
	}
	// A new id must be new to the tenant: an id of another template's task
	// would move that task here.
	if len(addedIDs) > 0 {
		rows, err := tx.Query(ctx, `SELECT template_task_id FROM template_tasks WHERE tenant_id = $1 AND template_task_id = ANY($2)`, tenant, addedIDs)
		if err != nil {
			return fmt.Errorf("check template task ids: %w", err)
		}
		taken, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return fmt.Errorf("check template task ids: %w", err)
		}
		for _, i := range added {
			for _, t := range taken {
				if tasks[i].ID == t {
					return onboardiq.Invalid("tasks["+strconv.Itoa(i)+"].id", "is the id of another template's task")
				}
			}
		}
	}
	if len(before) > 0 {
		if keptIDs == nil {
			keptIDs = []uuid.UUID{}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM template_tasks WHERE tenant_id = $1 AND template_id = $2 AND template_task_id <> ALL ($3)`,
			tenant, id, keptIDs); err != nil {
			return fmt.Errorf("delete template tasks: %w", err)
		}
	}
	if len(kept) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE template_tasks SET position = position + $3 WHERE tenant_id = $1 AND template_id = $2`,
			tenant, id, positionShift); err != nil {
			return fmt.Errorf("move template tasks: %w", err)
		}
		c := columnsOf(tasks, kept)
		if _, err := tx.Exec(ctx, `
UPDATE template_tasks tt
SET position = u.position, phase = u.phase, description = u.description, details = u.details,
    offset_days = u.offset_days, duration_days = u.duration_days, side = u.side, visibility = u.visibility
FROM unnest($3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[], $10::text[], $11::text[])
     AS u(id, position, phase, description, details, offset_days, duration_days, side, visibility)
WHERE tt.tenant_id = $1 AND tt.template_id = $2 AND tt.template_task_id = u.id`,
			tenant, id, c.ids, c.positions, c.phases, c.descs, c.details, c.offsets, c.durations, c.sides, c.vis); err != nil {
			return fmt.Errorf("update template tasks: %w", err)
		}
	}
	if len(added) > 0 {
		c := columnsOf(tasks, added)
		// RETURNING: an INSERT … SELECT without it goes through COPY on
		// Citus, which row-level security refuses.
		rows, err := tx.Query(ctx, `
INSERT INTO template_tasks (tenant_id, template_id, template_task_id, position, phase, description, details, offset_days, duration_days, side, visibility)
SELECT $1, $2, u.id, u.position, u.phase, u.description, u.details, u.offset_days, u.duration_days, u.side, u.visibility
FROM unnest($3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[], $10::text[], $11::text[])
     AS u(id, position, phase, description, details, offset_days, duration_days, side, visibility)
RETURNING template_task_id`,
			tenant, id, c.ids, c.positions, c.phases, c.descs, c.details, c.offsets, c.durations, c.sides, c.vis)
		if err == nil {
			_, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		}
		if err != nil {
			return fmt.Errorf("insert template tasks: %w", err)
		}
	}
	return writeTemplateDependencies(ctx, tx, keptIDs, tasks)
}

// writeTemplateDependencies replaces the dependencies of the template's
// kept tasks (a new task has none yet) with those of tasks.
func writeTemplateDependencies(ctx context.Context, tx *Tx, kept []uuid.UUID, tasks []onboardiq.TemplateTask) error {
	if len(kept) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM template_task_dependencies WHERE tenant_id = $1 AND template_task_id = ANY($2)`,
			tx.TenantID(), kept); err != nil {
			return fmt.Errorf("delete template task dependencies: %w", err)
		}
	}
	var from, to []uuid.UUID
	for _, pt := range tasks {
		for _, d := range pt.DependsOn {
			from, to = append(from, pt.ID), append(to, d)
		}
	}
	if len(from) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `
INSERT INTO template_task_dependencies (tenant_id, template_task_id, depends_on_template_task_id)
SELECT $1, d.task, d.depends_on FROM unnest($2::uuid[], $3::uuid[]) AS d(task, depends_on)
RETURNING template_task_id`, tx.TenantID(), from, to)
	if err == nil {
		_, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	}
	if err != nil {
		return fmt.Errorf("insert template task dependencies: %w", err)
	}
	return nil
}

// templateTaskColumns are template tasks as columns, for unnest.
type templateTaskColumns struct {
	ids                                []uuid.UUID
	positions, offsets, durations      []int32
	phases, descs, details, sides, vis []string
}

// columnsOf turns the tasks at the indexes which into columns; a task's
// position is its index.
func columnsOf(tasks []onboardiq.TemplateTask, which []int) templateTaskColumns {
	var c templateTaskColumns
	for _, i := range which {
		t := tasks[i]
		c.ids = append(c.ids, t.ID)
		c.positions, c.offsets, c.durations = append(c.positions, int32(i)), append(c.offsets, int32(t.OffsetDays)), append(c.durations, int32(t.DurationDays))
		c.phases, c.descs, c.details = append(c.phases, t.Phase), append(c.descs, t.Description), append(c.details, t.Details)
		c.sides, c.vis = append(c.sides, t.Side), append(c.vis, string(t.Visibility))
	}
	return c
}

// taskChanges sums up what an update did to a template's tasks, for the
// log: the titles of the tasks added and removed, and how many others
// changed.
func taskChanges(before, after []onboardiq.TemplateTask) map[string]any {
	old := make(map[uuid.UUID]onboardiq.TemplateTask, len(before))
	for _, pt := range before {
		old[pt.ID] = pt
	}
	added, removed, changed := []string{}, []string{}, 0
	for i, pt := range after {
		was, ok := old[pt.ID]
		if !ok {
			added = append(added, pt.Description)
			continue
		}
		delete(old, pt.ID)
		if i >= len(before) || before[i].ID != pt.ID || !sameTask(was, pt) {
			changed++
		}
	}
	for _, pt := range before {
		if _, gone := old[pt.ID]; gone {
			removed = append(removed, pt.Description)
		}
	}
	return map[string]any{"from": len(before), "to": len(after), "added": added, "removed": removed, "changed": changed}
}

func sameTask(a, b onboardiq.TemplateTask) bool {
	if a.Phase != b.Phase || a.Description != b.Description || a.Details != b.Details || a.OffsetDays != b.OffsetDays ||
		a.DurationDays != b.DurationDays || a.Side != b.Side || a.Visibility != b.Visibility || len(a.DependsOn) != len(b.DependsOn) {
		return false
	}
	for i := range a.DependsOn {
		if a.DependsOn[i] != b.DependsOn[i] {
			return false
		}
	}
	return true
}
