package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/journey"
	"github.com/onboardiq/onboardiq/internal/playbook"
)

// Notification kinds of playbooks.
const (
	KindPlaybook   = "playbook"            // a playbook's notify action
	KindEscalation = "playbook_escalation" // a step of an escalation ladder
)

// ActionEnv is what actions need from outside the store.
type ActionEnv struct {
	BaseURL string // the app's public address: survey links
}

// actionResult is how an action went, on its own terms.
type actionResult struct {
	status     string // done, failed or skipped
	outcome    string
	deliveries []uuid.UUID
	created    []uuid.UUID
}

func failed(format string, args ...any) actionResult {
	return actionResult{status: "failed", outcome: fmt.Sprintf(format, args...)}
}

// loadedAction is an action with its run.
type loadedAction struct {
	action onboardiq.PlaybookAction
	status string
	key    string
	run    playbook.Run
	facts  playbook.Facts
}

func loadAction(ctx context.Context, tx *Tx, a PlaybookActionArgs) (*loadedAction, error) {
	l := &loadedAction{}
	var facts []byte
	var evidence []string
	err := tx.QueryRow(ctx, `
SELECT a.action, a.status, a.idempotency_key, r.playbook_id, coalesce(pb.name, ''), r.trigger, r.event_id, r.evidence, r.started_at, r.facts
FROM playbook_actions a
JOIN playbook_runs r ON r.tenant_id = a.tenant_id AND r.run_id = a.run_id
LEFT JOIN playbooks pb ON pb.tenant_id = r.tenant_id AND pb.playbook_id = r.playbook_id
WHERE a.tenant_id = $1 AND a.run_id = $2 AND a.idx = $3
FOR UPDATE OF a`, tx.TenantID(), a.RunID, a.Index).Scan(&l.action, &l.status, &l.key, &l.run.PlaybookID, &l.run.PlaybookName,
		&l.run.Trigger, &l.run.EventID, &evidence, &l.run.At, &facts)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("playbook action: %w", err)
	}
	if err := json.Unmarshal(facts, &l.facts); err != nil {
		return nil, fmt.Errorf("playbook action: facts: %w", err)
	}
	l.run.ID, l.run.Evidence, l.run.Facts = a.RunID, evidence, &l.facts
	return l, nil
}

// DoPlaybookAction does one action of a run, once: the action's row is
// locked, and marked done (or failed, on the action's own terms: no URL,
// no active project) in the transaction that does the work, so a job run
// twice finds it done. The next action is enqueued in the same
// transaction. An error means nothing was done: the job retries.
func (tx *Tx) DoPlaybookAction(ctx context.Context, a PlaybookActionArgs, attempt int, env ActionEnv, now time.Time) error {
	l, err := loadAction(ctx, tx, a)
	if err != nil || l == nil || l.status != "pending" {
		return err // gone with its playbook, or done before
	}
	tx.cause = map[string]any{"playbook_id": l.run.PlaybookID.String(), "playbook_run_id": a.RunID.String()}
	defer func() { tx.cause = nil }()
	r, err := doAction(ctx, tx, l, env, now)
	if err != nil {
		if code := onboardiq.ErrorCode(err); code == onboardiq.EINTERNAL || code == onboardiq.EUNAVAILABLE {
			return err
		}
		r = failed("%s", onboardiq.ErrorMessage(err))
	}
	return finishAction(ctx, tx, a, attempt, r, now)
}

// FailPlaybookAction records that an action's last attempt ended in an
// error, and goes on with the next action: one failing action does not
// stop the others.
func (tx *Tx) FailPlaybookAction(ctx context.Context, a PlaybookActionArgs, attempt int, reason string, now time.Time) error {
	l, err := loadAction(ctx, tx, a)
	if err != nil || l == nil || l.status != "pending" {
		return err
	}
	return finishAction(ctx, tx, a, attempt, failed("gave up after %d attempts: %s", attempt, reason), now)
}

