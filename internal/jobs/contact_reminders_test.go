package jobs

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/smtp"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/inbound"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// remind runs the reminder scan of the tenant as of now, as the hourly
// job does.
func (m *mailFixture) remind(t *testing.T, now time.Time) {
	t.Helper()
	w := &RemindTenantWorker{DB: m.db.App, Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := w.Work(context.Background(), job(postgres.RemindTenantArgs{TenantID: m.tenant}, 1)); err != nil {
		t.Fatalf("reminder scan at %s: %v", now, err)
	}
}

// hooli is a customer of the demo workspace of the test's own: Marco is
// its CSM, Lisa (New York) and Mia (Berlin) its contacts, and it has one
// project started ten days before start, without tasks.
type hooli struct {
	customer, project, lisa, mia uuid.UUID
}

func (m *mailFixture) hooli(t *testing.T, start time.Time) hooli {
	t.Helper()
	marco := m.userID(t, "marco.rossi@acme.example")
	c, err := m.db.App.CreateCustomer(m.admin, onboardiq.NewCustomer{Name: "Hooli", SupportMemberID: &marco})
	if err != nil {
		t.Fatal(err)
	}
	h := hooli{customer: c.ID}
	for _, p := range []struct {
		name, email, tz string
		id              *uuid.UUID
	}{{"Lisa Wong", "lisa.wong@hooli.example", "America/New_York", &h.lisa}, {"Mia Schulz", "mia.schulz@hooli.example", "Europe/Berlin", &h.mia}} {
		u, _, err := m.db.App.AddContact(m.admin, c.ID, onboardiq.NewContact{Name: p.name, Email: p.email}, "http://onboardiq.test")
		if err != nil {
			t.Fatal(err)
		}
		*p.id = u.ID
		m.exec(t, `UPDATE tenant_users SET time_zone = $2 WHERE user_id = $1`, u.ID, p.tz)
	}
	pr, err := m.db.App.CreateProject(m.admin, onboardiq.NewProject{CustomerID: c.ID, Name: "Hooli onboarding", StartDate: start.Add(-10 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	h.project = pr.ID
	m.fanOut(t)
	return h
}

// task adds a task to the Hooli project for user, due at due.
func (m *mailFixture) task(t *testing.T, h hooli, name string, user uuid.UUID, due time.Time) uuid.UUID {
	t.Helper()
	task, err := m.db.App.CreateTask(m.admin, h.project, onboardiq.TaskPatch{Description: onboardiq.Set(name), Phase: onboardiq.Set("Setup"),
		AssignedTo: onboardiq.Set(user), DueAt: onboardiq.Set(due)})
	if err != nil {
		t.Fatal(err)
	}
	return task.ID
}

// TestDueSoonAndOverdueReminders: a contact's task reminds them once when
// it is due within due_soon_days, counted in their time zone; once
// overdue, the day after and every overdue_every_days after, up to
// overdue_max times; moved to a new date it reminds again. A scan run
// twice queues each once; the reminder's link opens the task.
func TestDueSoonAndOverdueReminders(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	h := m.hooli(t, time.Now())
	due := time.Date(2026, 12, 10, 17, 0, 0, 0, time.UTC) // Thu 10 Dec, noon in New York
	task := m.task(t, h, "Send the SSO metadata", h.lisa, due)
	m.fanOut(t)
	reminded := func(at string) map[string]int {
		t.Helper()
		now, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		m.remind(t, now)
		m.remind(t, now)
		return m.contactMailsAt(t, "task_", "@hooli.example")
	}
	assigned := map[string]int{"task_assigned lisa.wong@hooli.example": 1}
	// 3 days before in New York: not yet (due_soon_days is 2).
	if got := reminded("2026-12-07T23:00:00Z"); !maps.Equal(got, assigned) {
		t.Errorf("three days before: %v", got)
	}
	// 8 Dec in New York, early: two days before.
	want := map[string]int{"task_assigned lisa.wong@hooli.example": 1, "task_due_soon lisa.wong@hooli.example": 1}
	if got := reminded("2026-12-08T06:00:00Z"); !maps.Equal(got, want) {
		t.Fatalf("two days before, in New York: %v, want %v", got, want)
	}
	var soon []string
	for _, msg := range to(m.send(t), "lisa.wong@hooli.example") {
		if s := header(msg, "Subject"); strings.HasPrefix(s, "Due ") {
			soon = append(soon, s)
			m.follow(t, msg, "/tasks/"+task.String())
		}
	}
	if len(soon) != 1 || soon[0] != "Due Thu 10 Dec 2026: Send the SSO metadata" {
		t.Errorf("due-soon emails: %q", soon)
	}
	if got := reminded("2026-12-10T22:00:00Z"); !maps.Equal(got, want) {
		t.Errorf("on the day: %v, want %v (reminded already)", got, want)
	}

	// Overdue: the day after, then every 3 days, 3 times at most.
	for _, step := range []struct {
		at string
		n  int
	}{{"2026-12-11T14:00:00Z", 1}, {"2026-12-12T14:00:00Z", 1}, {"2026-12-14T14:00:00Z", 2}, {"2026-12-16T14:00:00Z", 2},
		{"2026-12-17T14:00:00Z", 3}, {"2026-12-20T14:00:00Z", 3}, {"2026-12-29T14:00:00Z", 3}} {
		want["task_overdue lisa.wong@hooli.example"] = step.n
		if got := reminded(step.at); !maps.Equal(got, want) {
			t.Errorf("at %s: %v, want %v", step.at, got, want)
		}
	}
	var overdue []string
	for _, msg := range to(m.send(t), "lisa.wong@hooli.example") {
		if header(msg, "Subject") == "Overdue: Send the SSO metadata" {
			overdue = append(overdue, msg.Data)
		}
	}
	if len(overdue) != 3 || !strings.Contains(overdue[1], "was due Thu 10 Dec 2026 (4 days ago)") {
		t.Errorf("%d overdue emails; the second: %s", len(overdue), overdue)
	}

	// Moved to a new date: reminded again.
	if _, err := m.db.App.UpdateTask(m.admin, task, onboardiq.TaskPatch{DueAt: onboardiq.Set(time.Date(2027, 1, 8, 17, 0, 0, 0, time.UTC))}); err != nil {
		t.Fatal(err)
	}
	want["task_due_soon lisa.wong@hooli.example"] = 2
	if got := reminded("2027-01-07T14:00:00Z"); !maps.Equal(got, want) {
		t.Errorf("after the due date moved: %v, want %v", got, want)
	}
	// Completed: nothing more.
	m.setStatus(t, m.admin, task, onboardiq.StatusCompleted)
	if got := reminded("2027-01-09T14:00:00Z"); !maps.Equal(got, want) {
		t.Errorf("after it was completed: %v, want %v", got, want)
	}
}

// TestRemindersHonourPreferencesAndTheDailyCap: a contact who turned a
// kind off gets none of it; past the daily cap an email is skipped, and
// the delivery log says why.
func TestRemindersHonourPreferencesAndTheDailyCap(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	now := time.Now() // the cap counts what was queued in the 24 hours before the scan
	h := m.hooli(t, now)
	due := now.Add(36 * time.Hour)
	// Lisa wants no due-soon reminders; neither wants assignment emails
	// here, so that the cap counts reminders alone.
	m.exec(t, `INSERT INTO notification_preferences (tenant_id, user_id, kind, in_app, email) VALUES ($1, $2, 'task_due_soon', true, 'off')`, m.tenant, h.lisa)
	m.exec(t, `INSERT INTO notification_preferences (tenant_id, user_id, kind, in_app, email) SELECT $1, user_id, 'task_assigned', true, 'off' FROM tenant_users WHERE customer_id = $2`,
		m.tenant, h.customer)
	m.task(t, h, "Lisa's task", h.lisa, due)
	for i := range 11 {
		m.task(t, h, "Mia's task "+string(rune('A'+i)), h.mia, due)
	}
	m.fanOut(t)
	m.remind(t, now)
	m.remind(t, now.Add(time.Minute))
	want := map[string]int{"task_due_soon mia.schulz@hooli.example": 10, "task_due_soon mia.schulz@hooli.example skipped": 1}
	if got := m.contactMailsAt(t, "task_", "@hooli.example"); !maps.Equal(got, want) {
		t.Fatalf("reminders: %v, want %v", got, want)
	}
	var reason string
	if err := m.db.App.InTenant(context.Background(), m.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT last_error FROM deliveries WHERE status = 'skipped'`).Scan(&reason)
	}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reason, "daily cap of 10") {
		t.Errorf("the skipped email's reason: %q", reason)
	}
	n := 0
	for _, msg := range to(m.send(t), "mia.schulz@hooli.example") {
		if strings.HasPrefix(header(msg, "Subject"), "Due ") {
			n++
		}
	}
	if n != 10 {
		t.Errorf("%d reminders reached Mia, want 10", n)
	}
}

// TestContactEmailWaitsForQuietHours: a reminder that falls in the quiet
// hours, in the contact's time zone, is sent when they end.
func TestContactEmailWaitsForQuietHours(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	h := m.hooli(t, time.Now())
	start, end := 20, 8
	if _, err := m.db.App.SetNotificationSettings(m.admin, onboardiq.NotificationSettings{TimeZone: "UTC", QuietHoursStart: &start, QuietHoursEnd: &end,
		DigestHour: 8, CooldownHours: 24, EscalateAfterDays: 3}); err != nil {
		t.Fatal(err)
	}
	task := m.task(t, h, "Sign the order form", h.lisa, time.Date(2026, 12, 10, 17, 0, 0, 0, time.UTC))
	m.fanOut(t)
	// 9 Dec, 01:00 UTC is 20:00 on the 8th in New York: quiet until 08:00
	// there, 13:00 UTC.
	m.remind(t, time.Date(2026, 12, 9, 1, 0, 0, 0, time.UTC))
	var delivery uuid.UUID
	if err := m.db.App.InTenant(context.Background(), m.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT delivery_id FROM deliveries WHERE idempotency_key LIKE 'task_due_soon:' || $1 || '%'`, task.String()).Scan(&delivery)
	}); err != nil {
		t.Fatal(err)
	}
	var at time.Time
	if err := m.db.App.Pool.QueryRow(context.Background(), `SELECT scheduled_at FROM river_job WHERE kind = 'email' AND args->>'delivery_id' = $1`,
		delivery.String()).Scan(&at); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 9, 13, 0, 0, 0, time.UTC); !at.Equal(want) {
		t.Errorf("the reminder is scheduled at %s, want %s (08:00 in New York)", at.UTC(), want)
	}
}

// TestWeeklyDigestAtTheLocalHour: the weekly digest goes out at the
// workspace's weekday and hour in each contact's time zone: Mia in Berlin
// at 08:00 UTC, Lisa in New York at 14:00 UTC, each once, and nobody at
// another hour. It lists the contact's open tasks, what the team finished
// in the week and what comes next.
func TestWeeklyDigestAtTheLocalHour(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	h := m.hooli(t, time.Now())
	m.task(t, h, "Send the SSO metadata", h.lisa, time.Date(2026, 12, 10, 17, 0, 0, 0, time.UTC))
	priya := m.userID(t, "priya.shah@acme.example")
	done := m.task(t, h, "Provision the sandbox", priya, time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC))
	m.setStatus(t, m.admin, done, onboardiq.StatusCompleted)
	m.exec(t, `UPDATE tasks SET completed_at = '2026-12-04T15:00:00Z' WHERE task_id = $1`, done)
	m.fanOut(t)
	digests := func(at time.Time) map[string]int {
		t.Helper()
		m.remind(t, at)
		out := m.contactMails(t, "weekly_digest:"+h.lisa.String())
		maps.Copy(out, m.contactMails(t, "weekly_digest:"+h.mia.String()))
		return out
	}
	monday := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) // digest_weekday 1, digest_hour 9
	if got := digests(monday.Add(7 * time.Hour)); len(got) != 0 {
		t.Errorf("at 07:00 UTC (08:00 in Berlin): %v", got)
	}
	want := map[string]int{"weekly_digest mia.schulz@hooli.example": 1}
	for _, at := range []time.Duration{8 * time.Hour, 8*time.Hour + 30*time.Minute, 13 * time.Hour} {
		if got := digests(monday.Add(at)); !maps.Equal(got, want) {
			t.Errorf("at %s UTC: %v, want %v", monday.Add(at).Format("15:04"), got, want)
		}
	}
	want["weekly_digest lisa.wong@hooli.example"] = 1
	for _, at := range []time.Duration{14 * time.Hour, 20 * time.Hour, 30 * time.Hour} {
		if got := digests(monday.Add(at)); !maps.Equal(got, want) {
			t.Errorf("at %s: %v, want %v", monday.Add(at).Format("Mon 15:04"), got, want)
		}
	}
	sent := to(m.send(t), "lisa.wong@hooli.example")
	var digest string
	for _, msg := range sent {
		if header(msg, "Subject") == "Hooli onboarding: your week" {
			digest = msg.Data
			m.follow(t, msg, "/projects/"+h.project.String())
		}
	}
	for _, w := range []string{"- Send the SSO metadata (due Thu 10 Dec 2026)", "What we finished this week\n\n- Provision the sandbox"} {
		if !strings.Contains(strings.ReplaceAll(digest, "\r\n", "\n"), w) {
			t.Errorf("Lisa's digest lacks %q:\n%s", w, digest)
		}
	}
	// The next week, at the hour again.
	want["weekly_digest mia.schulz@hooli.example"] = 2
	if got := digests(monday.Add(7*24*time.Hour + 8*time.Hour)); !maps.Equal(got, want) {
		t.Errorf("the next Monday: %v, want %v", got, want)
	}
}

