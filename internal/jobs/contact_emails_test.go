package jobs

import (
	"context"
	"maps"
	"mime"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
	"github.com/onboardiq/onboardiq/internal/mailtest"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

const inboundDomain = "in.acme.test"

// mailFixture is the jobs fixture (the demo workspace) with the seed's own
// events fanned out, a loopback SMTP server (internal/mailtest) and an
// email worker sending to it, with replies by email on.
type mailFixture struct {
	*fixture
	srv    *mailtest.Server
	worker *EmailWorker
}

func newMailFixture(t *testing.T) *mailFixture {
	t.Helper()
	f := newFixture(t)
	f.fanOut(t)
	srv := mailtest.New(t)
	return &mailFixture{fixture: f, srv: srv, worker: &EmailWorker{DB: f.db.App, Mailer: &notify.Mailer{
		SMTPURL: srv.URL(), From: "OnboardIQ <onboardiq@acme.example>", BaseURL: "http://onboardiq.test", InboundDomain: inboundDomain}}}
}

// pendingStaffEmails lists the queued email jobs of the tenant that carry
// a notification (staff's), leaving out emails to contacts.
func (f *fixture) pendingStaffEmails(t *testing.T) []uuid.UUID {
	t.Helper()
	var out []uuid.UUID
	for _, id := range f.pending(t, "email") {
		if d := f.delivery(t, id); d.NotificationID != nil {
			out = append(out, id)
		}
	}
	return out
}

// send works every queued email job of the tenant now (quiet hours or
// not), as the running workers would, and returns the messages that
// reached the server meanwhile.
func (m *mailFixture) send(t *testing.T) []mailtest.Message {
	t.Helper()
	ctx := context.Background()
	before := len(m.srv.Messages())
	rows, err := m.db.App.Pool.Query(ctx, `
SELECT id, (args->>'delivery_id')::uuid FROM river_job WHERE kind = 'email' AND args->>'tenant_id' = $1 AND state IN ('available', 'scheduled') ORDER BY id`,
		m.tenant.String())
	if err != nil {
		t.Fatal(err)
	}
	type pendingJob struct {
		Job      int64
		Delivery uuid.UUID
	}
	jobs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[pendingJob])
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if err := m.worker.Work(ctx, job(postgres.EmailArgs{TenantID: m.tenant, DeliveryID: j.Delivery}, 1)); err != nil {
			t.Fatalf("email %s: %v", j.Delivery, err)
		}
		if _, err := m.db.App.Pool.Exec(ctx, `UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id = $1`, j.Job); err != nil {
			t.Fatal(err)
		}
	}
	return m.srv.Messages()[before:]
}

