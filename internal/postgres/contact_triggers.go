package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
)

// What makes a customer contact get an email (docs/notifications.md,
// "Emails to contacts"): the *Tx methods below, which the fan-out's
// "contact emails" consumer calls for the events that concern a contact
// (internal/jobs), and the hourly reminder scan (contact_reminders.go).
// Each builds the kind's variables (mailtemplate) in the contact's time
// zone and queues the email through queueContactMail, with an idempotency
// key that names the occasion, so a consumer or scan that runs twice
// queues it once.

// The kinds of notification staff receive from the reminder scan: a task
// they own is due soon or overdue, a customer has gone quiet.
const (
	KindTaskDueSoon      = "task_due_soon"
	KindTaskOverdue      = "task_overdue"
	KindCustomerInactive = "customer_inactive"
)

// MilestoneRecent is how old a completion may be and still be announced:
// a fan-out that catches up after an outage, or history loaded with its
// dates (the demo), announces nothing from long ago.
const MilestoneRecent = 7 * 24 * time.Hour

// dueLayout is how a due date reads in an email: "Tue 8 Dec 2026".
const dueLayout = "Mon 2 Jan 2006"

// taskItem is a task in a list of an email.
type taskItem struct {
	project uuid.UUID
	title   string
	due     *time.Time
}

// dueText is a due date as a reader in loc reads it; "" for none.
func dueText(due *time.Time, loc *time.Location) string {
	if due == nil {
		return ""
	}
	return due.In(loc).Format(dueLayout)
}

// taskList is a Markdown list of tasks with their due dates in loc.
func taskList(items []taskItem, loc *time.Location, none string) string {
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = it.title
		if it.due != nil {
			lines[i] += " (due " + dueText(it.due, loc) + ")"
		}
	}
	return mailtemplate.List(lines, none)
}

// percent is a project's progress as the emails show it: "40%", never
// rounded up to 100% before it is.
func percent(p float64) string { return fmt.Sprintf("%d%%", int(p)) }

// contact is a recipient of a contact email, with the zone they read in.
type contact struct {
	id       uuid.UUID
	customer uuid.UUID
	loc      *time.Location
}

// customerContacts lists the active contacts of a customer.
func customerContacts(ctx context.Context, tx *Tx, customer uuid.UUID, s onboardiq.NotificationSettings) ([]contact, error) {
	rows, err := tx.Query(ctx, `
SELECT user_id, time_zone FROM tenant_users
WHERE tenant_id = $1 AND customer_id = $2 AND role = 'customer' AND disabled_at IS NULL
ORDER BY created_at, user_id`, tx.TenantID(), customer)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (contact, error) {
		c := contact{customer: customer}
		var tz string
		err := r.Scan(&c.id, &tz)
		c.loc = contactLocation(tz, s)
		return c, err
	})
}

// taskFacts is what an email about one task says of it.
type taskFacts struct {
	id, project, customer     uuid.UUID
	title, phase, projectName string
	status, visibility        string
	projectStatus             string
	due, completedAt          *time.Time
	assignee                  *uuid.UUID
	assigneeIsContact         bool
	progress                  float64
}

// loadTaskFacts reads a task for an email; nil when it is gone.
func loadTaskFacts(ctx context.Context, tx *Tx, id uuid.UUID) (*taskFacts, error) {
	f := &taskFacts{}
	err := tx.QueryRow(ctx, `
SELECT t.task_id, t.project_id, p.customer_id, t.description, t.phase, p.name, t.status, t.visibility, p.status,
       t.due_at, t.completed_at, t.assigned_to, coalesce(a.role = 'customer' AND a.disabled_at IS NULL, false), p.progress
FROM tasks t
JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
LEFT JOIN tenant_users a ON a.tenant_id = t.tenant_id AND a.user_id = t.assigned_to
WHERE t.tenant_id = $1 AND t.task_id = $2`, tx.TenantID(), id).Scan(
		&f.id, &f.project, &f.customer, &f.title, &f.phase, &f.projectName, &f.status, &f.visibility, &f.projectStatus,
		&f.due, &f.completedAt, &f.assignee, &f.assigneeIsContact, &f.progress)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("task for email: %w", err)
	}
	return f, nil
}

func (f *taskFacts) open() bool {
	return f.status != string(onboardiq.StatusCompleted) && f.status != string(onboardiq.StatusCancelled)
}

