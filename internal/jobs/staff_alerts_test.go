package jobs

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// as is a context signed in as the tenant's user with this email.
func (f *fixture) as(t *testing.T, email string) context.Context {
	t.Helper()
	p := &onboardiq.Principal{TenantID: f.tenant}
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT user_id, role, customer_id FROM tenant_users WHERE email = $1`, email).Scan(&p.UserID, &p.Role, &p.CustomerID)
	})
	if err != nil {
		t.Fatalf("%s: %v", email, err)
	}
	return onboardiq.NewContextWithPrincipal(context.Background(), p)
}

// fanOutAgain runs the fan-out of every event of the tenant once more, as
// a retried or rescued job would.
func (f *fixture) fanOutAgain(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	err := f.db.App.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `SELECT event_id FROM events ORDER BY event_id`)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &FanOutWorker{DB: f.db.App, Consumers: consumers(Deps{})}
	for _, id := range ids {
		if err := w.Work(ctx, job(postgres.EventArgs{TenantID: f.tenant, EventID: id}, 2)); err != nil {
			t.Fatalf("fan-out of event %d again: %v", id, err)
		}
	}
}

// taskNotices counts the notifications about task by "kind email", with
// " email:STATE" when the email state is not none.
func (f *fixture) taskNotices(t *testing.T, task uuid.UUID) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `
SELECT n.kind || ' ' || u.email, count(*) FROM notifications n JOIN tenant_users u ON u.tenant_id = n.tenant_id AND u.user_id = n.user_id
WHERE n.data->>'task_id' = $1 GROUP BY 1`, task.String())
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

// customerTask returns an open task of Initech's project that its
// contacts see, assigned to the user with this email.
func (f *fixture) customerTask(t *testing.T, assignee string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		err := tx.QueryRow(ctx, `
SELECT t.task_id FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
WHERE t.tenant_id = $1 AND p.name = 'Initech Health onboarding' AND t.visibility = 'customer' AND t.status IN ('not_started', 'in_progress')
ORDER BY t.position LIMIT 1`, f.tenant).Scan(&id)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE tasks SET assigned_to = (SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND email = $2)
WHERE tenant_id = $1 AND task_id = $3`, f.tenant, assignee, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestCustomerActionsNotifyStaff: a contact completing, reopening,
// blocking and commenting on a task tells the customer's CSM (and, on a
// task a staff member owns, the owner) once each, however often the
// fan-out runs, and never the contact; staff's own changes tell nobody.
// Email follows the preference, through the loopback SMTP server.
func TestCustomerActionsNotifyStaff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fanOut(t) // the seed's own events
	db := f.db.App
	task := f.customerTask(t, "lena.park@initech.example") // contacts change only their company's tasks
	lena := f.as(t, "lena.park@initech.example")
	// Marco, Initech's CSM, wants no email of reopened tasks.
	if _, err := db.SetPreferences(f.as(t, "marco.rossi@acme.example"), []onboardiq.Preference{
		{Kind: postgres.KindCustomerReopenedTask, InApp: true, Email: "off"}}); err != nil {
		t.Fatal(err)
	}
	emailsBefore := len(f.pendingStaffEmails(t))
	// emails counts the email deliveries about the task.
	emails := func() int {
		t.Helper()
		return f.count(t, `SELECT count(*) FROM deliveries d JOIN notifications n ON n.tenant_id = d.tenant_id AND n.notification_id = d.notification_id
WHERE n.data->>'task_id' = $1`, task.String())
	}
	set := func(ctx context.Context, p onboardiq.TaskPatch) {
		t.Helper()
		if _, err := db.UpdateTask(ctx, task, p); err != nil {
			t.Fatal(err)
		}
	}

	set(lena, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)})
	f.fanOut(t)
	want := map[string]int{"customer_completed_task marco.rossi@acme.example": 1}
	if got := f.taskNotices(t, task); !maps.Equal(got, want) {
		t.Errorf("after a contact completed the task: %v, want %v", got, want)
	}
	queued := f.pendingStaffEmails(t)[emailsBefore:] // the contacts' emails (a milestone) apart
	if len(queued) != 1 {
		t.Fatalf("%d emails queued for the completion, want 1 (Marco's)", len(queued))
	}
	w := &EmailWorker{DB: db, Mailer: f.mailer}
	if err := w.Work(context.Background(), job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: queued[0]}, 1)); err != nil {
		t.Fatal(err)
	}
	msgs := f.box.all()
	if len(msgs) != 1 || len(msgs[0].to) != 1 || msgs[0].to[0] != "marco.rossi@acme.example" ||
		!strings.Contains(msgs[0].data, "Lena Park completed") {
		t.Fatalf("mail sent: %+v, want one to Marco saying Lena Park completed the task", msgs)
	}
	if !strings.Contains(strings.ReplaceAll(msgs[0].data, "=\r\n", ""), "http://onboardiq.test/app/tasks/"+task.String()) {
		t.Errorf("the email does not link to the task:\n%s", msgs[0].data)
	}

	// Reopened: in the app only, as Marco asked.
	set(lena, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusInProgress)})
	f.fanOut(t)
	want["customer_reopened_task marco.rossi@acme.example"] = 1
	if got := f.taskNotices(t, task); !maps.Equal(got, want) {
		t.Errorf("after a contact reopened the task: %v, want %v", got, want)
	}
	if n := emails(); n != 1 {
		t.Errorf("%d emails after the reopening, want only the completion's (Marco turned them off)", n)
	}

	set(lena, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusBlocked), BlockedReason: onboardiq.Set("Waiting for our IT team")})
	if _, err := db.AddComment(lena, task, "IT says next week."); err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	f.fanOutAgain(t)
	want["customer_blocked_task marco.rossi@acme.example"] = 1
	want["customer_commented marco.rossi@acme.example"] = 1
	if got := f.taskNotices(t, task); !maps.Equal(got, want) {
		t.Errorf("after a contact blocked and commented, and the fan-out ran twice: %v, want %v", got, want)
	}
	if n := emails(); n != 3 {
		t.Errorf("%d emails, want 3 (completed, blocked and commented, once each)", n)
	}
	var body, link string
	if err := db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT body, data->>'link' FROM notifications WHERE kind = 'customer_blocked_task'`).Scan(&body, &link)
	}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "Reason: Waiting for our IT team") || link != "/app/tasks/"+task.String() {
		t.Errorf("blocked notification: body %q, link %q", body, link)
	}

	// Staff's own changes notify nobody by this rule.
	set(f.admin, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)})
	if _, err := db.AddComment(f.as(t, "marco.rossi@acme.example"), task, "Thanks, closing this."); err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	if got := f.taskNotices(t, task); !maps.Equal(got, want) {
		t.Errorf("after staff completed and commented: %v, want %v (unchanged)", got, want)
	}

	// On a task Priya owns, a contact's comment tells her too.
	owned := f.customerTask(t, "priya.shah@acme.example")
	if _, err := db.AddComment(lena, owned, "Who should we send the file to?"); err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	want = map[string]int{"customer_commented marco.rossi@acme.example": 1, "customer_commented priya.shah@acme.example": 1}
	if got := f.taskNotices(t, owned); !maps.Equal(got, want) {
		t.Errorf("a comment on Priya's task: %v, want %v", got, want)
	}
}

// TestMentionsNotify: a mention notifies the mentioned user who can see the
// task (staff by email too, a contact in the app only); a user of another
// tenant, or a contact of another customer, is not notified.
func TestMentionsNotify(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fanOut(t)
	db := f.db.App
	ctx := context.Background()
	if _, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Elsewhere Inc", Slug: "elsewhere", AdminEmail: "eve@elsewhere.example", AdminName: "Eve Admin"}); err != nil {
		t.Fatal(err)
	}
	task := f.customerTask(t, "priya.shah@acme.example")
	if _, err := db.AddComment(f.as(t, "lena.park@initech.example"), task,
		"@Dana Whitfield can you help? cc @eve@elsewhere.example @Eve Admin @Hannah Becker"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddComment(f.admin, task, "@raj.patel@initech.example please confirm"); err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	f.fanOutAgain(t)
	want := map[string]int{
		"mentioned dana.whitfield@acme.example":       1,
		"mentioned raj.patel@initech.example":         1,
		"customer_commented marco.rossi@acme.example": 1, // Initech's CSM
		"customer_commented priya.shah@acme.example":  1, // the task's owner
	}
	if got := f.taskNotices(t, task); !maps.Equal(got, want) {
		t.Errorf("notifications: %v, want %v", got, want)
	}
	var raj, dana, link string
	if err := db.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `
SELECT max(n.email_state) FILTER (WHERE u.role = 'customer'), max(n.email_state) FILTER (WHERE u.role <> 'customer'),
       max(n.data->>'link') FILTER (WHERE u.role = 'customer')
FROM notifications n JOIN tenant_users u ON u.tenant_id = n.tenant_id AND u.user_id = n.user_id WHERE n.kind = 'mentioned'`).Scan(&raj, &dana, &link)
	}); err != nil {
		t.Fatal(err)
	}
	if raj != "none" || dana != "pending" || !strings.HasPrefix(link, "/portal/acme/projects/") {
		t.Errorf("a mentioned contact's email %q (want none) and link %q; a mentioned staff member's email %q (want pending)", raj, link, dana)
	}
	// Nobody in the other tenant heard of it.
	var other int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications n JOIN tenants t ON t.tenant_id = n.tenant_id WHERE t.slug = 'elsewhere'`).Scan(&other); err != nil {
		t.Fatal(err)
	}
	if other != 0 {
		t.Errorf("%d notifications in the other tenant", other)
	}
}

// conversationNotices counts the notifications about conversation c by
// "kind email".
func (f *fixture) conversationNotices(t *testing.T, c uuid.UUID) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `
SELECT n.kind || ' ' || u.email, count(*) FROM notifications n JOIN tenant_users u ON u.tenant_id = n.tenant_id AND u.user_id = n.user_id
WHERE n.data->>'conversation_id' = $1 GROUP BY 1`, c.String())
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