// to returns the messages to the address.
func to(msgs []mailtest.Message, addr string) []mailtest.Message {
	var out []mailtest.Message
	for _, m := range msgs {
		for _, r := range m.To {
			if strings.EqualFold(r, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// contactMails counts the tenant's emails to contacts by "kind recipient",
// with " status" when not pending or delivered, for the deliveries whose
// key starts with prefix ("" for all).
func (f *fixture) contactMails(t *testing.T, prefix string) map[string]int {
	t.Helper()
	return f.contactMailsAt(t, prefix, "")
}

// contactMailsAt is contactMails for the recipients at domain ("" for
// all).
func (f *fixture) contactMailsAt(t *testing.T, prefix, domain string) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `
SELECT event_type || ' ' || recipient || CASE WHEN status IN ('pending', 'delivered') THEN '' ELSE ' ' || status END, count(*)
FROM deliveries WHERE user_id IS NOT NULL AND idempotency_key LIKE $1 || '%' AND recipient LIKE '%' || $2 GROUP BY 1`, prefix, domain)
		if err != nil {
			return err
		}
		var k string
		var n int
		_, err = pgx.ForEachRow(rows, []any{&k, &n}, func() error { out[k] = n; return nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var emailLink = regexp.MustCompile(`http://onboardiq\.test/portal/acme/magic\?next=([^&\s"<>]+)&(?:amp;)?token=(oiql_[0-9a-f]{32}_[A-Za-z0-9_-]{43})`)

// follow opens the one-click link of an email as the Continue page's POST
// does: it must sign its recipient in, and name the page it lands on.
func (f *fixture) follow(t *testing.T, msg mailtest.Message, wantPage string) *onboardiq.Principal {
	t.Helper()
	m := emailLink.FindStringSubmatch(msg.Data)
	if m == nil {
		t.Fatalf("no sign-in link in the email to %v:\n%s", msg.To, msg.Data)
	}
	next, err := url.QueryUnescape(m[1])
	if err != nil || postgres.SafePortalPage(next) != wantPage {
		t.Errorf("the link lands on %q, want %q", next, wantPage)
	}
	_, p, err := f.db.App.SignInWithLink(context.Background(), "acme", m[2])
	if err != nil {
		t.Fatalf("the emailed link: %v", err)
	}
	if len(msg.To) != 1 || !strings.EqualFold(p.Email, msg.To[0]) || !p.IsCustomer() {
		t.Errorf("the link of the email to %v signed in %s (%s)", msg.To, p.Email, p.Role)
	}
	return p
}

// userID is the id of the tenant's user with this email.
func (f *fixture) userID(t *testing.T, email string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE email = $1`, email).Scan(&id)
	})
	if err != nil {
		t.Fatalf("%s: %v", email, err)
	}
	return id
}

// exec runs a statement in the tenant.
func (f *fixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// projectID is the id of the project with this name.
func (f *fixture) projectID(t *testing.T, name string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT project_id FROM projects WHERE name = $1`, name).Scan(&id)
	})
	if err != nil {
		t.Fatalf("project %s: %v", name, err)
	}
	return id
}

// openTasks lists the open tasks of a project by phase, in plan order.
func (f *fixture) openTasks(t *testing.T, project uuid.UUID, phase string) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `SELECT task_id FROM tasks WHERE project_id = $1 AND ($2 = '' OR phase = $2) AND status NOT IN ('completed', 'cancelled') ORDER BY position`, project, phase)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func (f *fixture) setStatus(t *testing.T, ctx context.Context, task uuid.UUID, s onboardiq.Status) {
	t.Helper()
	if _, err := f.db.App.UpdateTask(ctx, task, onboardiq.TaskPatch{Status: onboardiq.Set(s)}); err != nil {
		t.Fatalf("task %s to %s: %v", task, s, err)
	}
}

// header is a header of msg, unfolded and decoded.
func header(msg mailtest.Message, name string) string {
	m, err := netmail.ReadMessage(strings.NewReader(msg.Data))
	if err != nil {
		return ""
	}
	v, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get(name))
	if err != nil {
		return m.Header.Get(name)
	}
	return v
}