// projectOpen: not completed, on hold or cancelled.
func projectOpen(status string) bool {
	return status != "completed" && status != "on_hold" && status != "cancelled"
}

// values are the task and project variables of an email about f, for a
// reader in loc.
func (f *taskFacts) values(loc *time.Location) map[string]string {
	return map[string]string{"project_name": f.projectName, "project_progress": percent(f.progress),
		"task_title": f.title, "task_due": dueText(f.due, loc), "task_phase": f.phase}
}

// contactZone is the time zone of an active contact; nil when the user is
// no active contact.
func contactZone(ctx context.Context, tx *Tx, user uuid.UUID, s onboardiq.NotificationSettings) (*time.Location, error) {
	var tz string
	err := tx.QueryRow(ctx, `SELECT time_zone FROM tenant_users WHERE tenant_id = $1 AND user_id = $2 AND role = 'customer' AND disabled_at IS NULL`,
		tx.TenantID(), user).Scan(&tz)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("contact: %w", err)
	}
	return contactLocation(tz, s), nil
}

// EmailTaskAssigned emails the contact to (nil: the task's assignee) that
// the task is now theirs (the event eventID assigned it), unless they
// assigned it to themselves, or it is no longer theirs, open and visible
// to them by the time the fan-out runs. Once per task and event.
func (tx *Tx) EmailTaskAssigned(ctx context.Context, taskID uuid.UUID, assignee *uuid.UUID, eventID int64, actor *uuid.UUID, now time.Time) (string, error) {
	f, err := loadTaskFacts(ctx, tx, taskID)
	if err != nil || f == nil || f.assignee == nil {
		return "", err
	}
	to := *f.assignee
	if (assignee != nil && *assignee != to) || (actor != nil && *actor == to) || !f.assigneeIsContact || !f.open() ||
		f.visibility != string(onboardiq.VisibilityCustomer) || !projectOpen(f.projectStatus) {
		return "", nil
	}
	s, err := loadSettings(ctx, tx)
	if err != nil {
		return "", err
	}
	loc, err := contactZone(ctx, tx, to, s)
	if err != nil || loc == nil {
		return "", err
	}
	return queueContactMail(ctx, tx, ContactMail{Kind: mailtemplate.TaskAssigned, UserID: to,
		Key:    fmt.Sprintf("task_assigned:%s:%d", taskID, eventID),
		Values: f.values(loc), Page: "/tasks/" + taskID.String(), TaskID: &f.id, ProjectID: &f.project}, now)
}

// goLive recognises a phase that is the go-live: its email calls it so.
var goLive = regexp.MustCompile(`(?i)\bgo[- ]?live\b|\blaunch\b`)

// MilestoneName is how a milestone email names a completed phase:
// "Go-live" for a phase whose name says go-live or launch, else the
// phase's name.
func MilestoneName(phase string) string {
	if goLive.MatchString(phase) {
		return "Go-live"
	}
	return phase
}

// EmailPhaseMilestone emails every active contact of the task's customer
// that its phase is complete, when completing the task completed it: every
// task of the phase in the project is completed or cancelled, recently
// (MilestoneRecent), and the project still has open tasks (when it has
// none, the project's own milestone says it all). Once per project, phase
// and contact, so reopening a task and completing it again sends nothing.
// It returns how many emails it queued.
func (tx *Tx) EmailPhaseMilestone(ctx context.Context, taskID uuid.UUID, now time.Time) (int, error) {
	f, err := loadTaskFacts(ctx, tx, taskID)
	if err != nil || f == nil || f.phase == "" || f.status != string(onboardiq.StatusCompleted) ||
		f.completedAt == nil || now.Sub(*f.completedAt) > MilestoneRecent || f.projectStatus == "cancelled" {
		return 0, err
	}
	var phaseOpen, projectOpenTasks int
	if err := tx.QueryRow(ctx, `
SELECT count(*) FILTER (WHERE phase = $3), count(*)
FROM tasks WHERE tenant_id = $1 AND project_id = $2 AND status NOT IN ('completed', 'cancelled')`,
		tx.TenantID(), f.project, f.phase).Scan(&phaseOpen, &projectOpenTasks); err != nil {
		return 0, fmt.Errorf("phase milestone: %w", err)
	}
	if phaseOpen > 0 || projectOpenTasks == 0 {
		return 0, nil
	}
	return emailMilestone(ctx, tx, f.project, f.customer, f.projectName, f.progress, MilestoneName(f.phase),
		"milestone:"+f.project.String()+":phase:"+f.phase, now)
}