// finishAction records an action's result, enqueues the next action, or
// closes the run after the last.
func finishAction(ctx context.Context, tx *Tx, a PlaybookActionArgs, attempt int, r actionResult, now time.Time) error {
	if r.deliveries == nil {
		r.deliveries = []uuid.UUID{}
	}
	if r.created == nil {
		r.created = []uuid.UUID{}
	}
	if _, err := tx.Exec(ctx, `
UPDATE playbook_actions SET status = $4, outcome = left($5, 2000), attempts = $6, delivery_ids = $7, created_ids = $8, finished_at = $9
WHERE tenant_id = $1 AND run_id = $2 AND idx = $3`, tx.TenantID(), a.RunID, a.Index, r.status, r.outcome, attempt, r.deliveries, r.created, now); err != nil {
		return fmt.Errorf("record action: %w", err)
	}
	var total, failures int
	if err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'failed') FROM playbook_actions WHERE tenant_id = $1 AND run_id = $2`,
		tx.TenantID(), a.RunID).Scan(&total, &failures); err != nil {
		return err
	}
	if a.Index+1 < total {
		return tx.Enqueue(ctx, PlaybookActionArgs{TenantID: a.TenantID, RunID: a.RunID, Index: a.Index + 1})
	}
	status := "done"
	if failures > 0 {
		status = "failed"
	}
	_, err := tx.Exec(ctx, `UPDATE playbook_runs SET status = $3, finished_at = $4 WHERE tenant_id = $1 AND run_id = $2`, tx.TenantID(), a.RunID, status, now)
	return err
}

func doAction(ctx context.Context, tx *Tx, l *loadedAction, env ActionEnv, now time.Time) (actionResult, error) {
	a, f := l.action, &l.facts
	vars := playbook.Vars(l.run)
	switch a.Type {
	case "webhook":
		return webhookAction(ctx, tx, l)
	case "email":
		return emailAction(ctx, tx, l, vars, now)
	case "notify":
		users, err := staffRecipients(ctx, tx, a.To, f)
		if err != nil {
			return actionResult{}, err
		}
		if len(users) == 0 {
			return failed("no one to tell: %s names no active staff user", strings.Join(a.To, ", ")), nil
		}
		title := playbook.Fill(orElse(a.Subject, "Playbook “{{playbook_name}}”: {{customer_name}}"), vars)
		body := playbook.Fill(orElse(a.Body, "{{evidence}}"), vars)
		notified, err := tx.NotifyUsers(ctx, StaffNotice{Kind: KindPlaybook, Title: title, Body: body, ProjectID: projectID(f), Key: l.key,
			Users: userIDs(users), Data: map[string]any{"link": subjectLink(f), "playbook_id": l.run.PlaybookID, "run_id": l.run.ID, "customer_id": f.Customer.ID}}, now)
		if err != nil {
			return actionResult{}, err
		}
		r := actionResult{status: "done", outcome: "notified " + recipientNames(users)}
		for _, n := range notified {
			r.created = append(r.created, n.NotificationID)
		}
		return r, nil
	case "create_task":
		return createTaskAction(ctx, tx, l, vars, now)
	case "start_project":
		var tid uuid.UUID
		err := tx.QueryRow(ctx, `SELECT template_id FROM templates WHERE tenant_id = $1 AND lower(name) = lower($2) ORDER BY created_at LIMIT 1`, tx.TenantID(), a.Template).Scan(&tid)
		if errors.Is(err, pgx.ErrNoRows) {
			return failed("no template is called %q", a.Template), nil
		}
		if err != nil {
			return actionResult{}, err
		}
		pr, err := tx.CreateProject(ctx, onboardiq.NewProject{CustomerID: f.Customer.ID, TemplateID: &tid, Name: f.Customer.Name + ": " + a.Template})
		if err != nil {
			return actionResult{}, err
		}
		return actionResult{status: "done", outcome: fmt.Sprintf("started the project %q from the template %q", pr.Name, a.Template), created: []uuid.UUID{pr.ID}}, nil
	case "set_stage":
		js, err := loadJourney(ctx, tx)
		if err != nil {
			return actionResult{}, err
		}
		if !slices.ContainsFunc(js.Stages, func(s journey.Stage) bool { return s.Key == a.Stage }) {
			return failed("the journey has no stage %q", a.Stage), nil
		}
		current, err := currentStage(ctx, tx, f.Customer.ID)
		if err != nil {
			return actionResult{}, err
		}
		if current == a.Stage {
			return actionResult{status: "done", outcome: "already in " + stageName(js.Stages, a.Stage)}, nil
		}
		if err := moveCustomer(ctx, tx, js, f.Customer.ID, a.Stage, nil, "playbook", "playbook “"+l.run.PlaybookName+"”", l.run.EventID, now); err != nil {
			return actionResult{}, err
		}
		return actionResult{status: "done", outcome: "moved the customer to " + stageName(js.Stages, a.Stage)}, nil
	case "set_field":
		return setFieldAction(ctx, tx, l)
	case "escalate":
		return escalateAction(ctx, tx, l, vars, now)
	case "survey":
		return surveyAction(ctx, tx, l, env, now)
	}
	return failed("unknown action type %q", a.Type), nil
}

func orElse(s, fallback string) string {
	if strings.TrimSpace(s) == "" {
		return fallback
	}
	return s
}

func projectID(f *playbook.Facts) *uuid.UUID {
	if f.Project != nil {
		return &f.Project.ID
	}
	return nil
}

// subjectLink is the console page of a run's subject.
func subjectLink(f *playbook.Facts) string {
	if f.Project != nil {
		return "/app/projects/" + f.Project.ID.String()
	}
	return "/app/customers/" + f.Customer.ID.String()
}

// recipient is a user an action reaches.
type recipient struct {
	id          uuid.UUID
	email, name string
	contact     bool
}

func userIDs(rs []recipient) []uuid.UUID {
	out := make([]uuid.UUID, len(rs))
	for i, r := range rs {
		out[i] = r.id
	}
	return out
}

func recipientNames(rs []recipient) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.name + " <" + r.email + ">"
	}
	return strings.Join(out, ", ")
}

// recipients resolves an action's To entries: "csm", "role:ROLE",
// "user:EMAIL" and, when contacts is true, "contacts" (the customer's
// active contacts) — active users only.
func recipients(ctx context.Context, tx *Tx, to []string, f *playbook.Facts, contacts bool) ([]recipient, error) {
	var csm *uuid.UUID
	var roles, emails []string
	withContacts := false
	for _, t := range to {
		switch {
		case t == "csm":
			if f.Customer.CSM != nil {
				csm = &f.Customer.CSM.ID
			}
		case t == "contacts":
			withContacts = contacts
		case strings.HasPrefix(t, "role:") && strings.TrimPrefix(t, "role:") != string(onboardiq.RoleCustomer):
			roles = append(roles, strings.TrimPrefix(t, "role:"))
		case strings.HasPrefix(t, "user:") && len(t) > len("user:"):
			emails = append(emails, strings.ToLower(strings.TrimPrefix(t, "user:")))
		}
	}
	rows, err := tx.Query(ctx, `
