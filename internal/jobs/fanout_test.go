package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/metrics"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// recorder is a consumer that counts the events it is handed.
type recorder struct {
	mu   sync.Mutex
	seen map[int64]int // event id: times handed over
	kind map[int64]onboardiq.EventKind
}

func (r *recorder) consumer() Consumer {
	return Consumer{Name: "record", Consume: func(_ context.Context, _ *postgres.Tx, e *onboardiq.Event) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.seen[e.ID]++
		r.kind[e.ID] = e.Kind
		return nil
	}}
}

func (r *recorder) has(ids []int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		if r.seen[id] == 0 {
			return false
		}
	}
	return true
}

// TestEveryEventKindReachesTheFanOutOnce produces every kind of event
// through the store, as the API and pages do, and sees each recorded event
// handed to a consumer exactly once by the running workers; the list of
// kinds is the root package's, so a kind added without a way to produce it
// here fails the test.
func TestEveryEventKindReachesTheFanOutOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fanOut(t) // the seed's own events
	ctx := context.Background()
	admin := f.admin
	db := f.db.App
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var mark int64
	must(db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT coalesce(max(event_id), 0) FROM events`).Scan(&mark)
	}))

	// A second tenant: tenant.created (with its admin and token).
	other, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Events Inc", Slug: "events-inc", AdminEmail: "admin@events.example", AdminName: "Eve Admin"})
	must(err)
	// An operator's actions on it: tenant.suspended, resumed,
	// deletion_scheduled and deletion_cancelled.
	operator := onboardiq.NewContextWithOperator(ctx, &onboardiq.Operator{TokenID: uuid.New(), Name: "events"})
	_, err = db.SuspendTenant(operator, other.Tenant.ID, "testing")
	must(err)
	_, err = db.ResumeTenant(operator, other.Tenant.ID)
	must(err)
	_, err = db.ScheduleTenantDeletion(operator, other.Tenant.ID, onboardiq.DefaultDeletionGrace)
	must(err)
	_, err = db.RestoreTenant(operator, other.Tenant.ID)
	must(err)
	// Its tier and quotas (tenant.quotas_changed), and a quota reaching
	// 80%: its API calls (quota.warning).
	starter := "starter"
	_, err = db.SetTenantQuotas(operator, other.Tenant.ID, postgres.QuotaChange{Tier: &starter,
		Overrides: onboardiq.QuotaOverrides{onboardiq.QuotaAPICalls: new(int64(1))}})
	must(err)
	_, err = db.Authenticate(ctx, other.Token)
	must(err)
	must(db.FlushAPICalls(ctx))

	// Customers, a contact, a support member.
	c, err := db.CreateCustomer(admin, onboardiq.NewCustomer{Name: "Eventful Co"})
	must(err)
	_, err = db.UpdateCustomer(admin, c.ID, onboardiq.CustomerPatch{Name: onboardiq.Set("Eventful Company")})
	must(err)
	staff, err := db.ListUsers(admin, postgres.UserFilter{})
	must(err)
	var csm uuid.UUID
	for _, u := range staff.Items {
		if u.Role == onboardiq.RoleCSM {
			csm = u.ID
		}
	}
	_, err = db.AssignSupportMember(admin, c.ID, &csm)
	must(err)
	_, err = db.ArchiveCustomer(admin, c.ID)
	must(err)
	_, err = db.UnarchiveCustomer(admin, c.ID)
	must(err)
	_, _, err = db.AddContact(admin, c.ID, onboardiq.NewContact{Name: "Ivy Invited", Email: "ivy@eventful.example"}, "http://onboardiq.test")
	must(err)
	gone, err := db.CreateCustomer(admin, onboardiq.NewCustomer{Name: "Short-lived Ltd"})
	must(err)
	must(db.DeleteCustomer(admin, gone.ID))

	const password = "correct horse battery staple"
	contact, err := db.CreateUser(admin, onboardiq.NewUser{Email: "pat@eventful.example", Name: "Pat", Role: onboardiq.RoleCustomer, CustomerID: &c.ID, Password: password})
	must(err)
	_, err = db.UpdateUser(admin, contact.ID, onboardiq.UserPatch{Name: onboardiq.Set("Pat Eventful")})
	must(err)
	_, _, err = db.SignIn(ctx, "acme", "pat@eventful.example", password)
	must(err)
	_, tok, err := db.CreateToken(admin, onboardiq.NewToken{UserID: nil, Name: "events", ExpiresAt: nil})
	must(err)
	must(db.RevokeToken(admin, tok.ID))

	// A project and its tasks through every status.
	deadline := time.Now().Add(60 * 24 * time.Hour)
	pr, err := db.CreateProject(admin, onboardiq.NewProject{CustomerID: c.ID, Name: "Eventful onboarding", Deadline: &deadline})
	must(err)
	_, err = db.UpdateProject(admin, pr.ID, onboardiq.ProjectPatch{Description: onboardiq.Set("Every kind of event")})
	must(err)
	// Its lifecycle by hand: on hold, resumed, cancelled, reopened.
	for _, l := range onboardiq.Lifecycles {
		_, err = db.ChangeProjectLifecycle(admin, pr.ID, l, "Waiting for the customer's budget")
		must(err)
	}
	scrap, err := db.CreateProject(admin, onboardiq.NewProject{CustomerID: c.ID, Name: "Scrapped", Deadline: &deadline})
	must(err)
	must(db.DeleteProject(admin, scrap.ID))
	task, err := db.CreateTask(admin, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Connect the data feed")})
	must(err)
	extra, err := db.CreateTask(admin, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Not needed")})
	must(err)
	must(db.DeleteTask(admin, extra.ID))
	update := func(id uuid.UUID, p onboardiq.TaskPatch) {
		t.Helper()
		_, err := db.UpdateTask(admin, id, p)
		must(err)
	}
	update(task.ID, onboardiq.TaskPatch{Details: onboardiq.Set("Use the sandbox first.")})
	update(task.ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusInProgress)})
	update(task.ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusBlocked), BlockedReason: onboardiq.Set("No credentials")})
	update(task.ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)})
	update(task.ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusInProgress)})
	_, err = db.AddComment(admin, task.ID, "Credentials arrived.")
	must(err)
	tasks, err := db.ListTasks(admin, pr.ID, postgres.TaskFilter{ListOptions: onboardiq.ListOptions{Limit: 100}})
	must(err)
	for _, x := range tasks.Items {
		update(x.ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)})
	}
	contactCtx := onboardiq.NewContextWithPrincipal(ctx, &onboardiq.Principal{TenantID: f.tenant, UserID: contact.ID, Role: onboardiq.RoleCustomer, CustomerID: &c.ID})
	_, err = db.RecordQuestion(contactCtx, "Can we import from our old tool?", &pr.ID, nil)
	must(err)
	// Ask my CSM: opened, answered, closed, and reopened by the contact's reply.
	conv, err := db.OpenConversation(contactCtx, onboardiq.NewConversation{Subject: "About: Connect the data feed", Body: "Which format?", TaskID: &task.ID})
	must(err)
	_, err = db.ReplyToConversation(admin, conv.ID, "CSV, please.")
	must(err)
	_, err = db.CloseConversation(admin, conv.ID)
	must(err)
	_, err = db.ReplyToConversation(contactCtx, conv.ID, "One more thing: the delimiter?")
	must(err)

	// The knowledge base and templates.
	a, err := db.CreateArticle(admin, onboardiq.NewArticle{Title: "Event stream", Content: "Every change is recorded once.", Visibility: onboardiq.VisibilityInternal})
	must(err)
	_, err = db.UpdateArticle(admin, a.ID, onboardiq.ArticlePatch{Content: onboardiq.Set("Every change is recorded once, and fanned out.")})
	must(err)
	must(db.DeleteArticle(admin, a.ID))
	tpl, err := db.CreateTemplate(admin, onboardiq.Template{Name: "Events", Tasks: []onboardiq.TemplateTask{{Phase: "Setup", Description: "Kick-off", Side: "vendor"}}})
	must(err)
	tpl.Description = "Renamed plan"
	_, err = db.UpdateTemplate(admin, tpl.ID, *tpl)
	must(err)
	must(db.DeleteTemplate(admin, tpl.ID))

	// Webhooks: one that answers 410 is disabled by its first delivery.
	goneRcv := newReceiver(t, func(int) int { return http.StatusGone })
	f.register(t, goneRcv.URL, string(onboardiq.EventTaskCompleted))
	okRcv := newReceiver(t, nil)
	ep, _ := f.register(t, okRcv.URL)
	_, err = db.UpdateWebhook(admin, ep, onboardiq.WebhookInput{URL: okRcv.URL, AllowHTTP: true, Description: "all events"}, false)
	must(err)
	_, err = db.RotateWebhookSecret(admin, ep)
	must(err)
	dropped, _ := f.register(t, okRcv.URL)
	must(db.DeleteWebhook(admin, dropped))
	update(task.ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusInProgress)})
	update(task.ID, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)})

	// Settings and the assistant's budget.
	s, err := db.GetNotificationSettings(admin)
	must(err)
	s.CooldownHours++
	_, err = db.SetNotificationSettings(admin, s)
	must(err)
	_, err = db.SetHolidays(admin, []onboardiq.Holiday{{Day: "2026-12-25", Name: "Christmas"}})
	must(err)
	budget := int64(1_000_000)
	_, err = db.SetBranding(admin, onboardiq.BrandingInput{PortalName: "Eventful portal", AccentColor: "#aa3300"})
	must(err)
	_, err = db.SetBudget(admin, &budget)
	must(err)
	// An email to contacts, edited (settings.email_template_changed).
	_, err = db.SetEmailTemplate(admin, "task_due_soon", "Due soon: {{task_title}}", "Hello {{contact_first_name}}, {{task_title}} is due {{task_due}}.")
	must(err)
	// Usage events (usage.ingested) and the usage settings (settings.usage_changed).
	_, err = db.IngestUsage(admin, []onboardiq.UsageEventInput{{ID: "evt-1", CustomerID: c.ID.String(), Name: "login", OccurredAt: time.Now().Add(-time.Minute).Format(time.RFC3339)}})
	must(err)
	_, err = db.SetUsageSettings(admin, postgres.UsageSettings{CoreFeatures: []string{"login"}})
	must(err)
	// A milestone (settings.milestones_changed) the login reached
	// (milestone.reached), evaluated here so that the fan-out of the usage
	// finds it reached already.
	_, err = db.CreateMilestone(admin, postgres.MilestoneInput{Name: "First login", Milestone: metrics.Milestone{Event: "login"}, FirstValue: true})
	must(err)
	must(db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		hits, err := tx.EvaluateMilestones(ctx, []uuid.UUID{c.ID})
		if err == nil && len(hits) != 1 {
			t.Errorf("%d milestones reached, want the first login", len(hits))
		}
		return err
	}))
	// A custom field defined (settings.custom_fields_changed).
	_, err = db.CreateCustomField(admin, onboardiq.NewCustomField{Entity: onboardiq.CustomFieldCustomer, Key: "plan", Label: "Plan", Type: onboardiq.CustomFieldText})
	must(err)
	// Surveys: the settings (settings.surveys_changed), an NPS survey to
	// Pat (survey.requested) answered in the portal (survey.answered).
	_, err = db.SetSurveySettings(admin, postgres.SurveySettings{CSATOnCompletion: true, CSATOnMilestones: true, NPSIntervalDays: 180})
	must(err)
	var survey uuid.UUID
	must(db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		survey, _, err = tx.RequestSurvey(ctx, postgres.SurveyAsk{Kind: postgres.SurveyNPS, Reason: postgres.SurveySchedule, UserID: contact.ID, Key: "nps:events"},
			"http://onboardiq.test", time.Now())
		return err
	}))
	_, err = db.AnswerSurvey(contactCtx, survey, 9, "Smooth", time.Now())
	must(err)

	// Playbooks: one created, enabled and deleted (playbook.created,
	// playbook.updated, playbook.deleted); an escalation of another
	// acknowledged (escalation.acknowledged).
	notifyCSM := onboardiq.Playbook{Name: "Blocked tasks", Subject: "customer", Trigger: onboardiq.PlaybookTrigger{Event: string(onboardiq.EventTaskBlocked)},
		Actions: []onboardiq.PlaybookAction{{Type: "notify", To: []string{"csm"}, Subject: "Blocked: {{task_title}}"}}}
	pb, err := db.CreatePlaybook(admin, notifyCSM)
	must(err)
	_, err = db.SetPlaybookEnabled(admin, pb.ID, true)
	must(err)
	must(db.DeletePlaybook(admin, pb.ID))
	notifyCSM.Name = "Escalations"
	pb, err = db.CreatePlaybook(admin, notifyCSM)
	must(err)
	escalation := uuid.New()
	must(db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		run := uuid.New()
		if _, err := tx.Exec(ctx, `INSERT INTO playbook_runs (tenant_id, run_id, playbook_id, trigger, trigger_key, subject_key, customer_id, status)
VALUES ($1, $2, $3, 'manual', 'manual:events', 'customer:events', $4, 'done')`, f.tenant, run, pb.ID, c.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO escalations (tenant_id, escalation_id, run_id, customer_id, title, message, ladder, step)
VALUES ($1, $2, $3, $4, 'Overdue', 'Overdue', '[{"to": "csm", "after_minutes": 0}]', 1)`, f.tenant, escalation, run, c.ID)
		return err
	}))
	_, err = db.AcknowledgeEscalation(admin, escalation)
	must(err)
	// A CRM connection set up (settings.crm_changed).
	_, _, err = db.SetCRMConnection(admin, onboardiq.CRMGeneric, onboardiq.CRMConnectionInput{Enabled: true})
	must(err)

	// A stored score that the usage above changes when the health consumer
	// rescores (customer.health_level_changed, customer.health_dropped).
	must(db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO customer_health (tenant_id, customer_id, score, level, computed_at) VALUES ($1, $2, 100, 'healthy', now())`, f.tenant, c.ID)
		return err
	}))

	// The scan: Initech is overdue; Globex's rollout, pulled in, is at risk.
	f.count(t, `WITH m AS (UPDATE projects SET deadline = now() + interval '7 days' WHERE name = 'Globex platform rollout' RETURNING 1) SELECT count(*) FROM m`)
	_, err = db.ScanOne(ctx, f.tenant, time.Now())
	must(err)

	rec := &recorder{seen: map[int64]int{}, kind: map[int64]onboardiq.EventKind{}}
	runner, err := Start(ctx, Deps{DB: db, Embedder: ai.Local{}, Logger: slog.New(slog.DiscardHandler), Mailer: f.mailer, Webhooks: f.hooks,
		ScanInterval: time.Hour, Consumers: []Consumer{rec.consumer()}}, 4)
	must(err)
	defer runner.Stop(5 * time.Second)

	// Every event recorded since the mark (and the new tenant's) reaches
	// the consumer; webhook.disabled follows the 410, so it is waited for.
	events := func() (ids []int64, kinds map[onboardiq.EventKind]int) {
		kinds = map[onboardiq.EventKind]int{}
		for _, tenant := range []uuid.UUID{f.tenant, other.Tenant.ID} {
			must(db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
				rows, err := tx.Query(ctx, `SELECT event_id, kind FROM events WHERE event_id > $1 ORDER BY event_id`, mark)
				if err != nil {
					return err
				}
				var id int64
				var k onboardiq.EventKind
				_, err = pgx.ForEachRow(rows, []any{&id, &k}, func() error {
					ids = append(ids, id)
					kinds[k]++
					return nil
				})
				return err
			}))
		}
		return ids, kinds
	}
	deadlineWait := time.Now().Add(60 * time.Second)
	var ids []int64
	var kinds map[onboardiq.EventKind]int
	for {
		ids, kinds = events()
		if (kinds[onboardiq.EventWebhookDisabled] > 0 && rec.has(ids)) || time.Now().After(deadlineWait) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // room for a second, wrong, hand-over
	for _, k := range onboardiq.EventKinds {
		if kinds[k] == 0 {
			t.Errorf("no %s event was produced", k)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, id := range ids {
		if n := rec.seen[id]; n != 1 {
			t.Errorf("event %d (%s) reached the consumer %d times, want once", id, rec.kind[id], n)
		}
	}
}

// TestFanOutTwicePublishesOnce: the fan-out of one event, run again (a
// retry after a consumer failed, or a rescued job), queues no second
// delivery; an endpoint registered after the event gets none of it.
func TestFanOutTwicePublishesOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fanOut(t)
	ctx := context.Background()
	f.register(t, newReceiver(t, nil).URL)
	var id int64
	if err := f.db.App.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventProjectCompleted, Data: map[string]any{"name": "Rollout"}}); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT max(event_id) FROM events`).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	late := newReceiver(t, nil)
	time.Sleep(10 * time.Millisecond)
	lateEP, _ := f.register(t, late.URL)
	w := &FanOutWorker{DB: f.db.App, Consumers: consumers(Deps{})}
	for range 3 {
		if err := w.Work(ctx, job(postgres.EventArgs{TenantID: f.tenant, EventID: id}, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM deliveries WHERE event_id = $1`, id); n != 2 {
		t.Errorf("%d deliveries of a completion, want 2 (status_changed and completed, once each)", n)
	}
	if n := f.count(t, `SELECT count(*) FROM deliveries WHERE endpoint_id = $1`, lateEP); n != 0 {
		t.Errorf("an endpoint registered after the event got %d deliveries of it", n)
	}
	if n := len(f.pending(t, "webhook")); n != 2 {
		t.Errorf("%d webhook jobs, want 2", n)
	}
	// An event whose tenant's log no longer has it is done, not retried.
	if err := w.Work(ctx, job(postgres.EventArgs{TenantID: f.tenant, EventID: id + 1_000_000}, 1)); err != nil {
		t.Errorf("a missing event: %v", err)
	}
}

// TestFanOutInBatches: an import's events get one fan-out job per
// EventBatch, naming each event once; the batch hands every event to the
// consumers in a transaction of its own, and one that fails goes to a job
// of its own while the others are done.
func TestFanOutInBatches(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fanOut(t) // the seed's own events
	ctx := context.Background()
	const n = postgres.EventBatch*2 + 1
	mark := f.count(t, `SELECT coalesce(max(event_id), 0) FROM events`)
	var csv strings.Builder
	csv.WriteString("name\n")
	for i := range n {
		fmt.Fprintf(&csv, "Batch customer %04d\n", i)
	}
	r, err := f.db.App.ImportNow(f.admin, []byte(csv.String()), onboardiq.ImportOptions{Kind: onboardiq.ImportCustomers}, "", nil)
	if err != nil || r.Counts.Create != n {
		t.Fatalf("import: %+v, %v", r, err)
	}
	var events []int64
	if err := f.db.App.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT array_agg(event_id ORDER BY event_id) FROM events WHERE kind = $1 AND event_id > $2`,
			onboardiq.EventCustomerCreated, mark).Scan(&events)
	}); err != nil {
		t.Fatal(err)
	}
	rows, err := f.db.App.Pool.Query(ctx, `SELECT args FROM river_job WHERE kind = 'event' AND args->>'tenant_id' = $1 AND state = 'available' ORDER BY id`, f.tenant.String())
	if err != nil {
		t.Fatal(err)
	}
	all, err := pgx.CollectRows(rows, pgx.RowTo[postgres.EventArgs])
	if err != nil {
		t.Fatal(err)
	}
	var batches []postgres.EventArgs // the others are the import's own events
	named := map[int64]int{}
	for _, b := range all {
		if len(b.EventIDs) > 0 {
			batches = append(batches, b)
		}
		for _, id := range b.IDs() {
			named[id]++
		}
	}
	if len(batches) != 3 || len(events) != n {
		t.Fatalf("%d batches for %d customer.created events, want 3 for %d", len(batches), len(events), n)
	}
	for _, id := range events {
		if named[id] != 1 {
			t.Errorf("event %d is named by %d jobs, want 1", id, named[id])
		}
	}

	// The first batch, with a consumer that fails on one of its events.
	rec := &recorder{seen: map[int64]int{}, kind: map[int64]onboardiq.EventKind{}}
	bad, panics := batches[0].EventIDs[7], batches[0].EventIDs[8]
	failing := Consumer{Name: "failing", Consume: func(_ context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
		if _, err := tx.Exec(ctx, `UPDATE customers SET segment = 'fanned' WHERE tenant_id = $1 AND customer_id = $2`, tx.TenantID(), e.CustomerID); err != nil {
			return err
		}
		switch e.ID {
		case bad:
			return errors.New("down")
		case panics:
			panic("a consumer's bug")
		}
		return nil
	}}
	w := &FanOutWorker{DB: f.db.App, Consumers: []Consumer{rec.consumer(), failing}}
	if err := w.Work(ctx, job(batches[0], 1)); err != nil {
		t.Fatalf("the batch failed with one of its events: %v", err)
	}
	for _, id := range batches[0].EventIDs {
		if rec.seen[id] != 1 {
			t.Errorf("event %d was handed over %d times, want once", id, rec.seen[id])
		}
	}
	if got := f.count(t, `SELECT count(*) FROM customers WHERE segment = 'fanned'`); got != len(batches[0].EventIDs)-2 {
		t.Errorf("%d events' writes committed, want all but the two failed ones' (%d): each event has its own transaction", got, len(batches[0].EventIDs)-2)
	}
	for _, id := range []int64{bad, panics} {
		if got := f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'event' AND (args->>'event_id')::bigint = $1`, id); got != 1 {
			t.Errorf("the failed event %d has %d jobs of its own, want 1", id, got)
		}
	}

	// A batch short of time hands the events it has not reached to a new
	// job, and ends well (River rescues a job that overruns RescueAfter).
	short, cancel := context.WithTimeout(ctx, 50*time.Second)
	defer cancel()
	if err := w.Work(short, job(batches[1], 1)); err != nil {
		t.Fatalf("a batch short of time: %v", err)
	}
	if rec.seen[batches[1].EventIDs[0]] != 0 {
		t.Error("a batch short of time fanned out an event")
	}
	if got := f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'event' AND args->'event_ids' = $1::jsonb`, batches[1].EventIDs); got != 2 {
		t.Errorf("%d jobs name the second batch's events, want 2: its own and the one it handed them to", got)
	}
}