// EmailProjectMilestone emails every active contact of the project's
// customer that the whole project is complete, when it is and recently
// (MilestoneRecent). Once per project and contact.
func (tx *Tx) EmailProjectMilestone(ctx context.Context, projectID uuid.UUID, now time.Time) (int, error) {
	var customer uuid.UUID
	var name, status string
	var progress float64
	var completed *time.Time
	err := tx.QueryRow(ctx, `SELECT customer_id, name, status, progress, completed_at FROM projects WHERE tenant_id = $1 AND project_id = $2`,
		tx.TenantID(), projectID).Scan(&customer, &name, &status, &progress, &completed)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("project milestone: %w", err)
	}
	if status != "completed" || completed == nil || now.Sub(*completed) > MilestoneRecent {
		return 0, nil
	}
	return emailMilestone(ctx, tx, projectID, customer, name, progress, "the whole project", "milestone:"+projectID.String()+":project", now)
}

// emailMilestone queues a milestone email to each active contact of
// customer, keyed key:<contact>, with the project's next steps.
func emailMilestone(ctx context.Context, tx *Tx, project, customer uuid.UUID, name string, progress float64, milestone, key string, now time.Time) (int, error) {
	s, err := loadSettings(ctx, tx)
	if err != nil {
		return 0, err
	}
	contacts, err := customerContacts(ctx, tx, customer, s)
	if err != nil || len(contacts) == 0 {
		return 0, err
	}
	steps, err := nextSteps(ctx, tx, []uuid.UUID{project})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range contacts {
		out, err := queueContactMail(ctx, tx, ContactMail{Kind: mailtemplate.Milestone, UserID: c.id, Key: key + ":" + c.id.String(),
			Values: map[string]string{"project_name": name, "project_progress": percent(progress), "milestone": milestone,
				"next_steps": taskList(steps[project], c.loc, "Nothing left to do: the onboarding is complete.")},
			Page: "/projects/" + project.String(), ProjectID: &project}, now)
		if err != nil {
			return n, err
		}
		n += queued(out)
	}
	return n, nil
}

// queued is 1 for an email that will be sent (now or after the quiet
// hours).
func queued(outcome string) int {
	if outcome == MailQueued || outcome == MailQuiet {
		return 1
	}
	return 0
}