SELECT user_id, email, name, role = 'customer' FROM tenant_users
WHERE tenant_id = $1 AND disabled_at IS NULL
  AND ((role <> 'customer' AND (user_id = $2 OR role = ANY ($3))) OR lower(email) = ANY ($4) OR ($5 AND role = 'customer' AND customer_id = $6))
ORDER BY lower(name), user_id`, tx.TenantID(), csm, roles, emails, withContacts, f.Customer.ID)
	if err != nil {
		return nil, err
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (recipient, error) {
		var x recipient
		return x, r.Scan(&x.id, &x.email, &x.name, &x.contact)
	})
	if err != nil || contacts {
		return all, err
	}
	return slices.DeleteFunc(all, func(r recipient) bool { return r.contact }), nil
}

func staffRecipients(ctx context.Context, tx *Tx, to []string, f *playbook.Facts) ([]recipient, error) {
	return recipients(ctx, tx, to, f, false)
}

// webhookAction queues the playbook's webhook as a delivery: the webhook
// worker sends it through the address guard, signed with the playbook's
// secret, and retries it like any webhook.
func webhookAction(ctx context.Context, tx *Tx, l *loadedAction) (actionResult, error) {
	a := l.action
	if a.URL == "" {
		return failed("no URL is set"), nil
	}
	body, err := playbook.Body(a.Format, l.run)
	if err != nil {
		return failed("could not make the body: %v", err), nil
	}
	var payload map[string]any
	if err := json.Unmarshal(body, &payload); err != nil {
		return actionResult{}, err
	}
	var id uuid.UUID
	err = tx.QueryRow(ctx, `