// TestCustomerAsksForHelp: a contact asking their CSM, and writing again,
// tells the customer's CSM once each however often the fan-out runs, in
// the app and by email (through the loopback SMTP server) linking to the
// conversation; the CSM's own reply tells no staff; a customer without a
// CSM reaches the admins; a CSM who turned the kind off is not told.
func TestCustomerAsksForHelp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fanOut(t) // the seed's own events
	db := f.db.App
	lena, marco := f.as(t, "lena.park@initech.example"), f.as(t, "marco.rossi@acme.example")
	emailsBefore := len(f.pending(t, "email"))

	c, err := db.OpenConversation(lena, onboardiq.NewConversation{Subject: "Importing patient records", Body: "Which CSV columns do you need?"})
	if err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	f.fanOutAgain(t)
	want := map[string]int{"customer_asked_for_help marco.rossi@acme.example": 1}
	if got := f.conversationNotices(t, c.ID); !maps.Equal(got, want) {
		t.Errorf("after Lena asked: %v, want %v", got, want)
	}
	queued := f.pending(t, "email")[emailsBefore:]
	if len(queued) != 1 {
		t.Fatalf("%d emails queued, want 1 (Marco's)", len(queued))
	}
	w := &EmailWorker{DB: db, Mailer: f.mailer}
	if err := w.Work(context.Background(), job(postgres.EmailArgs{TenantID: f.tenant, DeliveryID: queued[0]}, 1)); err != nil {
		t.Fatal(err)
	}
	msgs := f.box.all()
	if len(msgs) != 1 || len(msgs[0].to) != 1 || msgs[0].to[0] != "marco.rossi@acme.example" {
		t.Fatalf("mail sent: %+v, want one to Marco", msgs)
	}
	data := strings.ReplaceAll(msgs[0].data, "=\r\n", "") // quoted-printable's soft line breaks
	if !strings.Contains(data, "Lena Park asks: Importing patient records") || !strings.Contains(data, "Which CSV columns do you need?") {
		t.Errorf("the email does not say what Lena asked:\n%s", data)
	}
	if !strings.Contains(data, "http://onboardiq.test/app/conversations/"+c.ID.String()) {
		t.Errorf("the email does not link to the conversation:\n%s", data)
	}
	var link, opened string
	if err := db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT data->>'link', notification_id::text FROM notifications WHERE kind = 'customer_asked_for_help'`).Scan(&link, &opened)
	}); err != nil {
		t.Fatal(err)
	}
	if link != "/app/conversations/"+c.ID.String() {
		t.Errorf("the notification links to %q", link)
	}
	n, err := db.OpenNotification(marco, uuid.MustParse(opened))
	if err != nil || n.Data["conversation_id"] != c.ID.String() {
		t.Errorf("the notification names the conversation %v (%v)", n, err)
	}

	// Marco's answer tells no staff; Lena's reply tells Marco again.
	if _, err := db.ReplyToConversation(marco, c.ID, "Name, date of birth and the record number."); err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	if got := f.conversationNotices(t, c.ID); !maps.Equal(got, want) {
		t.Errorf("after Marco answered: %v, want %v", got, want)
	}
	if _, err := db.CloseConversation(marco, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReplyToConversation(lena, c.ID, "And the insurer?"); err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	f.fanOutAgain(t)
	want["customer_asked_for_help marco.rossi@acme.example"] = 2
	if got := f.conversationNotices(t, c.ID); !maps.Equal(got, want) {
		t.Errorf("after Lena wrote again (reopening it): %v, want %v", got, want)
	}
	var title string
	if err := db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT title FROM notifications WHERE kind = 'customer_asked_for_help' ORDER BY created_at DESC, title LIMIT 1`).Scan(&title)
	}); err != nil {
		t.Fatal(err)
	}
	if title != "Lena Park replied to “Importing patient records”" {
		t.Errorf("the reply's notification: %q", title)
	}

	// Without a CSM, the admins hear of it; a CSM who turned it off in
	// the app hears nothing.
	var initech uuid.UUID
	if err := db.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT customer_id FROM customers WHERE name = 'Initech Health'`).Scan(&initech)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AssignSupportMember(f.admin, initech, nil); err != nil {
		t.Fatal(err)
	}
	orphan, err := db.OpenConversation(f.as(t, "raj.patel@initech.example"), onboardiq.NewConversation{Subject: "Who do we ask now?", Body: "Our CSM left."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetPreferences(f.as(t, "priya.shah@acme.example"), []onboardiq.Preference{
		{Kind: postgres.KindCustomerAskedForHelp, InApp: false, Email: "off"}}); err != nil {
		t.Fatal(err)
	}
	hannah, err := db.OpenConversation(f.as(t, "hannah.becker@globex.example"), onboardiq.NewConversation{Subject: "Quick one", Body: "Is SSO included?"})
	if err != nil {
		t.Fatal(err)
	}
	f.fanOut(t)
	if got, want := f.conversationNotices(t, orphan.ID), map[string]int{"customer_asked_for_help alex.morgan@acme.example": 1}; !maps.Equal(got, want) {
		t.Errorf("a customer without a CSM: %v, want %v (the admins)", got, want)
	}
	if got := f.conversationNotices(t, hannah.ID); len(got) != 0 {
		t.Errorf("Priya turned the kind off, yet: %v", got)
	}
}
