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

func (r *Reminders) email(kind, outcome string) { r.Emails[kind] += queued(outcome) }

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
			r.Notified[m.kind] += len(n)
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
		r.Notified[KindCustomerInactive] += len(notified)
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
