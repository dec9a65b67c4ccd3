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

// GetCustomerFacts gathers what a customer did between since and until (staff).
func (db *DB) GetCustomerFacts(ctx context.Context, customerID uuid.UUID, since, until time.Time) (*onboardiq.CustomerFacts, error) {
	if !until.After(since) {
		return nil, onboardiq.Invalid("until", "must be after since")
	}
	f := &onboardiq.CustomerFacts{Since: since, Until: until, Completed: []onboardiq.TaskFact{}, CompletedLate: []onboardiq.TaskFact{}, Blocked: []onboardiq.TaskFact{}, Projects: []onboardiq.ProjectFact{}}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		c, err := getCustomer(ctx, tx, p, customerID, false)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.UseStaffAI); err != nil {
			return err
		}
		f.Customer = c.Name
		args := pgx.NamedArgs{"tenant": tx.TenantID(), "customer": customerID, "since": since, "until": until}
		taskFacts := func(q string) ([]onboardiq.TaskFact, error) {
			rows, err := tx.Query(ctx, q, args)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, func(r pgx.CollectableRow) (onboardiq.TaskFact, error) {
				var t onboardiq.TaskFact
				return t, r.Scan(&t.ID, &t.Description, &t.Project, &t.At, &t.DaysLate, &t.Reason, &t.Assignee, &t.AssigneeIs, &t.DueAt)
			})
		}
		const taskSelect = `SELECT t.task_id, t.description, p.name, %s, %s, t.blocked_reason, u.name,
       CASE WHEN u.role = 'customer' THEN 'customer' WHEN u.user_id IS NOT NULL THEN 'vendor' ELSE '' END, t.due_at
FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
LEFT JOIN tenant_users u ON u.tenant_id = t.tenant_id AND u.user_id = t.assigned_to
WHERE t.tenant_id = @tenant AND p.customer_id = @customer AND `
		lateness := `round((extract(epoch FROM t.completed_at - t.due_at) / 86400)::numeric, 1)::float8`
		if f.Completed, err = taskFacts(fmt.Sprintf(taskSelect, "t.completed_at", "NULL::float8") +
			`t.status = 'completed' AND t.completed_at >= @since AND t.completed_at < @until ORDER BY t.completed_at`); err != nil {
			return err
		}
		if f.CompletedLate, err = taskFacts(fmt.Sprintf(taskSelect, "t.completed_at", lateness) +
			`t.status = 'completed' AND t.completed_at >= @since AND t.completed_at < @until AND t.completed_at > t.due_at + interval '1 hour' ORDER BY t.completed_at`); err != nil {
			return err
		}
		if f.Blocked, err = taskFacts(fmt.Sprintf(taskSelect, "t.updated_at", "NULL::float8") + `t.status = 'blocked' ORDER BY t.updated_at`); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `
SELECT (SELECT count(*) FROM events e JOIN tenant_users u ON u.tenant_id = e.tenant_id AND u.user_id = e.actor_user_id
        WHERE e.tenant_id = @tenant AND e.customer_id = @customer AND e.kind = 'task.commented' AND u.role = 'customer'
          AND e.occurred_at >= @since AND e.occurred_at < @until),
       (SELECT count(*) FROM ai_calls a JOIN tenant_users u ON u.tenant_id = a.tenant_id AND u.user_id = a.user_id
        WHERE a.tenant_id = @tenant AND u.customer_id = @customer AND a.kind = 'answer' AND a.created_at >= @since AND a.created_at < @until)`,
			args).Scan(&f.Comments, &f.Questions)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `
SELECT e.occurred_at, u.name FROM events e JOIN tenant_users u ON u.tenant_id = e.tenant_id AND u.user_id = e.actor_user_id
WHERE e.tenant_id = @tenant AND u.customer_id = @customer AND e.occurred_at < @until
ORDER BY e.event_id DESC LIMIT 1`, args).Scan(&f.LastActivity, &f.LastActivityBy)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT p.name, p.status, p.progress, p.deadline, `+overdueSQL+`
FROM projects p WHERE p.tenant_id = @tenant AND p.customer_id = @customer ORDER BY p.created_at`, args)
		if err != nil {
			return err
		}
		f.Projects, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (onboardiq.ProjectFact, error) {
			var pf onboardiq.ProjectFact
			return pf, r.Scan(&pf.Name, &pf.Status, &pf.Progress, &pf.Deadline, &pf.Overdue)
		})
		return err
	})
	return f, err
}

// GetProjectBlockers lists a project's blocked tasks and open tasks past due,
// with who holds them (staff).
func (db *DB) GetProjectBlockers(ctx context.Context, id uuid.UUID) (*onboardiq.Blockers, error) {
	b := &onboardiq.Blockers{Blocked: []onboardiq.TaskFact{}, OverdueOpen: []onboardiq.TaskFact{}}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		pr, err := getProject(ctx, tx, p, id, false)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.UseStaffAI); err != nil {
			return err
		}
		b.Project, b.Progress, b.Deadline, b.Overdue = pr.Name, pr.Progress, pr.Deadline, pr.Overdue
		rows, err := tx.Query(ctx, `