// TestTaskAssignedEmail: a task assigned to a contact (created so, or
// changed to them) emails them once, however often the fan-out runs, with
// the task's due date in their time zone, a Reply-To for replies by email
// and a link that signs them in on the task; a task assigned to staff, or
// to a contact by themselves, emails no contact. The unsubscribe link
// turns the kind off, and the next assignment sends nothing.
func TestTaskAssignedEmail(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	hannah, omar := m.userID(t, "hannah.becker@globex.example"), m.userID(t, "omar.aziz@globex.example")
	m.exec(t, `UPDATE tenant_users SET time_zone = 'Pacific/Auckland' WHERE user_id = $1`, hannah)
	project := m.projectID(t, "Globex platform rollout")
	due := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC) // Tue 8 Dec in Auckland
	task, err := m.db.App.CreateTask(m.admin, project, onboardiq.TaskPatch{Description: onboardiq.Set("Send the SSO metadata"),
		Phase: onboardiq.Set("Technical setup"), AssignedTo: onboardiq.Set(hannah), DueAt: onboardiq.Set(due)})
	if err != nil {
		t.Fatal(err)
	}
	m.fanOut(t)
	m.fanOutAgain(t)
	if got, want := m.contactMails(t, "task_assigned:"), map[string]int{"task_assigned hannah.becker@globex.example": 1}; !maps.Equal(got, want) {
		t.Fatalf("emails after the task was created for Hannah: %v, want %v", got, want)
	}
	sent := to(m.send(t), "hannah.becker@globex.example")
	if len(sent) != 1 {
		t.Fatalf("%d emails reached Hannah", len(sent))
	}
	msg := sent[0]
	if s := header(msg, "Subject"); s != "New task for you: Send the SSO metadata" {
		t.Errorf("subject %q", s)
	}
	if !strings.Contains(msg.Data, "Send the SSO metadata in Globex platform rollout is now yours. Due: Tue 8 Dec 2026.") {
		t.Errorf("the email lacks the task and its due date in Hannah's zone:\n%s", msg.Data)
	}
	if u := header(msg, "List-Unsubscribe"); !strings.HasPrefix(u, "<http://onboardiq.test/portal/acme/unsubscribe?token=") {
		t.Errorf("List-Unsubscribe %q", u)
	}
	if rt := header(msg, "Reply-To"); !strings.HasPrefix(rt, "<reply+") || !strings.HasSuffix(rt, "@"+inboundDomain+">") {
		t.Errorf("Reply-To %q, want a reply address at %s", rt, inboundDomain)
	}
	if p := m.follow(t, msg, "/tasks/"+task.ID.String()); p.UserID != hannah {
		t.Errorf("the link signed in %s", p.Email)
	}

	// Reassigned to Omar: his own email; Hannah's stays one.
	if _, err := m.db.App.UpdateTask(m.admin, task.ID, onboardiq.TaskPatch{AssignedTo: onboardiq.Set(omar)}); err != nil {
		t.Fatal(err)
	}
	// Staff-owned, and edits that do not reassign: no email.
	priya := m.userID(t, "priya.shah@acme.example")
	if _, err := m.db.App.CreateTask(m.admin, project, onboardiq.TaskPatch{Description: onboardiq.Set("Provision the sandbox"), AssignedTo: onboardiq.Set(priya)}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.db.App.UpdateTask(m.admin, task.ID, onboardiq.TaskPatch{Details: onboardiq.Set("The XML file from your IdP.")}); err != nil {
		t.Fatal(err)
	}
	m.fanOut(t)
	m.fanOutAgain(t)
	want := map[string]int{"task_assigned hannah.becker@globex.example": 1, "task_assigned omar.aziz@globex.example": 1}
	if got := m.contactMails(t, "task_assigned:"); !maps.Equal(got, want) {
		t.Fatalf("emails after reassigning to Omar: %v, want %v", got, want)
	}
	sent = to(m.send(t), "omar.aziz@globex.example")
	if len(sent) != 1 || !strings.Contains(sent[0].Data, "Due: Mon 7 Dec 2026.") { // Omar reads in the workspace's zone (UTC)
		t.Fatalf("Omar's email: %v", sent)
	}

	// Omar unsubscribes with the link in it: the next assignment sends
	// nothing.
	unsub := regexp.MustCompile(`/portal/acme/unsubscribe\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(header(sent[0], "List-Unsubscribe"))
	if unsub == nil {
		t.Fatalf("no unsubscribe link: %q", header(sent[0], "List-Unsubscribe"))
	}
	if u, err := m.db.App.Unsubscribe(context.Background(), unsub[1], false); err != nil || u.Kind != mailtemplate.TaskAssigned {
		t.Fatalf("unsubscribe: %+v %v", u, err)
	}
	if _, err := m.db.App.CreateTask(m.admin, project, onboardiq.TaskPatch{Description: onboardiq.Set("Approve the data mapping"), AssignedTo: onboardiq.Set(omar)}); err != nil {
		t.Fatal(err)
	}
	m.fanOut(t)
	if got := m.contactMails(t, "task_assigned:"); !maps.Equal(got, want) {
		t.Errorf("emails after Omar unsubscribed: %v, want %v (unchanged)", got, want)
	}
}

// TestMilestoneEmails: completing the last open task of a phase emails
// every contact of the customer the milestone once, with the next steps
// and a link to the project; reopening and completing it again sends
// nothing more. A go-live phase is announced as "Go-live", and the
// project's completion as "the whole project" (not as its last phase).
// A contact who turned milestones off gets none.
func TestMilestoneEmails(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	project := m.projectID(t, "Umbrella Retail pilot")
	priya := m.as(t, "priya.shah@acme.example")
	kickoff := m.openTasks(t, project, "Kickoff")
	if len(kickoff) != 4 {
		t.Fatalf("%d open kickoff tasks in the demo's pilot, want 4", len(kickoff))
	}
	// The third is the contact's (the template's customer side).
	for _, id := range []uuid.UUID{kickoff[0], kickoff[1], kickoff[3]} {
		m.setStatus(t, priya, id, onboardiq.StatusCompleted)
	}
	m.fanOut(t)
	if got := m.contactMails(t, "milestone:"); len(got) != 0 {
		t.Fatalf("milestone emails before the phase was complete: %v", got)
	}
	// The contact completes the last one in the portal.
	tom := m.as(t, "tom.fischer@umbrella.example")
	m.setStatus(t, tom, kickoff[2], onboardiq.StatusCompleted)
	m.fanOut(t)
	m.fanOutAgain(t)
	want := map[string]int{"milestone tom.fischer@umbrella.example": 1}
	if got := m.contactMails(t, "milestone:"); !maps.Equal(got, want) {
		t.Fatalf("milestone emails: %v, want %v", got, want)
	}
	sent := to(m.send(t), "tom.fischer@umbrella.example")
	if len(sent) != 1 {
		t.Fatalf("%d emails reached Tom", len(sent))
	}
	if s := header(sent[0], "Subject"); s != "Umbrella Retail pilot: Kickoff done" {
		t.Errorf("subject %q", s)
	}
	for _, w := range []string{"Kickoff is complete. Umbrella Retail pilot is 20% done.",
		"- Create the production workspace (due "} {
		if !strings.Contains(sent[0].Data, w) {
			t.Errorf("the milestone email lacks %q:\n%s", w, sent[0].Data)
		}
	}
	m.follow(t, sent[0], "/projects/"+project.String())

	// Reopened and completed again: nothing more.
	m.setStatus(t, priya, kickoff[2], onboardiq.StatusInProgress)
	m.setStatus(t, priya, kickoff[2], onboardiq.StatusCompleted)
	m.fanOut(t)
	if got := m.contactMails(t, "milestone:"); !maps.Equal(got, want) {
		t.Errorf("after reopening and completing again: %v, want %v", got, want)
	}

	// Globex: Omar turned milestones off; the go-live phase, then the
	// project.
	omar := m.userID(t, "omar.aziz@globex.example")
	m.exec(t, `INSERT INTO notification_preferences (tenant_id, user_id, kind, in_app, email) VALUES ($1, $2, 'milestone', true, 'off')`, m.tenant, omar)
	globex := m.projectID(t, "Globex platform rollout")
	for _, phase := range []string{"Kickoff", "Technical setup", "Training", "Go-live"} {
		for _, id := range m.openTasks(t, globex, phase) {
			m.setStatus(t, m.admin, id, onboardiq.StatusCompleted)
		}
	}
	m.fanOut(t)
	want = map[string]int{"milestone hannah.becker@globex.example": 1}
	if got := m.contactMails(t, "milestone:"+globex.String()+":phase:Go-live"); !maps.Equal(got, want) {
		t.Errorf("go-live emails: %v, want %v", got, want)
	}
	var subjects []string
	for _, msg := range to(m.send(t), "hannah.becker@globex.example") {
		subjects = append(subjects, header(msg, "Subject"))
	}
	if !strings.Contains(strings.Join(subjects, "|"), "Globex platform rollout: Go-live done") {
		t.Errorf("Hannah's subjects: %q, want a Go-live", subjects)
	}
	for _, id := range m.openTasks(t, globex, "") {
		m.setStatus(t, m.admin, id, onboardiq.StatusCompleted)
	}
	m.fanOut(t)
	if got := m.contactMails(t, "milestone:"+globex.String()+":project"); !maps.Equal(got, want) {
		t.Errorf("project completed: %v, want %v", got, want)
	}
	if got := m.contactMails(t, "milestone:"+globex.String()+":phase:Post-launch"); len(got) != 0 {
		t.Errorf("the last phase was announced beside the project: %v", got)
	}
	sent = to(m.send(t), "hannah.becker@globex.example")
	if len(sent) != 1 || header(sent[0], "Subject") != "Globex platform rollout: the whole project done" {
		t.Errorf("the project's email: %v", sent)
	}
}

func TestMilestoneName(t *testing.T) {
	t.Parallel()
	for phase, want := range map[string]string{"Go-live": "Go-live", "go live week": "Go-live", "Launch": "Go-live", "GoLive": "Go-live",
		"Kickoff": "Kickoff", "Post-launch": "Go-live", "Golivery": "Golivery"} {
		if got := postgres.MilestoneName(phase); got != want {
			t.Errorf("MilestoneName(%q) = %q, want %q", phase, got, want)
		}
	}
}

// TestWelcomeOnFirstSignIn: a contact's first sign-in emails them a
// welcome listing their open tasks, linking their project; a second
// sign-in sends nothing.
func TestWelcomeOnFirstSignIn(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	ctx := context.Background()
	signIn := func() {
		t.Helper()
		link, err := m.db.App.SendLoginLink(ctx, "acme", "tom.fischer@umbrella.example", postgres.LinkSignIn, "http://onboardiq.test")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.db.App.SignInWithLink(ctx, "acme", emailedToken.FindStringSubmatch(link.URL)[1]); err != nil {
			t.Fatal(err)
		}
		m.fanOut(t)
	}
	signIn()
	signIn()
	m.fanOutAgain(t)
	if got, want := m.contactMails(t, "welcome:"), map[string]int{"welcome tom.fischer@umbrella.example": 1}; !maps.Equal(got, want) {
		t.Fatalf("welcome emails: %v, want %v", got, want)
	}
	var welcome []mailtest.Message
	for _, msg := range to(m.send(t), "tom.fischer@umbrella.example") {
		if strings.HasPrefix(header(msg, "Subject"), "Welcome to") {
			welcome = append(welcome, msg)
		}
	}
	if len(welcome) != 1 || header(welcome[0], "Subject") != "Welcome to Umbrella Retail pilot" ||
		!strings.Contains(welcome[0].Data, "- Name a project owner and a technical contact (due ") {
		t.Fatalf("the welcome: %v", welcome)
	}
	m.follow(t, welcome[0], "/projects/"+m.projectID(t, "Umbrella Retail pilot").String())
}

// TestMentionEmailsContact: a comment that mentions a contact emails them
// (once, however often the fan-out runs) with the comment and a link to
// the task; mentioned staff, a contact of another customer, and the
// author get no such email. Without an inbound domain it has no Reply-To.
func TestMentionEmailsContact(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	m.worker.Mailer.InboundDomain = "" // replies by email off
	project := m.projectID(t, "Umbrella Retail pilot")
	task := m.openTasks(t, project, "Kickoff")[1] // the kickoff call, visible to customers
	if _, err := m.db.App.AddComment(m.as(t, "priya.shah@acme.example"), task,
		"@Tom Fischer can you confirm *Tuesday*? cc @Dana Whitfield @Hannah Becker"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.db.App.AddComment(m.as(t, "tom.fischer@umbrella.example"), task, "@Tom Fischer noted, and @Priya Shah yes."); err != nil {
		t.Fatal(err)
	}
	m.fanOut(t)
	m.fanOutAgain(t)
	if got, want := m.contactMails(t, "contact_mentioned:"), map[string]int{"contact_mentioned tom.fischer@umbrella.example": 1}; !maps.Equal(got, want) {
		t.Fatalf("mention emails: %v, want %v", got, want)
	}
	sent := to(m.send(t), "tom.fischer@umbrella.example")
	if len(sent) != 1 || header(sent[0], "Subject") != "Priya Shah mentioned you on Kickoff call: goals, scope and success criteria" ||
		!strings.Contains(sent[0].Data, "can you confirm *Tuesday*?") {
		t.Fatalf("Tom's email: %v", sent)
	}
	if rt := header(sent[0], "Reply-To"); rt != "" {
		t.Errorf("Reply-To %q without an inbound domain", rt)
	}
	m.follow(t, sent[0], "/tasks/"+task.String())
}