// nextSteps reads, for each project, its next tasks on the customer's
// side: the open tasks visible to customers of the earliest phase that
// still has one, at most five, in plan order.
func nextSteps(ctx context.Context, tx *Tx, projects []uuid.UUID) (map[uuid.UUID][]taskItem, error) {
	rows, err := tx.Query(ctx, `
SELECT project_id, phase, description, due_at FROM tasks
WHERE tenant_id = $1 AND project_id = ANY ($2) AND status NOT IN ('completed', 'cancelled') AND visibility = 'customer'
ORDER BY project_id, position, task_id`, tx.TenantID(), projects)
	if err != nil {
		return nil, fmt.Errorf("next steps: %w", err)
	}
	out := map[uuid.UUID][]taskItem{}
	phase := map[uuid.UUID]string{}
	var (
		p        uuid.UUID
		ph, desc string
		due      *time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&p, &ph, &desc, &due}, func() error {
		first, seen := phase[p]
		if !seen {
			phase[p], first = ph, ph
		}
		if ph == first && len(out[p]) < 5 {
			out[p] = append(out[p], taskItem{project: p, title: desc, due: due})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("next steps: %w", err)
	}
	return out, nil
}

// openTasksOf reads the open tasks visible to customers that are assigned
// to each of users, in their open projects (or only in project, when
// given), soonest due first.
func openTasksOf(ctx context.Context, tx *Tx, users []uuid.UUID, project *uuid.UUID) (map[uuid.UUID][]taskItem, error) {
	rows, err := tx.Query(ctx, `
SELECT t.assigned_to, t.project_id, t.description, t.due_at
FROM tasks t
JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
WHERE t.tenant_id = $1 AND t.assigned_to = ANY ($2) AND t.status NOT IN ('completed', 'cancelled') AND t.visibility = 'customer'
  AND p.status NOT IN ('completed', 'on_hold', 'cancelled') AND ($3::uuid IS NULL OR t.project_id = $3)
ORDER BY t.due_at NULLS LAST, t.position, t.task_id`, tx.TenantID(), users, project)
	if err != nil {
		return nil, fmt.Errorf("open tasks: %w", err)
	}
	out := map[uuid.UUID][]taskItem{}
	var (
		u, p uuid.UUID
		desc string
		due  *time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&u, &p, &desc, &due}, func() error {
		out[u] = append(out[u], taskItem{project: p, title: desc, due: due})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open tasks: %w", err)
	}
	return out, nil
}

// EmailWelcome welcomes a contact after their first sign-in (the event
// eventID; an earlier sign-in of theirs means it is not the first) with
// their open tasks in their company's earliest open project. A contact
// whose company has no open project is not welcomed. Once per contact.
func (tx *Tx) EmailWelcome(ctx context.Context, user uuid.UUID, eventID int64, now time.Time) (string, error) {
	var (
		tz      string
		before  bool
		project *uuid.UUID
		name    string
		prog    float64
	)
	// The earlier sign-in is looked for newest first along the events'
	// key: a contact who signed in before is found at their last sign-in.
	err := tx.QueryRow(ctx, `
SELECT u.time_zone,
       EXISTS (SELECT FROM events e WHERE e.tenant_id = $1 AND e.kind = 'auth.signed_in' AND e.actor_user_id = $2 AND e.event_id < $3),
       p.project_id, coalesce(p.name, ''), coalesce(p.progress, 0)
FROM tenant_users u
LEFT JOIN LATERAL (
    SELECT project_id, name, progress FROM projects
    WHERE tenant_id = $1 AND customer_id = u.customer_id AND status NOT IN ('completed', 'on_hold', 'cancelled')
    ORDER BY start_date, project_id LIMIT 1) p ON true
WHERE u.tenant_id = $1 AND u.user_id = $2 AND u.role = 'customer' AND u.disabled_at IS NULL`,
		tx.TenantID(), user, eventID).Scan(&tz, &before, &project, &name, &prog)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("welcome: %w", err)
	}
	if before || project == nil {
		return "", nil
	}
	s, err := loadSettings(ctx, tx)
	if err != nil {
		return "", err
	}
	tasks, err := openTasksOf(ctx, tx, []uuid.UUID{user}, project)
	if err != nil {
		return "", err
	}
	return queueContactMail(ctx, tx, ContactMail{Kind: mailtemplate.Welcome, UserID: user, Key: "welcome:" + user.String(),
		Values: map[string]string{"project_name": name, "project_progress": percent(prog),
			"open_tasks": taskList(tasks[user], contactLocation(tz, s), "No tasks for you yet: we will email you when there is one.")},
		Page: "/projects/" + project.String(), ProjectID: project}, now)
}

// EmailMentioned emails a contact that author mentioned them in comment on
// the task (the event eventID). Whoever may be mentioned was decided by
// the caller (Mentionable); this sends only to an active contact who can
// still see the task. Once per event and contact.
func (tx *Tx) EmailMentioned(ctx context.Context, taskID, user uuid.UUID, eventID int64, author, comment string, now time.Time) (string, error) {
	f, err := loadTaskFacts(ctx, tx, taskID)
	if err != nil || f == nil || f.visibility != string(onboardiq.VisibilityCustomer) {
		return "", err
	}
	s, err := loadSettings(ctx, tx)
	if err != nil {
		return "", err
	}
	loc, err := contactZone(ctx, tx, user, s)
	if err != nil || loc == nil {
		return "", err
	}
	v := f.values(loc)
	v["author_name"], v["comment"] = author, quote(comment)
	return queueContactMail(ctx, tx, ContactMail{Kind: mailtemplate.Mentioned, UserID: user,
		Key:    fmt.Sprintf("contact_mentioned:%d:%s", eventID, user),
		Values: v, Page: "/tasks/" + taskID.String(), TaskID: &f.id, ProjectID: &f.project}, now)
}

// quote is text as a Markdown block quote, its Markdown kept (the mailer
// sanitises the HTML it makes).
func quote(text string) string {
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n")), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}