func TestDigestWeek(t *testing.T) {
	t.Parallel()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, c := range []struct {
		at      string
		weekday int
		week    string
	}{
		{"2026-12-07T08:00:00Z", 1, "2026-W50"}, // Monday 09:00 in Berlin
		{"2026-12-07T07:59:00Z", 1, ""},
		{"2026-12-08T07:59:00Z", 1, "2026-W50"}, // within the day after
		{"2026-12-08T08:00:00Z", 1, ""},
		{"2026-12-13T08:00:00Z", 0, "2026-W50"}, // Sunday ends the ISO week
		{"2026-12-14T07:00:00Z", 0, "2026-W50"}, // a day from Sunday 09:00 reaches into the next week
		{"2027-01-03T08:30:00Z", 0, "2026-W53"},
	} {
		now, _ := time.Parse(time.RFC3339, c.at)
		week, ok := postgres.DigestWeek(now, berlin, c.weekday, 9)
		if week != c.week || ok != (c.week != "") {
			t.Errorf("%s, weekday %d: %q %v, want %q", c.at, c.weekday, week, ok, c.week)
		}
	}
}

// TestStaffOwnersReminded: the staff owner of a task due soon or overdue
// is notified in the app, linked to the task, and by email as their
// preferences say, once per due date (and overdue reminder).
func TestStaffOwnersReminded(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	h := m.hooli(t, time.Now())
	priya := m.userID(t, "priya.shah@acme.example")
	task := m.task(t, h, "Provision the sandbox", priya, time.Date(2026, 12, 10, 17, 0, 0, 0, time.UTC))
	m.fanOut(t)
	notices := func() map[string]int { t.Helper(); return m.taskNotices(t, task) }
	m.remind(t, time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC))
	m.remind(t, time.Date(2026, 12, 9, 11, 0, 0, 0, time.UTC))
	want := map[string]int{"task_due_soon priya.shah@acme.example": 1}
	if got := notices(); !maps.Equal(got, want) {
		t.Fatalf("due soon: %v, want %v", got, want)
	}
	var title, link string
	if err := m.db.App.InTenant(context.Background(), m.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT title, data->>'link' FROM notifications WHERE kind = 'task_due_soon' AND data->>'task_id' = $1`, task.String()).Scan(&title, &link)
	}); err != nil {
		t.Fatal(err)
	}
	if title != "“Provision the sandbox” is due tomorrow" || link != "/app/tasks/"+task.String() {
		t.Errorf("the notification: %q, link %q", title, link)
	}
	about := func() []string {
		t.Helper()
		var out []string
		for _, msg := range to(m.send(t), "priya.shah@acme.example") {
			if strings.Contains(msg.Data, "Provision the sandbox") {
				out = append(out, msg.Data)
			}
		}
		return out
	}
	if sent := about(); len(sent) != 1 || !strings.Contains(sent[0], "/tasks/"+task.String()) {
		t.Errorf("Priya's emails about the task (%d) do not link it", len(sent))
	}
	// Overdue, with email off: in the app only.
	if _, err := m.db.App.SetPreferences(m.as(t, "priya.shah@acme.example"), []onboardiq.Preference{
		{Kind: postgres.KindTaskOverdue, InApp: true, Email: "off"}}); err != nil {
		t.Fatal(err)
	}
	m.remind(t, time.Date(2026, 12, 11, 10, 0, 0, 0, time.UTC))
	m.remind(t, time.Date(2026, 12, 12, 10, 0, 0, 0, time.UTC))
	want["task_overdue priya.shah@acme.example"] = 1
	if got := notices(); !maps.Equal(got, want) {
		t.Errorf("overdue: %v, want %v", got, want)
	}
	if sent := about(); len(sent) != 0 {
		t.Errorf("%d emails after Priya turned overdue emails off", len(sent))
	}
}

// TestReengagement: an open project whose customer has not acted for
// reengage_days, with tasks waiting on them, nudges each contact once and
// tells the CSM once; a sign-in of a contact ends the quiet spell, and the
// next spell nudges again.
func TestReengagement(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	now := time.Now()
	h := m.hooli(t, now)
	m.task(t, h, "Send the SSO metadata", h.lisa, now.Add(20*24*time.Hour))
	m.fanOut(t)
	prefix := "reengagement:" + h.project.String()
	inactive := func() int {
		t.Helper()
		return m.count(t, `SELECT count(*) FROM notifications n JOIN tenant_users u ON u.tenant_id = n.tenant_id AND u.user_id = n.user_id
WHERE n.kind = 'customer_inactive' AND n.project_id = $1 AND u.email = 'marco.rossi@acme.example'`, h.project)
	}
	m.remind(t, now)
	m.remind(t, now.Add(time.Hour))
	want := map[string]int{"reengagement lisa.wong@hooli.example": 1, "reengagement mia.schulz@hooli.example": 1}
	if got := m.contactMails(t, prefix); !maps.Equal(got, want) {
		t.Fatalf("re-engagement: %v, want %v", got, want)
	}
	if n := inactive(); n != 1 {
		t.Errorf("Marco was told %d times, want once", n)
	}
	sent := to(m.send(t), "mia.schulz@hooli.example")
	var nudge string
	for _, msg := range sent {
		if header(msg, "Subject") == "Hooli onboarding is waiting for you" {
			nudge = msg.Data
			m.follow(t, msg, "/projects/"+h.project.String())
		}
	}
	// Mia has no task of her own: what waits on her company is listed.
	if !strings.Contains(nudge, "for 10 days") || !strings.Contains(nudge, "- Send the SSO metadata (due ") {
		t.Errorf("Mia's nudge:\n%s", nudge)
	}

	// Mia signed in (following her link did): the spell is over; eight
	// days later the next one nudges again.
	m.fanOut(t)
	m.remind(t, now.Add(2*time.Hour))
	if got := m.contactMails(t, prefix); !maps.Equal(got, want) {
		t.Errorf("after a sign-in: %v, want %v", got, want)
	}
	later := now.Add(8 * 24 * time.Hour)
	m.remind(t, later)
	m.remind(t, later.Add(time.Hour))
	want = map[string]int{"reengagement lisa.wong@hooli.example": 2, "reengagement mia.schulz@hooli.example": 2}
	if got := m.contactMails(t, prefix); !maps.Equal(got, want) {
		t.Errorf("the next quiet spell: %v, want %v", got, want)
	}
	if n := inactive(); n != 2 {
		t.Errorf("Marco was told %d times, want twice", n)
	}
}

// TestReplyDoneToAReminder is the "done when": the demo's pilot
// project, its kickoff done but for the contact's task; the due-soon
// reminder reaches the contact with a Reply-To; their reply "done",
// through the inbound SMTP listener, completes the task, and the kickoff
// milestone email follows.
func TestReplyDoneToAReminder(t *testing.T) {
	t.Parallel()
	m := newMailFixture(t)
	project := m.projectID(t, "Umbrella Retail pilot")
	kickoff := m.openTasks(t, project, "Kickoff")
	priya := m.as(t, "priya.shah@acme.example")
	for _, id := range []uuid.UUID{kickoff[0], kickoff[1], kickoff[3]} {
		m.setStatus(t, priya, id, onboardiq.StatusCompleted)
	}
	mine := kickoff[2]
	var due time.Time
	if err := m.db.App.InTenant(context.Background(), m.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT due_at FROM tasks WHERE task_id = $1`, mine).Scan(&due)
	}); err != nil {
		t.Fatal(err)
	}
	m.fanOut(t)
	m.remind(t, due.Add(-24*time.Hour))
	var reminder string
	for _, msg := range to(m.send(t), "tom.fischer@umbrella.example") {
		if strings.HasSuffix(header(msg, "Subject"), ": Name a project owner and a technical contact") {
			reminder = header(msg, "Reply-To")
		}
	}
	addr := regexp.MustCompile(`reply\+[^@>]+@` + regexp.QuoteMeta(inboundDomain)).FindString(reminder)
	if addr == "" {
		t.Fatalf("the reminder's Reply-To: %q", reminder)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := inbound.NewServer(inboundDomain, m.db.App.ApplyReply, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	msg := "From: Tom Fischer <tom.fischer@umbrella.example>\r\nTo: " + addr + "\r\nSubject: Re: Due soon\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Done\r\n\r\nOn Tue, OnboardIQ wrote:\r\n> Name a project owner and a technical contact is due soon.\r\n"
	if err := smtp.SendMail(l.Addr().String(), nil, "tom.fischer@umbrella.example", []string{addr}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	var status string
	if err := m.db.App.InTenant(context.Background(), m.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT status FROM tasks WHERE task_id = $1`, mine).Scan(&status)
	}); err != nil {
		t.Fatal(err)
	}
	if status != string(onboardiq.StatusCompleted) {
		t.Fatalf("after the reply: the task is %s", status)
	}
	m.fanOut(t)
	var subjects []string
	for _, msg := range to(m.send(t), "tom.fischer@umbrella.example") {
		subjects = append(subjects, header(msg, "Subject"))
	}
	if !strings.Contains(strings.Join(subjects, "|"), "Umbrella Retail pilot: Kickoff done") {
		t.Errorf("after the reply Tom got %q, want the kickoff milestone", subjects)
	}
}

// The reminder scan's workers finish well before a job is rescued
// (TestTimeoutsAreShorterThanTheRescueWindow).
func TestRemindWorkersTimeOutBeforeTheRescue(t *testing.T) {
	t.Parallel()
	for name, d := range map[string]time.Duration{
		"remind":            (&RemindWorker{}).Timeout(&river.Job[postgres.RemindArgs]{}),
		"remind one tenant": (&RemindTenantWorker{}).Timeout(&river.Job[postgres.RemindTenantArgs]{}),
	} {
		if d <= 0 || d >= RescueAfter {
			t.Errorf("%s worker timeout %s: want an explicit timeout under %s", name, d, RescueAfter)
		}
	}
}
