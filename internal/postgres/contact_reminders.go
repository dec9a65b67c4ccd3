package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// RemindArgs is the hourly reminder scan: it enqueues one RemindTenantArgs
// per tenant.
type RemindArgs struct{}

// Kind is River's name for the job.
func (RemindArgs) Kind() string { return "contact_reminders" }

// RemindTenantArgs is the reminder scan of one tenant (QueueReminders).
type RemindTenantArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// Kind is River's name for the job.
func (RemindTenantArgs) Kind() string { return "contact_reminders_tenant" }

// Reminders is what one reminder scan of a tenant did.
type Reminders struct {
	TenantID uuid.UUID `json:"tenant_id"`
	// Emails counts the emails to contacts queued, by kind (sent now or
	// after the quiet hours).
	Emails map[string]int `json:"emails"`
	// Notified counts the staff notifications made, by kind.
	Notified map[string]int `json:"notified"`
}

func (r *Reminders) email(kind, outcome string) {
	if queued(outcome) > 0 {
		r.Emails[kind]++
	}
}

// QueueReminders runs the reminder scan of the tenant tx runs in, as of
// now (docs/notifications.md, "Emails to contacts"):
//
//   - a task due within due_soon_days reminds its assignee once per due
//     date: a contact by email (task_due_soon), a staff owner in the app
//     and by email as they prefer (notification task_due_soon);
//   - an overdue task reminds them the day after it was due and every
//     overdue_every_days after, up to overdue_max times (task_overdue);
//   - each active contact whose company has an open project gets the
//     weekly digest once per ISO week, from digest_weekday at digest_hour
//     in their time zone, for a day (a scan that missed the hour catches
//     up, a contact added later in the week waits for the next);
//   - an open project whose customer has not acted for reengage_days,
//     while tasks wait on them, nudges its contacts (reengagement) and
//     tells the CSM (notification customer_inactive), once per quiet
//     spell.
//
// Days are counted in the reader's time zone (theirs, else the
// workspace's). Every email and notification has a key naming its
// occasion, so a second scan queues nothing: each kind's candidates are
// found by one query, and those already sent are dropped by one more.
func (tx *Tx) QueueReminders(ctx context.Context, now time.Time) (*Reminders, error) {
	r := &Reminders{TenantID: tx.TenantID(), Emails: map[string]int{}, Notified: map[string]int{}}
	s, err := loadSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	if err := remindTasks(ctx, tx, s, now, r); err != nil {
		return nil, err
	}
	if err := queueWeeklyDigests(ctx, tx, s, now, r); err != nil {
		return nil, err
	}
	if err := reengage(ctx, tx, s, now, r); err != nil {
		return nil, err
	}
	return r, nil
}

// days is the number of calendar days from a to b as a reader in loc
// counts them: negative when b is on an earlier day.
func days(a, b time.Time, loc *time.Location) int {
	ya, ma, da := a.In(loc).Date()
	yb, mb, db := b.In(loc).Date()
	return int(time.Date(yb, mb, db, 12, 0, 0, 0, time.UTC).Sub(time.Date(ya, ma, da, 12, 0, 0, 0, time.UTC)).Hours() / 24)
}

// OverdueReminder is which reminder of an overdue task is due when it is
// late days overdue (counted in the reader's zone): the first the day
// after the due date, then one every every days, at most max; 0 for none.
func OverdueReminder(late, every, max int) int {
	if late < 1 || every < 1 {
		return 0
	}
	n := (late-1)/every + 1
	if n > max {
		return 0
	}
	return n
}

// reminder is a task due soon or overdue, for its assignee.
type reminder struct {
	task      taskFacts
	customer  string
	user      uuid.UUID
	isContact bool
	loc       *time.Location
	kind, key string
	days      int // until the due date (due soon), since it (overdue)
}