SELECT t.task_id, t.description, $3::text, t.updated_at,
       round((extract(epoch FROM now() - t.due_at) / 86400)::numeric, 1)::float8, t.blocked_reason, u.name,
       CASE WHEN u.role = 'customer' THEN 'customer' WHEN u.user_id IS NOT NULL THEN 'vendor' ELSE '' END, t.due_at, t.status = 'blocked'
FROM tasks t LEFT JOIN tenant_users u ON u.tenant_id = t.tenant_id AND u.user_id = t.assigned_to
WHERE t.tenant_id = $1 AND t.project_id = $2
  AND (t.status = 'blocked' OR (t.status IN ('not_started', 'in_progress') AND t.due_at < now()))
ORDER BY t.due_at NULLS LAST, t.position`, tx.TenantID(), id, pr.Name)
		if err != nil {
			return err
		}
		for rows.Next() {
			var t onboardiq.TaskFact
			var blocked bool
			if err := rows.Scan(&t.ID, &t.Description, &t.Project, &t.At, &t.DaysLate, &t.Reason, &t.Assignee, &t.AssigneeIs, &t.DueAt, &blocked); err != nil {
				return err
			}
			if blocked {
				b.Blocked = append(b.Blocked, t)
			} else {
				b.OverdueOpen = append(b.OverdueOpen, t)
			}
		}
		return rows.Err()
	})
	return b, err
}

// RecordQuestion posts a question the assistant could not answer for the
// support member to see: a comment on the task when there is one the asker
// may see, otherwise an event of the project or of the asker's customer.
func (db *DB) RecordQuestion(ctx context.Context, question string, projectID, taskID *uuid.UUID) (string, error) {
	where := ""
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		var err error
		where, err = recordQuestion(ctx, tx, p, question, projectID, taskID)
		return err
	})
	return where, err
}

// recordQuestion is RecordQuestion in tx (EscalateQuestion too).
func recordQuestion(ctx context.Context, tx *Tx, p *onboardiq.Principal, question string, projectID, taskID *uuid.UUID) (string, error) {
	body := "Question for the support team (the assistant could not answer it): " + question
	if taskID != nil {
		t, err := getTask(ctx, tx, p, *taskID, false)
		if err != nil {
			return "", err
		}
		return "task", tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTaskCommented, CustomerID: &t.CustomerID, ProjectID: &t.ProjectID, TaskID: &t.ID,
			Data: map[string]any{"body": body, "from_assistant": true}})
	}
	e := onboardiq.Event{Kind: onboardiq.EventAssistantQuestion, Data: map[string]any{"body": body}}
	where := ""
	if projectID != nil {
		pr, err := getProject(ctx, tx, p, *projectID, false)
		if err != nil {
			return "", err
		}
		e.ProjectID, e.CustomerID, where = &pr.ID, &pr.CustomerID, "project"
	} else if p.CustomerID != nil {
		e.CustomerID, where = p.CustomerID, "customer"
	} else {
		return "", onboardiq.Invalid("conversation_id", "the conversation is about no task, project or customer to post the question on")
	}
	return where, tx.Emit(ctx, e)
}
