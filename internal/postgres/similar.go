package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// embedded is true for an item whose embedding has been made: a vector, or
// none because its text has no words (StoreEmbedding keeps the hash).
const embedded = `(vector_embedding IS NOT NULL OR embedding_hash IS NOT NULL)`

// FindSimilarProjects lists the tenant's completed projects most like a
// project, by embedding (staff only).
func (db *DB) FindSimilarProjects(ctx context.Context, id uuid.UUID, limit int) (onboardiq.Similar[onboardiq.SimilarProject], error) {
	out := onboardiq.Similar[onboardiq.SimilarProject]{Items: []onboardiq.SimilarProject{}}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if _, err := getProject(ctx, tx, p, id, false); err != nil {
			return err
		}
		if err := p.Check(onboardiq.UseStaffAI); err != nil {
			return err
		}
		if err := enableIterativeScan(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, similarProjectsQuery, tx.TenantID(), id, limit)
		if err != nil {
			return fmt.Errorf("similar projects: %w", err)
		}
		items, err := pgx.CollectRows(rows, scanSimilarProject)
		if err != nil {
			return err
		}
		if len(items) > 0 {
			out.Items, out.Ready = items, true
			return nil
		}
		return tx.QueryRow(ctx, `SELECT `+embedded+` FROM projects WHERE tenant_id = $1 AND project_id = $2`, tx.TenantID(), id).Scan(&out.Ready)
	})
	return out, err
}

// similarProjectsQuery finds, in the tenant ($1), the $3 completed projects
// nearest to project $2, with their tasks that finished late. Run it after
// enableIterativeScan, in the same transaction.
const similarProjectsQuery = `
WITH me AS (SELECT vector_embedding AS v, embedding_model AS m FROM projects WHERE tenant_id = $1 AND project_id = $2),
near AS MATERIALIZED (
    SELECT p.project_id, p.name, p.customer_id, p.start_date, p.deadline, p.completed_at, p.vector_embedding <=> me.v AS distance
    FROM projects p, me
    WHERE p.tenant_id = $1 AND p.project_id <> $2 AND p.status = 'completed' AND me.v IS NOT NULL
      AND p.embedding_model = me.m
    ORDER BY p.vector_embedding <=> me.v
    LIMIT $3
)
SELECT n.project_id, n.name, n.customer_id, 1 - n.distance,
       extract(epoch FROM n.completed_at - n.start_date) / 86400,
       n.deadline, n.completed_at,
       greatest(0, coalesce(extract(epoch FROM n.completed_at - n.deadline) / 86400, 0)),
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', t.task_id, 'description', t.description,
                     'days_late', round((extract(epoch FROM t.completed_at - t.due_at) / 86400)::numeric, 1))
                     ORDER BY t.completed_at - t.due_at DESC)
                 FROM tasks t WHERE t.tenant_id = $1 AND t.project_id = n.project_id AND t.completed_at > t.due_at + interval '1 hour'), '[]')
FROM near n WHERE n.distance ` + notNaN + ` ORDER BY n.distance`

func scanSimilarProject(row pgx.CollectableRow) (onboardiq.SimilarProject, error) {
	var s onboardiq.SimilarProject
	err := row.Scan(&s.ID, &s.Name, &s.CustomerID, &s.Similarity, &s.DurationDays, &s.Deadline, &s.CompletedAt, &s.DaysLate, &s.LateTasks)
	return s, err
}

// similarTasksQuery finds, in the tenant ($1), the tasks of other projects
// nearest to task $2, with their comments; $4 limits it to customer-visible
// tasks.
const similarTasksQuery = `
WITH me AS (SELECT vector_embedding AS v, embedding_model AS m, project_id FROM tasks WHERE tenant_id = $1 AND task_id = $2),
near AS MATERIALIZED (
    SELECT t.task_id, t.project_id, t.description, t.status, t.completed_at, t.due_at, t.blocked_reason,
           t.vector_embedding <=> me.v AS distance
    FROM tasks t, me
    WHERE t.tenant_id = $1 AND t.project_id <> me.project_id AND me.v IS NOT NULL AND t.embedding_model = me.m
      AND (NOT $4 OR t.visibility = 'customer')
    ORDER BY t.vector_embedding <=> me.v
    LIMIT $3
)
SELECT n.task_id, n.project_id, p.name, n.description, n.status, 1 - n.distance,
       extract(epoch FROM n.completed_at - p.start_date) / 86400,
       extract(epoch FROM n.completed_at - n.due_at) / 86400,
       n.blocked_reason,
       coalesce((SELECT jsonb_agg(jsonb_build_object('author', coalesce(u.name, 'OnboardIQ'), 'body', e.data->>'body', 'at', e.occurred_at) ORDER BY e.event_id)
                 FROM events e LEFT JOIN tenant_users u ON u.tenant_id = e.tenant_id AND u.user_id = e.actor_user_id
                 WHERE e.tenant_id = $1 AND e.task_id = n.task_id AND e.kind = 'task.commented'), '[]')
FROM near n JOIN projects p ON p.tenant_id = $1 AND p.project_id = n.project_id
WHERE n.distance ` + notNaN + `
ORDER BY n.distance`

func querySimilarTasks(ctx context.Context, tx *Tx, id uuid.UUID, limit int, customerVisibleOnly bool) ([]onboardiq.SimilarTask, error) {
	if err := enableIterativeScan(ctx, tx); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, similarTasksQuery, tx.TenantID(), id, limit, customerVisibleOnly)
	if err != nil {
		return nil, fmt.Errorf("similar tasks: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (onboardiq.SimilarTask, error) {
		var s onboardiq.SimilarTask
		err := r.Scan(&s.ID, &s.ProjectID, &s.ProjectName, &s.Description, &s.Status, &s.Similarity, &s.DaysToFinish, &s.DaysLate, &s.BlockedFor, &s.Comments)
		return s, err
	})
}

// FindSimilarTasks lists tasks of the tenant's other projects most like a task,
// with their outcome and comments (staff only).
func (db *DB) FindSimilarTasks(ctx context.Context, id uuid.UUID, limit int) (onboardiq.Similar[onboardiq.SimilarTask], error) {
	out := onboardiq.Similar[onboardiq.SimilarTask]{Items: []onboardiq.SimilarTask{}}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if _, err := getTask(ctx, tx, p, id, false); err != nil {
			return err
		}
		if err := p.Check(onboardiq.UseStaffAI); err != nil {
			return err
		}
		items, err := querySimilarTasks(ctx, tx, id, limit, false)
		if err != nil {
			return err
		}
		if items != nil {
			out.Items = items
		}
		return tx.QueryRow(ctx, `SELECT `+embedded+` FROM tasks WHERE tenant_id = $1 AND task_id = $2`, tx.TenantID(), id).Scan(&out.Ready)
	})
	return out, err
}