INSERT INTO deliveries (tenant_id, channel, playbook_id, webhook_format, event_type, payload, recipient, message_id, idempotency_key)
VALUES ($1, 'webhook', $2, $3, 'playbook.triggered', $4, $5, $6, $7)
ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING delivery_id`, tx.TenantID(), l.run.PlaybookID, a.Format, payload, a.URL, newMessageID(), l.key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		if err := tx.QueryRow(ctx, `SELECT delivery_id FROM deliveries WHERE tenant_id = $1 AND idempotency_key = $2`, tx.TenantID(), l.key).Scan(&id); err != nil {
			return actionResult{}, err
		}
		return actionResult{status: "done", outcome: "queued before", deliveries: []uuid.UUID{id}}, nil
	}
	if err != nil {
		return actionResult{}, fmt.Errorf("webhook delivery: %w", err)
	}
	if err := tx.Enqueue(ctx, WebhookArgs{TenantID: tx.TenantID(), DeliveryID: id}); err != nil {
		return actionResult{}, err
	}
	return actionResult{status: "done", outcome: fmt.Sprintf("queued the %s body for %s", a.Format, a.URL), deliveries: []uuid.UUID{id}}, nil
}

// emailAction emails the recipients: contacts from a template of theirs
// (email_template), everyone else (and contacts without a template) the
// action's subject and Markdown body.
func emailAction(ctx context.Context, tx *Tx, l *loadedAction, vars map[string]string, now time.Time) (actionResult, error) {
	a, f := l.action, &l.facts
	names := a.To
	if len(names) == 0 && a.EmailTemplate != "" {
		names = []string{"contacts"} // a template of the emails to contacts goes to them
	}
	to, err := recipients(ctx, tx, names, f, true)
	if err != nil {
		return actionResult{}, err
	}
	if len(to) == 0 {
		return failed("no one to email: %s names no active user", strings.Join(names, ", ")), nil
	}
	var keys []string
	var skipped []string
	for _, r := range to {
		key := l.key + ":" + r.id.String()
		keys = append(keys, key)
		if r.contact && a.EmailTemplate != "" {
			status, err := queueContactMail(ctx, tx, ContactMail{Kind: a.EmailTemplate, UserID: r.id, Key: key, Values: vars, ProjectID: projectID(f)}, now)
			if err != nil {
				return actionResult{}, err
			}
			if status != MailQueued && status != MailQuiet && status != MailDuplicate {
				skipped = append(skipped, r.email+" ("+status+")")
			}
			continue
		}
		if a.Subject == "" && a.Body == "" {
			skipped = append(skipped, r.email+" (the template is for contacts, and the action has no subject and body of its own)")
			continue
		}
		if err := queuePlainMail(ctx, tx, r, playbook.Fill(a.Subject, vars), playbook.Fill(a.Body, vars), key); err != nil {
			return actionResult{}, err
		}
	}
	rows, err := tx.Query(ctx, `SELECT delivery_id FROM deliveries WHERE tenant_id = $1 AND idempotency_key = ANY ($2) ORDER BY created_at, delivery_id`, tx.TenantID(), keys)
	if err != nil {
		return actionResult{}, err
	}
	deliveries, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return actionResult{}, err
	}
	out := fmt.Sprintf("emailed %s", recipientNames(to))
	if len(skipped) > 0 {
		out += "; not sent to " + strings.Join(skipped, ", ")
	}
	return actionResult{status: "done", outcome: out, deliveries: deliveries}, nil
}

// queuePlainMail queues an email of a playbook: its subject and Markdown
// body, in the workspace's branding, to one user.
func queuePlainMail(ctx context.Context, tx *Tx, r recipient, subject, body, key string) error {
	var slug, workspace, accent string
	var undeliverable bool
	if err := tx.QueryRow(ctx, `
SELECT tn.slug, coalesce(nullif(b.portal_name, ''), tn.name), coalesce(b.accent_color, ''),
       (SELECT u.undeliverable_at IS NOT NULL FROM tenant_users u WHERE u.tenant_id = tn.tenant_id AND u.user_id = $2)
FROM tenants tn LEFT JOIN tenant_branding b ON b.tenant_id = tn.tenant_id WHERE tn.tenant_id = $1`, tx.TenantID(), r.id).Scan(&slug, &workspace, &accent, &undeliverable); err != nil {
		return err
	}
	payload := map[string]any{"subject": subject, "text": body, "markdown": body, "kind": KindPlaybook,
		"workspace": workspace, "accent": accent, "portal": "/portal/" + slug}
	status, reason := "pending", ""
	if undeliverable {
		status, reason = "skipped", "not sent: the address is undeliverable (an earlier email bounced)"
	}
	var id uuid.UUID
	err := tx.QueryRow(ctx, `
