package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	forecastpkg "github.com/onboardiq/onboardiq/internal/forecast"
)

// ChangeProjectLifecycle puts a project on hold, resumes it, cancels it or
// reopens it (admin or csm; onboardiq.Lifecycle says from which statuses,
// and which take a reason). Holding or cancelling records the reason and
// clears the forecast: such a project raises no delay alerts and is never
// overdue. Resuming moves the deadline and the start and due dates of the open tasks
// by the whole days spent on hold (forecast.HeldDays), so that time does
// not count against the project; resuming and reopening let the tasks
// decide the status again. Each change is one event of its own kind.
func (db *DB) ChangeProjectLifecycle(ctx context.Context, id uuid.UUID, l onboardiq.Lifecycle, reason string) (*onboardiq.Project, error) {
	var pr *onboardiq.Project
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		before, err := getProject(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditProjects); err != nil {
			return err
		}
		why, err := l.Check(before.Status, reason)
		if err != nil {
			return err
		}
		now := time.Now()
		data := map[string]any{}
		if to := l.To(); to != "" {
			_, err = tx.Exec(ctx, `
UPDATE projects SET status = $3, status_reason = $4, status_changed_at = $5, updated_at = $5,
    forecast_finish = NULL, at_risk = false, risk_reason = NULL
WHERE tenant_id = $1 AND project_id = $2`, tx.TenantID(), id, to, why, now)
			if err != nil {
				return fmt.Errorf("%s: %w", l, err)
			}
			data["reason"] = *why
		} else {
			if l == onboardiq.LifecycleResume {
				if err := resumeDates(ctx, tx, before, now, data); err != nil {
					return err
				}
			}
			if _, err := tx.refreshProject(ctx, id, true, now); err != nil {
				return err
			}
		}
		if pr, err = getProject(ctx, tx, p, id, false); err != nil {
			return err
		}
		ch := changes(before, pr, "status", "status_reason", "deadline")
		data["name"], data["progress"], data["status"], data["previous_status"] = pr.Name, pr.Progress, pr.Status, before.Status
		return tx.Emit(ctx, onboardiq.Event{Kind: l.EventKind(), CustomerID: &pr.CustomerID, ProjectID: &pr.ID, Changes: ch, Data: data})
	})
	return pr, err
}

// resumeDates moves a project that was on hold since its status last
// changed: its deadline and its open tasks' due dates, by the whole days
// on hold, which it adds to held_days. It notes in data what moved.
func resumeDates(ctx context.Context, tx *Tx, before *onboardiq.Project, now time.Time, data map[string]any) error {
	days := forecastpkg.HeldDays(before.StatusChangedAt, now)
	data["held_days"] = days
	if days == 0 {
		data["moved_tasks"] = 0
		return nil
	}
	_, err := tx.Exec(ctx, `
UPDATE projects SET deadline = deadline + make_interval(days => $3), held_days = held_days + $3
WHERE tenant_id = $1 AND project_id = $2`, tx.TenantID(), before.ID, days)
	if err != nil {
		return fmt.Errorf("resume: move the deadline: %w", err)
	}
	tag, err := tx.Exec(ctx, `
UPDATE tasks SET due_at = due_at + make_interval(days => $3), start_at = start_at + make_interval(days => $3), updated_at = $4
WHERE tenant_id = $1 AND project_id = $2 AND (due_at IS NOT NULL OR start_at IS NOT NULL) AND status NOT IN ('completed', 'cancelled')`,
		tx.TenantID(), before.ID, days, now)
	if err != nil {
		return fmt.Errorf("resume: move the due dates: %w", err)
	}
	data["moved_tasks"] = tag.RowsAffected()
	return nil
}

// checkTasksMayChange refuses changes to the tasks of a cancelled project:
// it is over until it is reopened. A project on hold keeps taking them.
func checkTasksMayChange(pr *onboardiq.Project) error {
	if pr.Status == onboardiq.StatusCancelled {
		return onboardiq.Errorf(onboardiq.ECONFLICT, "the project is cancelled: reopen it to change its tasks")
	}
	return nil
}
