package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
)

// quietProject is an open project whose customer may have gone quiet.
type quietProject struct {
	id, customer  uuid.UUID
	name, company string
	progress      float64
	csm           *uuid.UUID
	last          time.Time // the customer's last activity on it, or its start
	floor         int64     // events after this one may be newer activity
	recipients    []uuid.UUID
	key           string
}

// reengage nudges the contacts of open projects on which their company has
// not acted for reengage_days, while tasks wait on them, and tells the CSM
// (without one, the admins); once per project and quiet spell (the keys
// hold the date of the last activity).
//
// Customer activity is anything a contact of the customer did on the
// project (changing a task's status, commenting, replying by email: every
// event on it they caused) and any sign-in of theirs; before any, the
// project's start counts. The project's events are read newest first along
// their index; sign-ins are read only for the customers of quiet
// projects, and only since the oldest of their last activities.
func reengage(ctx context.Context, tx *Tx, s onboardiq.NotificationSettings, now time.Time, r *Reminders) error {
	n := s.ContactEmails.ReengageDays
	if n == 0 {
		return nil
	}
	quiet := time.Duration(n) * 24 * time.Hour
	rows, err := tx.Query(ctx, `
SELECT p.project_id, p.customer_id, p.name, c.name, p.progress, c.support_member_id, p.start_date, la.occurred_at,
       coalesce(la.event_id, (SELECT min(e.event_id) FROM events e WHERE e.tenant_id = $1 AND e.project_id = p.project_id), 0)
FROM projects p
JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id
LEFT JOIN LATERAL (
    SELECT e.event_id, e.occurred_at FROM events e
    JOIN tenant_users u ON u.tenant_id = e.tenant_id AND u.user_id = e.actor_user_id
    WHERE e.tenant_id = $1 AND e.project_id = p.project_id AND u.role = 'customer' AND u.customer_id = p.customer_id
    ORDER BY e.event_id DESC LIMIT 1) la ON true
WHERE p.tenant_id = $1 AND p.status NOT IN ('completed', 'on_hold', 'cancelled') AND p.start_date <= $2
  AND EXISTS (SELECT FROM tasks t JOIN tenant_users a ON a.tenant_id = t.tenant_id AND a.user_id = t.assigned_to
              WHERE t.tenant_id = $1 AND t.project_id = p.project_id AND t.status NOT IN ('completed', 'cancelled')
                AND t.visibility = 'customer' AND a.role = 'customer' AND a.customer_id = p.customer_id)
ORDER BY p.project_id`, tx.TenantID(), now.Add(-quiet))
	if err != nil {
		return fmt.Errorf("re-engagement: %w", err)
	}
	var cands []*quietProject
	for rows.Next() {
		q := &quietProject{}
		var start time.Time
		var last *time.Time
		if err := rows.Scan(&q.id, &q.customer, &q.name, &q.company, &q.progress, &q.csm, &start, &last, &q.floor); err != nil {
			rows.Close()
			return fmt.Errorf("re-engagement: %w", err)
		}
		q.last = start
		if last != nil && last.After(start) {
			q.last = *last
		}
		if now.Sub(q.last) >= quiet {
			cands = append(cands, q)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("re-engagement: %w", err)
	}
	if len(cands) == 0 {
		return nil
	}
	var customers []uuid.UUID
	floor := cands[0].floor
	for _, q := range cands {
		customers = append(customers, q.customer)
		floor = min(floor, q.floor)
	}
	signedIn := map[uuid.UUID]time.Time{} // the last sign-in of a contact, by customer
	var contacts []contact
	b := &pgx.Batch{}
	b.Queue(`
SELECT u.customer_id, max(e.occurred_at)
FROM events e JOIN tenant_users u ON u.tenant_id = e.tenant_id AND u.user_id = e.actor_user_id
WHERE e.tenant_id = $1 AND e.kind = 'auth.signed_in' AND e.event_id > $2 AND u.role = 'customer' AND u.customer_id = ANY ($3)
GROUP BY u.customer_id`, tx.TenantID(), floor, customers).Query(func(rows pgx.Rows) error {
		var cu uuid.UUID
		var at time.Time
		_, err := pgx.ForEachRow(rows, []any{&cu, &at}, func() error { signedIn[cu] = at; return nil })
		return err
	})
	b.Queue(`
SELECT user_id, customer_id, time_zone FROM tenant_users
WHERE tenant_id = $1 AND customer_id = ANY ($2) AND role = 'customer' AND disabled_at IS NULL
ORDER BY created_at, user_id`, tx.TenantID(), customers).Query(func(rows pgx.Rows) error {
		var c contact
		var tz string
		_, err := pgx.ForEachRow(rows, []any{&c.id, &c.customer, &tz}, func() error {
			c.loc = contactLocation(tz, s)
			contacts = append(contacts, c)
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("re-engagement: %w", err)
	}
	admins, err := usersWithRole(ctx, tx, "admin")
	if err != nil {
		return err
	}
	var mailKeys, noteKeys []string
	var staff []uuid.UUID
	cands = slices.DeleteFunc(cands, func(q *quietProject) bool {
		if at, ok := signedIn[q.customer]; ok && at.After(q.last) {
			q.last = at
		}
		if now.Sub(q.last) < quiet {
			return true
		}
		q.key = q.id.String() + ":" + q.last.UTC().Format(time.DateOnly)
		q.recipients = admins
		if q.csm != nil {
			q.recipients = []uuid.UUID{*q.csm}
		}
		for _, c := range contacts {
			if c.customer == q.customer {
				mailKeys = append(mailKeys, "reengagement:"+q.key+":"+c.id.String())
			}
		}
		noteKeys, staff = append(noteKeys, KindCustomerInactive+":"+q.key), append(staff, q.recipients...)
		return false
	})
	seen, err := seenKeys(ctx, tx, mailKeys, staff, noteKeys)
	if err != nil {
		return err
	}
	var users []uuid.UUID
	for _, c := range contacts {
		users = append(users, c.id)
	}
	open, err := openTasksOf(ctx, tx, users, nil)
	if err != nil {
		return err
	}
	for _, q := range cands {
		idle := int(now.Sub(q.last) / (24 * time.Hour))
		// What waits on the customer: each contact's own tasks, else all
		// of their company's.
		var waiting []taskItem
		for _, c := range contacts {
			if c.customer == q.customer {
				waiting = append(waiting, inProject(open[c.id], q.id)...)
			}
		}
		for _, c := range contacts {
			key := "reengagement:" + q.key + ":" + c.id.String()
			if c.customer != q.customer || seen[key] {
				continue
			}
			mine := inProject(open[c.id], q.id)
			if len(mine) == 0 {
				mine = waiting
			}
			out, err := queueContactMail(ctx, tx, ContactMail{Kind: mailtemplate.Reengagement, UserID: c.id, Key: key,
				Values: map[string]string{"project_name": q.name, "project_progress": percent(q.progress), "days_inactive": fmt.Sprint(idle),
					"open_tasks": taskList(mine, c.loc, "Nothing is waiting on you.")},
				Page: "/projects/" + q.id.String(), ProjectID: &q.id}, now)
			if err != nil {
				return err
			}
			r.email(mailtemplate.Reengagement, out)
		}
		if seen[KindCustomerInactive+":"+q.key] {
			continue
		}
		since := q.last.In(s.Location()).Format(dueLayout)
		notified, err := tx.NotifyUsers(ctx, StaffNotice{Kind: KindCustomerInactive, Key: q.key, ProjectID: &q.id, Users: q.recipients,
			Title: clipText(fmt.Sprintf("%s has been quiet for %d days", q.company, idle), 300),
			Body: fmt.Sprintf("Nobody at %s has acted on %s since %s (%d days), and %d task%s wait on them. Their contacts were sent a reminder.",
				q.company, q.name, since, idle, len(waiting), plural(len(waiting))),
			Data: map[string]any{"project_id": q.id, "customer_id": q.customer, "link": "/app/projects/" + q.id.String()}}, now)
		if err != nil {
			return err
		}
		if len(notified) > 0 {
			r.Notified[KindCustomerInactive] += len(notified)
		}
	}
	return nil
}

// inProject is the items of project.
func inProject(items []taskItem, project uuid.UUID) []taskItem {
	var out []taskItem
	for _, it := range items {
		if it.project == project {
			out = append(out, it)
		}
	}
	return out
}