INSERT INTO deliveries (tenant_id, channel, event_type, payload, recipient, message_id, idempotency_key, user_id, status, last_error)
VALUES ($1, 'email', $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING delivery_id`, tx.TenantID(), KindPlaybook, payload, r.email, newMessageID(), key, r.id, status, nullIfEmpty(reason)).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("playbook mail: %w", err)
	case status == "skipped":
		return nil
	}
	return tx.Enqueue(ctx, EmailArgs{TenantID: tx.TenantID(), DeliveryID: id})
}

// createTaskAction adds a task to the subject's project (a customer's
// active project).
func createTaskAction(ctx context.Context, tx *Tx, l *loadedAction, vars map[string]string, now time.Time) (actionResult, error) {
	a, f := l.action, &l.facts
	if f.Project == nil {
		return failed("the customer has no active project to add the task to"), nil
	}
	patch := onboardiq.TaskPatch{Description: onboardiq.Set(playbook.Fill(a.Task, vars)),
		DueAt: onboardiq.Set(now.AddDate(0, 0, a.DueDays)), Visibility: onboardiq.Set(onboardiq.VisibilityInternal)}
	if a.VisibleToCustomer {
		patch.Visibility = onboardiq.Set(onboardiq.VisibilityCustomer)
	}
	assignee := "the CSM"
	switch {
	case a.Assignee == "" || a.Assignee == "csm":
		if f.Customer.CSM != nil {
			patch.AssignedTo = onboardiq.Set(f.Customer.CSM.ID)
		} else {
			assignee = "no one (the customer has no CSM)"
		}
	default:
		email := a.Assignee[strings.Index(a.Assignee, ":")+1:]
		var id uuid.UUID
		err := tx.QueryRow(ctx, `
SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND lower(email) = lower($2) AND disabled_at IS NULL
  AND (role <> 'customer' OR customer_id = $3)`, tx.TenantID(), email, f.Customer.ID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return failed("no active user %s may be assigned the task", email), nil
		}
		if err != nil {
			return actionResult{}, err
		}
		patch.AssignedTo, assignee = onboardiq.Set(id), email
	}
	t, err := createTask(ctx, tx, onboardiq.SystemPrincipal(tx.TenantID()), f.Project.ID, patch)
	if err != nil {
		return actionResult{}, err
	}
	return actionResult{status: "done", created: []uuid.UUID{t.ID},
		outcome: fmt.Sprintf("created the task %q in %s, assigned to %s, due %s", t.Description, f.Project.Name, assignee, now.AddDate(0, 0, a.DueDays).Format("2006-01-02"))}, nil
}

// setFieldAction sets the customer's segment or lifecycle, or a custom
// field of the subject.
func setFieldAction(ctx context.Context, tx *Tx, l *loadedAction) (actionResult, error) {
	a, f := l.action, &l.facts
	customer := f.Customer.ID
	switch {
	case a.Field == "segment" || a.Field == "lifecycle":
		v, _ := a.Value.(string)
		column, old := "segment", f.Customer.Segment
		if a.Field == "lifecycle" {
			if !onboardiq.LifecycleStatus(v).Valid() {
				return failed("%q is not a lifecycle status", v), nil
			}
			column, old = "lifecycle_status", f.Customer.Lifecycle
		}
		if _, err := tx.Exec(ctx, `UPDATE customers SET `+column+` = $3, updated_at = now() WHERE tenant_id = $1 AND customer_id = $2`, tx.TenantID(), customer, v); err != nil {
			return actionResult{}, err
		}
		if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventCustomerUpdated, CustomerID: &customer,
			Changes: map[string]any{a.Field: map[string]any{"from": old, "to": v}}, Data: map[string]any{"name": f.Customer.Name}}); err != nil {
			return actionResult{}, err
		}
		return actionResult{status: "done", outcome: fmt.Sprintf("set %s to %q", a.Field, v)}, nil
	case strings.HasPrefix(a.Field, "cf."):
		key := strings.TrimPrefix(a.Field, "cf.")
		entity, table, idCol, id := onboardiq.CustomFieldCustomer, "customers", "customer_id", customer
		var project *uuid.UUID
		if l.run.Facts.Project != nil && subjectIsProject(ctx, tx, l.run.ID) {
			entity, table, idCol, id, project = onboardiq.CustomFieldProject, "projects", "project_id", f.Project.ID, &f.Project.ID
		}
		values, err := checkCustomFieldValues(ctx, tx, entity, map[string]any{key: a.Value})
		if err != nil {
			return failed("%s", onboardiq.ErrorMessage(err)), nil
		}
		if _, err := tx.Exec(ctx, `UPDATE `+table+` SET custom_fields = custom_fields || $3::jsonb, updated_at = now() WHERE tenant_id = $1 AND `+idCol+` = $2`,
			tx.TenantID(), id, values); err != nil {
			return actionResult{}, err
		}
		kind := onboardiq.EventCustomerUpdated
		if project != nil {
			kind = onboardiq.EventProjectUpdated
		}
		if err := tx.Emit(ctx, onboardiq.Event{Kind: kind, CustomerID: &customer, ProjectID: project,
			Changes: map[string]any{a.Field: map[string]any{"to": values[key]}}}); err != nil {
			return actionResult{}, err
		}
		return actionResult{status: "done", outcome: fmt.Sprintf("set %s to %v", a.Field, values[key])}, nil
	}
	return failed("cannot set %q", a.Field), nil
}

// subjectIsProject reports whether a run is about a project.
func subjectIsProject(ctx context.Context, tx *Tx, run uuid.UUID) bool {
	var key string
	_ = tx.QueryRow(ctx, `SELECT subject_key FROM playbook_runs WHERE tenant_id = $1 AND run_id = $2`, tx.TenantID(), run).Scan(&key)
	return strings.HasPrefix(key, "project:")
}

// surveyAction asks the customer's contacts for a CSAT or an NPS answer.
func surveyAction(ctx context.Context, tx *Tx, l *loadedAction, env ActionEnv, now time.Time) (actionResult, error) {
	a, f := l.action, &l.facts
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return actionResult{}, err
	}
	contacts, err := customerContacts(ctx, tx, f.Customer.ID, settings)
	if err != nil {
		return actionResult{}, err
	}
	if len(contacts) == 0 {
		return failed("the customer has no active contact to ask"), nil
	}
	ask := SurveyAsk{Kind: a.Survey, Reason: SurveySchedule, Subject: ""}
	if a.Survey == SurveyCSAT {
		ask.Reason = SurveyMilestone
		ask.Subject = f.Customer.Name
		if f.Project != nil {
			ask.ProjectID, ask.Subject = &f.Project.ID, f.Project.Name
		}
	}
	r := actionResult{status: "done"}
	for _, c := range contacts {
		ask.UserID, ask.Key = c.id, l.key+":"+c.id.String()
		id, _, err := tx.RequestSurvey(ctx, ask, env.BaseURL, now)
		if err != nil {
			return actionResult{}, err
		}
		if id != uuid.Nil {
			r.created = append(r.created, id)
		}
	}
	r.outcome = fmt.Sprintf("asked %d of %d contacts for a %s answer (the others were asked lately)", len(r.created), len(contacts), strings.ToUpper(a.Survey))
	if len(r.created) == len(contacts) {
		r.outcome = fmt.Sprintf("asked %d contacts for a %s answer", len(contacts), strings.ToUpper(a.Survey))
	}
	return r, nil
}

// EscalationStepArgs asks for a step of an escalation ladder to be told,
// unless someone acknowledged the escalation.
type EscalationStepArgs struct {
	TenantID     uuid.UUID `json:"tenant_id"`
	EscalationID uuid.UUID `json:"escalation_id"`
	Step         int       `json:"step"` // 1-based
}

// Kind is River's name for the job.
func (EscalationStepArgs) Kind() string { return "playbook_escalation" }

// InsertOpts: one job per step.
func (EscalationStepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: PlaybookActionAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// escalateAction starts an escalation ladder: its first step is told now,
// each next one after its delay unless someone acknowledged.
func escalateAction(ctx context.Context, tx *Tx, l *loadedAction, vars map[string]string, now time.Time) (actionResult, error) {
	a, f := l.action, &l.facts
	title := playbook.Fill(orElse(a.Subject, "Escalation: {{customer_name}}"), vars)
	message := playbook.Fill(orElse(a.Body, "{{evidence}}"), vars)
	var id uuid.UUID
	err := tx.QueryRow(ctx, `
INSERT INTO escalations (tenant_id, run_id, customer_id, project_id, title, message, ladder, step, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) RETURNING escalation_id`,
		tx.TenantID(), l.run.ID, f.Customer.ID, projectID(f), title, message, a.Ladder, now).Scan(&id)
	if err != nil {
		return actionResult{}, fmt.Errorf("escalation: %w", err)
	}
	told, err := tellStep(ctx, tx, id, 1, now)
	if err != nil {
		return actionResult{}, err
	}
	out := "escalated: step 1 told " + orElse(told, "no one (no active user)")
	if len(a.Ladder) > 1 {
		out += fmt.Sprintf("; step 2 (%s) after %d minutes unless acknowledged", a.Ladder[1].To, a.Ladder[1].AfterMinutes)
	}
	return actionResult{status: "done", outcome: out, created: []uuid.UUID{id}}, nil
}

// tellStep notifies step (1-based) of an escalation, records it, and
// schedules the next step.
func tellStep(ctx context.Context, tx *Tx, id uuid.UUID, step int, now time.Time) (string, error) {
	var ladder []onboardiq.EscalationStep
	var customer uuid.UUID
	var project *uuid.UUID
	var title, message string
	if err := tx.QueryRow(ctx, `SELECT ladder, customer_id, project_id, title, message FROM escalations WHERE tenant_id = $1 AND escalation_id = $2`,
		tx.TenantID(), id).Scan(&ladder, &customer, &project, &title, &message); err != nil {
		return "", err
	}
	if step < 1 || step > len(ladder) {
		return "", nil
	}
	f := &playbook.Facts{Customer: playbook.CustomerFacts{ID: customer}}
	var csm *uuid.UUID
	if err := tx.QueryRow(ctx, `SELECT support_member_id FROM customers WHERE tenant_id = $1 AND customer_id = $2`, tx.TenantID(), customer).Scan(&csm); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", err
	}
	if csm != nil {
		f.Customer.CSM = &playbook.Person{ID: *csm}
	}
	users, err := staffRecipients(ctx, tx, []string{ladder[step-1].To}, f)
	if err != nil {
		return "", err
	}
	link := "/app/customers/" + customer.String()
	if project != nil {
		link = "/app/projects/" + project.String()
	}
	body := message
	if step < len(ladder) {
		body += fmt.Sprintf("\n\nAcknowledge it, or it goes to the next person in %d minutes.", ladder[step].AfterMinutes)
	}
	if _, err := tx.NotifyUsers(ctx, StaffNotice{Kind: KindEscalation, Title: title, Body: body, ProjectID: project, Key: fmt.Sprintf("%s:%d", id, step),
		Users: userIDs(users), Data: map[string]any{"escalation_id": id, "step": step, "link": link}}, now); err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `UPDATE escalations SET step = $3 WHERE tenant_id = $1 AND escalation_id = $2`, tx.TenantID(), id, step); err != nil {
		return "", err
	}
	if step < len(ladder) {
		next := EscalationStepArgs{TenantID: tx.TenantID(), EscalationID: id, Step: step + 1}
		if err := tx.EnqueueAt(ctx, next, now.Add(time.Duration(ladder[step].AfterMinutes)*time.Minute)); err != nil {
			return "", err
		}
	}
	return recipientNames(users), nil
}

// EscalatePlaybook tells the next step of an escalation ladder, unless it
// was acknowledged or told before (the escalation job).
func (tx *Tx) EscalatePlaybook(ctx context.Context, a EscalationStepArgs, now time.Time) error {
	var step int
	var acked bool
	err := tx.QueryRow(ctx, `SELECT step, acknowledged_at IS NOT NULL FROM escalations WHERE tenant_id = $1 AND escalation_id = $2 FOR UPDATE`,
		tx.TenantID(), a.EscalationID).Scan(&step, &acked)
	if errors.Is(err, pgx.ErrNoRows) || acked || step >= a.Step {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = tellStep(ctx, tx, a.EscalationID, a.Step, now)
	return err
}
