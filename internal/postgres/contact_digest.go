package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
)

// digestProject is an open project, for the weekly digest.
type digestProject struct {
	id, customer uuid.UUID
	name         string
	progress     float64
}

// queueWeeklyDigests queues the weekly digest of each active contact whose
// company has an open project and whose digest hour has come (digestWeek).
func queueWeeklyDigests(ctx context.Context, tx *Tx, s onboardiq.NotificationSettings, now time.Time, r *Reminders) error {
	c := s.ContactEmails
	rows, err := tx.Query(ctx, `
SELECT u.user_id, u.customer_id, u.time_zone FROM tenant_users u
WHERE u.tenant_id = $1 AND u.role = 'customer' AND u.disabled_at IS NULL
  AND EXISTS (SELECT FROM projects p WHERE p.tenant_id = $1 AND p.customer_id = u.customer_id AND p.status NOT IN ('completed', 'on_hold', 'cancelled'))
ORDER BY u.user_id`, tx.TenantID())
	if err != nil {
		return fmt.Errorf("weekly digests: %w", err)
	}
	type reader struct {
		contact
		key string
	}
	var due []reader
	var keys []string
	for rows.Next() {
		var d reader
		var tz string
		if err := rows.Scan(&d.id, &d.customer, &tz); err != nil {
			rows.Close()
			return fmt.Errorf("weekly digests: %w", err)
		}
		d.loc = contactLocation(tz, s)
		if week, ok := digestWeek(now, d.loc, c.DigestWeekday, c.DigestHour); ok {
			d.key = "weekly_digest:" + d.id.String() + ":" + week
			due, keys = append(due, d), append(keys, d.key)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("weekly digests: %w", err)
	}
	seen, err := seenKeys(ctx, tx, keys, nil, nil)
	if err != nil {
		return err
	}
	due = slices.DeleteFunc(due, func(d reader) bool { return seen[d.key] })
	if len(due) == 0 {
		return nil
	}
	var users, customers []uuid.UUID
	for _, d := range due {
		users = append(users, d.id)
		if !slices.Contains(customers, d.customer) {
			customers = append(customers, d.customer)
		}
	}
	projects := map[uuid.UUID][]digestProject{} // by customer
	var projectIDs []uuid.UUID
	done := map[uuid.UUID][]taskItem{} // the vendor's work of the week, by customer
	b := &pgx.Batch{}
	b.Queue(`
SELECT project_id, customer_id, name, progress FROM projects
WHERE tenant_id = $1 AND customer_id = ANY ($2) AND status NOT IN ('completed', 'on_hold', 'cancelled')
ORDER BY start_date, project_id`, tx.TenantID(), customers).Query(func(rows pgx.Rows) error {
		var p digestProject
		_, err := pgx.ForEachRow(rows, []any{&p.id, &p.customer, &p.name, &p.progress}, func() error {
			projects[p.customer] = append(projects[p.customer], p)
			projectIDs = append(projectIDs, p.id)
			return nil
		})
		return err
	})
	// Vendor-side: assigned to staff, or to nobody.
	b.Queue(`
SELECT p.customer_id, t.project_id, t.description
FROM tasks t
JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
LEFT JOIN tenant_users a ON a.tenant_id = t.tenant_id AND a.user_id = t.assigned_to
WHERE t.tenant_id = $1 AND p.customer_id = ANY ($2) AND p.status NOT IN ('completed', 'on_hold', 'cancelled')
  AND t.status = 'completed' AND t.completed_at > $3 AND t.visibility = 'customer' AND (a.role IS NULL OR a.role <> 'customer')
ORDER BY t.completed_at, t.task_id`, tx.TenantID(), customers, now.Add(-7*24*time.Hour)).Query(func(rows pgx.Rows) error {
		var cu, p uuid.UUID
		var desc string
		_, err := pgx.ForEachRow(rows, []any{&cu, &p, &desc}, func() error {
			done[cu] = append(done[cu], taskItem{project: p, title: desc})
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("weekly digests: %w", err)
	}
	open, err := openTasksOf(ctx, tx, users, nil)
	if err != nil {
		return err
	}
	steps, err := nextSteps(ctx, tx, projectIDs)
	if err != nil {
		return err
	}
	for _, d := range due {
		ps := projects[d.customer]
		if len(ps) == 0 {
			continue // closed since the first query
		}
		var names []string
		var progress float64
		var next []taskItem
		for _, p := range ps {
			names, progress = append(names, p.name), progress+p.progress
			next = append(next, steps[p.id]...)
		}
		m := ContactMail{Kind: mailtemplate.WeeklyDigest, UserID: d.id, Key: d.key, Page: "/",
			Values: map[string]string{"project_name": joinNames(names), "project_progress": percent(progress / float64(len(ps))),
				"open_tasks":  taskList(open[d.id], d.loc, "Nothing waits on you this week."),
				"vendor_done": taskList(done[d.customer], d.loc, "Nothing new this week."),
				"next_steps":  taskList(next[:min(len(next), 5)], d.loc, "Nothing left to do."),
			}}
		if len(ps) == 1 {
			m.Page, m.ProjectID = "/projects/"+ps[0].id.String(), &ps[0].id
		}
		out, err := queueContactMail(ctx, tx, m, now)
		if err != nil {
			return err
		}
		r.email(mailtemplate.WeeklyDigest, out)
	}
	return nil
}

// digestWeek is the ISO week ("2026-W49") whose weekly digest a reader in
// loc is due at now: from weekday (0 Sunday) at hour, their time, for a
// day; ok false outside that day.
func digestWeek(now time.Time, loc *time.Location, weekday, hour int) (week string, ok bool) {
	l := now.In(loc)
	monday := time.Date(l.Year(), l.Month(), l.Day()-(int(l.Weekday())+6)%7, 0, 0, 0, 0, loc)
	for _, back := range []int{0, 7} { // this week's, or last week's reaching into this one
		at := time.Date(monday.Year(), monday.Month(), monday.Day()-back+(weekday+6)%7, hour, 0, 0, 0, loc)
		if !l.Before(at) && l.Before(at.Add(24*time.Hour)) {
			y, w := at.ISOWeek()
			return fmt.Sprintf("%d-W%02d", y, w), true
		}
	}
	return "", false
}

// DigestWeek is digestWeek for the tests of other packages.
func DigestWeek(now time.Time, loc *time.Location, weekday, hour int) (string, bool) {
	return digestWeek(now, loc, weekday, hour)
}

// joinNames is "A", "A and B", "A, B and C".
func joinNames(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