// remindTasks reminds the assignees of the open tasks of open projects
// that are due soon or overdue: one query finds them, one more drops those
// reminded before.
func remindTasks(ctx context.Context, tx *Tx, s onboardiq.NotificationSettings, now time.Time, r *Reminders) error {
	c := s.ContactEmails
	if c.DueSoonDays == 0 && c.OverdueMax == 0 {
		return nil
	}
	// A window wide enough for every zone: a day more either side.
	until := now.Add(time.Duration(c.DueSoonDays+2) * 24 * time.Hour)
	since := now.Add(-24 * time.Hour)
	if c.OverdueMax > 0 {
		since = now.Add(-time.Duration((c.OverdueMax-1)*c.OverdueEveryDays+3) * 24 * time.Hour)
	}
	rows, err := tx.Query(ctx, `
SELECT t.task_id, t.project_id, p.customer_id, t.description, t.phase, p.name, cu.name, p.progress, t.due_at,
       u.user_id, u.role = 'customer', u.time_zone
FROM tasks t
JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
JOIN customers cu ON cu.tenant_id = p.tenant_id AND cu.customer_id = p.customer_id
JOIN tenant_users u ON u.tenant_id = t.tenant_id AND u.user_id = t.assigned_to
WHERE t.tenant_id = $1 AND t.status NOT IN ('completed', 'cancelled') AND t.due_at >= $2 AND t.due_at < $3
  AND p.status NOT IN ('completed', 'on_hold', 'cancelled') AND u.disabled_at IS NULL
  AND (u.role <> 'customer' OR (t.visibility = 'customer' AND u.customer_id = p.customer_id))
ORDER BY t.due_at, t.task_id`, tx.TenantID(), since, until)
	if err != nil {
		return fmt.Errorf("reminders: %w", err)
	}
	var all []reminder
	for rows.Next() {
		var m reminder
		var tz string
		f := &m.task
		if err := rows.Scan(&f.id, &f.project, &f.customer, &f.title, &f.phase, &f.projectName, &m.customer, &f.progress, &f.due,
			&m.user, &m.isContact, &tz); err != nil {
			rows.Close()
			return fmt.Errorf("reminders: %w", err)
		}
		m.loc = contactLocation(tz, s)
		if !m.isContact {
			m.loc = s.Location() // staff read the workspace's time
		}
		left := days(now, *f.due, m.loc)
		date := f.due.In(m.loc).Format(time.DateOnly)
		switch n := OverdueReminder(-left, c.OverdueEveryDays, c.OverdueMax); {
		case left >= 0 && left <= c.DueSoonDays && c.DueSoonDays > 0:
			m.kind, m.key, m.days = KindTaskDueSoon, f.id.String()+":"+date, left
		case n > 0:
			m.kind, m.key, m.days = KindTaskOverdue, fmt.Sprintf("%s:%s:%d", f.id, date, n), -left
		default:
			continue
		}
		if m.isContact { // the same names as the contact emails' kinds
			m.key = m.kind + ":" + m.key + ":" + m.user.String()
		}
		all = append(all, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reminders: %w", err)
	}
	seen, err := remindKeys(ctx, tx, all)
	if err != nil {
		return err
	}
	for _, m := range all {
		if m.isContact && !seen[m.key] {
			v := m.task.values(m.loc)
			if m.kind == KindTaskOverdue {
				v["days_overdue"] = fmt.Sprint(m.days)
			}
			out, err := queueContactMail(ctx, tx, ContactMail{Kind: m.kind, UserID: m.user, Key: m.key, Values: v,
				Page: "/tasks/" + m.task.id.String(), TaskID: &m.task.id, ProjectID: &m.task.project}, now)
			if err != nil {
				return err
			}
			r.email(m.kind, out)
		}
		if !m.isContact && !seen[m.kind+":"+m.key] {
			title, body := ownerReminder(m)
			n, err := tx.NotifyUsers(ctx, StaffNotice{Kind: m.kind, Title: title, Body: body, ProjectID: &m.task.project, Key: m.key,
				Users: []uuid.UUID{m.user}, Data: map[string]any{"task_id": m.task.id, "link": "/app/tasks/" + m.task.id.String()}}, now)
			if err != nil {
				return err
			}
			if len(n) > 0 {
				r.Notified[m.kind] += len(n)
			}
		}
	}
	return nil
}

// ownerReminder is the notification of a staff owner's task due soon or
// overdue.
func ownerReminder(m reminder) (title, body string) {
	f := m.task
	where := fmt.Sprintf("%s (%s)", f.projectName, m.customer)
	if m.kind == KindTaskOverdue {
		return clipText(fmt.Sprintf("“%s” is overdue", f.title), 300),
			fmt.Sprintf("Your task “%s” in %s was due %s, %d day%s ago.", f.title, where, dueText(f.due, m.loc), m.days, plural(m.days))
	}
	when := "on " + dueText(f.due, m.loc)
	switch m.days {
	case 0:
		when = "today"
	case 1:
		when = "tomorrow"
	}
	return clipText(fmt.Sprintf("“%s” is due %s", f.title, when), 300),
		fmt.Sprintf("Your task “%s” in %s is due %s (%s).", f.title, where, when, dueText(f.due, m.loc))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// clipText cuts s to at most n characters.
func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// remindKeys says which reminders were sent before: contacts' by their
// deliveries, staff's by their notifications.
func remindKeys(ctx context.Context, tx *Tx, rs []reminder) (map[string]bool, error) {
	var mail, notes []string
	var staff []uuid.UUID
	for _, m := range rs {
		if m.isContact {
			mail = append(mail, m.key)
		} else {
			notes, staff = append(notes, m.kind+":"+m.key), append(staff, m.user)
		}
	}
	return seenKeys(ctx, tx, mail, staff, notes)
}

// seenKeys returns which of the delivery keys mail, and of the
// notification dedupe keys notes of users, exist: the occasions already
// sent.
func seenKeys(ctx context.Context, tx *Tx, mail []string, users []uuid.UUID, notes []string) (map[string]bool, error) {
	seen := map[string]bool{}
	if len(mail) == 0 && len(notes) == 0 {
		return seen, nil
	}
	rows, err := tx.Query(ctx, `
SELECT idempotency_key FROM deliveries WHERE tenant_id = $1 AND idempotency_key = ANY ($2)
UNION ALL
SELECT dedupe_key FROM notifications WHERE tenant_id = $1 AND user_id = ANY ($3) AND dedupe_key = ANY ($4)`,
		tx.TenantID(), mail, users, notes)
	if err != nil {
		return nil, fmt.Errorf("sent before: %w", err)
	}
	var k string
	_, err = pgx.ForEachRow(rows, []any{&k}, func() error { seen[k] = true; return nil })
	return seen, err
}
