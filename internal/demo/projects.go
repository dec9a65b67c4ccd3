package demo

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/password"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

const day = 24 * time.Hour

// project is a demo project: the default template started on start, with
// the tasks due before doneBefore completed (lateDays after their due date)
// and some tasks held in another state.
type project struct {
	customer, name, description string
	start                       time.Time
	doneBefore                  time.Time
	lateDays                    int
	held                        map[string]held // by task description
}

type held struct {
	status onboardiq.Status
	reason string
}

func projects(now time.Time) []project {
	return []project{
		{
			customer: "Globex Logistics", name: "Globex EU region expansion",
			description: "Roll Acme Platform out to Globex's three EU warehouses.",
			start:       now.Add(-150 * day), doneBefore: now.Add(-60 * day), lateDays: 2,
		},
		{
			customer: "Globex Logistics", name: "Globex platform rollout",
			description: "Move Globex's North American dispatch teams onto Acme Platform, with SSO and the TMS integration.",
			start:       now.Add(-20 * day), doneBefore: now.Add(-4 * day), lateDays: 0,
			held: map[string]held{
				"Import your historical data":              {onboardiq.StatusInProgress, ""},
				"Register webhooks for downstream systems": {onboardiq.StatusInProgress, ""},
			},
		},
		{
			customer: "Initech Health", name: "Initech Health onboarding",
			description: "Onboard Initech's scheduling and billing teams; HIPAA review required before go-live.",
			// The plan's 56 working days end about a week ago.
			start: now.Add(-85 * day), doneBefore: now.Add(-50 * day), lateDays: 5,
			held: map[string]held{
				"Import your historical data":       {onboardiq.StatusBlocked, "Waiting for Initech's DBA to export the legacy scheduling data; the export fails on its date formats."},
				"Invite all users and assign roles": {onboardiq.StatusInProgress, ""},
				"Complete the go-live checklist":    {onboardiq.StatusNotStarted, ""},
			},
		},
		{
			customer: "Umbrella Retail", name: "Umbrella Retail pilot",
			description: "A six-store pilot before the chain-wide rollout.",
			start:       now.Add(-2 * day), doneBefore: now.Add(-30 * day),
		},
	}
}

func createProject(ctx context.Context, tx *postgres.Tx, p project, customerID, templateID uuid.UUID, now time.Time) error {
	pr, err := tx.CreateProject(ctx, onboardiq.NewProject{
		CustomerID: customerID, Name: p.name, Description: p.description, StartDate: p.start, TemplateID: &templateID,
	})
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT task_id, description, due_at FROM tasks WHERE tenant_id = $1 AND project_id = $2 ORDER BY position`, tx.TenantID(), pr.ID)
	if err != nil {
		return err
	}
	type task struct {
		id   uuid.UUID
		desc string
		due  time.Time
	}
	var tasks []task
	for rows.Next() {
		var t task
		if err := rows.Scan(&t.id, &t.desc, &t.due); err != nil {
			return err
		}
		tasks = append(tasks, t)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Back-dated history is the demo's alone: the product records a
	// completion at the moment it happens.
	for i, t := range tasks {
		status, reason := onboardiq.StatusNotStarted, ""
		var completedAt *time.Time
		if h, ok := p.held[t.desc]; ok {
			status, reason = h.status, h.reason
		} else if t.due.Before(p.doneBefore) {
			at := t.due.Add(time.Duration(p.lateDays*(i%3)) * day / 2)
			if at.After(now) {
				at = now
			}
			status, completedAt = onboardiq.StatusCompleted, &at
		}
		var why *string
		if reason != "" {
			why = &reason
		}
		if _, err := tx.Exec(ctx, `
UPDATE tasks SET status = $3, completed_at = $4, blocked_reason = $5, updated_at = coalesce($4::timestamptz, $6::timestamptz)
WHERE tenant_id = $1 AND task_id = $2`, tx.TenantID(), t.id, status, completedAt, why, now); err != nil {
			return err
		}
	}
	return tx.RefreshProject(ctx, pr.ID)
}

func mustHash() string {
	h, err := password.Hash(Password)
	if err != nil {
		panic(err)
	}
	return h
}
