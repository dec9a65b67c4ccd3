package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// actScan runs one query in the demo tenant and scans its single row.
func actScan(t *testing.T, a *app, q string, args []any, dest ...any) {
	t.Helper()
	err := a.db.App.InTenant(context.Background(), a.demo.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, q, args...).Scan(dest...)
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// actExec runs a statement in the demo tenant.
func actExec(t *testing.T, a *app, q string, args ...any) {
	t.Helper()
	err := a.db.App.InTenant(context.Background(), a.demo.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// actTask is a task's state as stored.
type actTask struct {
	status, reason string
	completed      bool
	comments       int
}

func actTaskState(t *testing.T, a *app, id string) actTask {
	t.Helper()
	return actTaskStateIn(t, a, a.demo.TenantID, id)
}

// actTaskStateIn reads a task of any workspace.
func actTaskStateIn(t *testing.T, a *app, tenant uuid.UUID, id string) actTask {
	t.Helper()
	var s actTask
	err := a.db.App.InTenant(context.Background(), tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `
SELECT t.status, coalesce(t.blocked_reason, ''), t.completed_at IS NOT NULL,
       (SELECT count(*) FROM events e WHERE e.tenant_id = t.tenant_id AND e.task_id = t.task_id AND e.kind = 'task.commented')
FROM tasks t WHERE t.tenant_id = $1 AND t.task_id = $2`, tenant, id).Scan(&s.status, &s.reason, &s.completed, &s.comments)
	})
	if err != nil {
		t.Fatalf("task %s: %v", id, err)
	}
	return s
}

// actTaskID finds the first task (in plan order) of the named project that
// matches cond, a condition on t (tasks) and u (its assignee, if any).
func actTaskID(t *testing.T, a *app, project, cond string) string {
	t.Helper()
	var id string
	actScan(t, a, `
SELECT t.task_id::text FROM tasks t
JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
LEFT JOIN tenant_users u ON u.tenant_id = t.tenant_id AND u.user_id = t.assigned_to
WHERE p.name = $1 AND (`+cond+`) ORDER BY t.position, t.task_id LIMIT 1`, []any{project}, &id)
	return id
}

// actContactTask is a condition for actTaskID: a task the project's
// customer's contacts may change, with a status other than those given.
const actContactTask = `t.visibility = 'customer' AND u.customer_id = p.customer_id AND t.status NOT IN ('completed', 'cancelled', 'blocked')`

// actPortalClient signs a contact in to the acme portal with a magic link
// from the development mailbox.
func actPortalClient(t *testing.T, a *app, email string) *http.Client {
	t.Helper()
	c := client(t)
	if p := post(t, c, a.url+"/portal/acme/signin", url.Values{"email": {email}}, a.url); p.status != http.StatusOK {
		t.Fatalf("ask for a link for %s: %d", email, p.status)
	}
	box := get(t, c, a.url+"/dev/mailbox?workspace=acme")
	for _, row := range box.all("tr.mail") {
		r := page{doc: row}
		links := r.all("a.link")
		if len(links) == 1 && strings.Contains(r.text("td"), email) {
			if p := openLink(t, c, a, attr(links[0], "href")); p.status != http.StatusSeeOther {
				t.Fatalf("magic link for %s: %d", email, p.status)
			}
			return c
		}
	}
	t.Fatalf("no link for %s in the mailbox", email)
	return nil
}

// openLink opens an emailed sign-in link as a person does: the link's page,
// then its Continue button. It returns the button's answer.
func openLink(t *testing.T, c *http.Client, a *app, link string) page {
	t.Helper()
	p := get(t, c, link)
	forms := p.all("form#continue")
	if p.status != http.StatusOK || len(forms) != 1 {
		t.Fatalf("the link's page: %d, %d Continue forms", p.status, len(forms))
	}
	action := attr(forms[0], "action")
	token := p.all(`form#continue input[name="token"]`)
	if len(token) != 1 {
		t.Fatal("the Continue form carries no token")
	}
	return post(t, c, a.url+action, url.Values{"token": {attr(token[0], "value")}}, a.url)
}

// actSessionCookie is the session cookie the client holds for the app.
func actSessionCookie(t *testing.T, a *app, c *http.Client) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(a.url)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "oiq_session" && ck.Value != "" {
			return ck
		}
	}
	t.Fatal("no session cookie")
	return nil
}

// actGetWithCookie requests u with only the given cookie, as a stolen or
// replayed cookie would be sent.
func actGetWithCookie(t *testing.T, u string, ck *http.Cookie) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

// actOtherTenant creates a second workspace with a customer, a project and
// a task, and returns the customer's and the task's ids.
func actOtherTenant(t *testing.T, a *app) (customerID, taskID string) {
	t.Helper()
	err := a.db.App.InTenant(context.Background(), uuid.New(), func(ctx context.Context, tx *postgres.Tx) error {
		if _, err := tx.CreateTenant(ctx, onboardiq.NewTenant{Name: "Hooli", Slug: "hooli", AdminEmail: "gavin@hooli.example", AdminName: "Gavin"}); err != nil {
			return err
		}
		cu, err := tx.CreateCustomer(ctx, onboardiq.NewCustomer{Name: "Hooli's customer"})
		if err != nil {
			return err
		}
		pr, err := tx.CreateProject(ctx, onboardiq.NewProject{CustomerID: cu.ID, Name: "Hooli secret rollout"})
		if err != nil {
			return err
		}
		customerID = cu.ID.String()
		return tx.QueryRow(ctx, `INSERT INTO tasks (tenant_id, project_id, description) VALUES ($1, $2, 'Hooli secret task') RETURNING task_id::text`,
			tx.TenantID(), pr.ID).Scan(&taskID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return customerID, taskID
}

func byID(id string) string { return `[id="` + id + `"]` }

func TestPortalTaskActions(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const rollout = "Globex platform rollout"
	pid := a.projectID(t, rollout)
	done := actTaskID(t, a, rollout, actContactTask)
	blocked := actTaskID(t, a, rollout, actContactTask+` AND t.task_id <> '`+done+`'`)
	spare := actTaskID(t, a, rollout, actContactTask+` AND t.task_id NOT IN ('`+done+`', '`+blocked+`')`)
	staffTask := actTaskID(t, a, rollout, `t.visibility = 'customer' AND u.customer_id IS NULL AND t.status <> 'completed'`)
	internal := actTaskID(t, a, rollout, `t.visibility = 'internal'`)
	initech := actTaskID(t, a, "Initech Health onboarding", `t.visibility = 'customer' AND u.customer_id = p.customer_id AND t.status <> 'completed'`)
	_, hooli := actOtherTenant(t, a)

	var progressBefore float64
	actScan(t, a, `SELECT progress::float8 FROM projects WHERE project_id = $1`, []any{pid}, &progressBefore)

	c := actPortalClient(t, a, "hannah.becker@globex.example")
	pp := get(t, c, a.url+"/portal/acme/projects/"+pid)
	if pp.status != 200 {
		t.Fatalf("portal project: %d", pp.status)
	}
	// The page offers the actions on the company's tasks only.
	if len(pp.all(byID("task-"+done)+" form.done-form")) != 1 || len(pp.all(byID("task-"+done)+` form[action="/portal/acme/tasks/`+done+`/comments"]`)) != 1 {
		t.Errorf("the contact's task has no done or comment form")
	}
	// The support team's: a comment form, no status control.
	if len(pp.all(byID("task-"+staffTask))) != 1 || len(pp.all(byID("task-"+staffTask)+" form")) != 1 || len(pp.all(byID("task-"+staffTask)+" form.comment-form")) != 1 {
		t.Errorf("the support team's task: shown %d, forms %d", len(pp.all(byID("task-"+staffTask))), len(pp.all(byID("task-"+staffTask)+" form")))
	}
	if len(pp.all(byID("task-"+internal))) != 0 {
		t.Error("an internal task is shown in the portal")
	}

	// Mark done.
	taskURL := a.url + "/portal/acme/tasks/"
	p := post(t, c, taskURL+done+"/status", url.Values{"status": {"completed"}}, a.url)
	if want := "/portal/acme/projects/" + pid + "#task-" + done; p.status != http.StatusSeeOther || p.header.Get("Location") != want {
		t.Errorf("mark done: %d %q, want 303 %q", p.status, p.header.Get("Location"), want)
	}
	if s := actTaskState(t, a, done); s.status != "completed" || !s.completed {
		t.Errorf("after mark done the task is %+v", s)
	}
	var progressAfter float64
	actScan(t, a, `SELECT progress::float8 FROM projects WHERE project_id = $1`, []any{pid}, &progressAfter)
	if progressAfter <= progressBefore {
		t.Errorf("the project's progress went from %v to %v", progressBefore, progressAfter)
	}

	// Mark blocked, with a reason.
	reason := "Our IdP admin is on leave until Monday"
	if p := post(t, c, taskURL+blocked+"/status", url.Values{"status": {"blocked"}, "blocked_reason": {reason}}, a.url); p.status != http.StatusSeeOther {
		t.Errorf("mark blocked: %d %s", p.status, p.text(".error"))
	}
	if s := actTaskState(t, a, blocked); s.status != "blocked" || s.reason != reason {
		t.Errorf("after mark blocked the task is %+v", s)
	}
	// Blocked needs a reason: refused, nothing changes.
	before := actTaskState(t, a, spare)
	if p := post(t, c, taskURL+spare+"/status", url.Values{"status": {"blocked"}, "blocked_reason": {"  "}}, a.url); p.status != http.StatusUnprocessableEntity {
		t.Errorf("blocked without a reason: %d, want 422", p.status)
	}
	if s := actTaskState(t, a, spare); s != before {
		t.Errorf("blocked without a reason changed the task: %+v, was %+v", s, before)
	}

	// Comment.
	body := "We have invited the dispatch leads; please confirm the SSO metadata URL."
	p = post(t, c, taskURL+done+"/comments", url.Values{"body": {body}}, a.url)
	if want := "/portal/acme/projects/" + pid + "#task-" + done; p.status != http.StatusSeeOther || p.header.Get("Location") != want {
		t.Errorf("comment: %d %q, want 303 %q", p.status, p.header.Get("Location"), want)
	}
	if p := post(t, c, taskURL+done+"/comments", url.Values{"body": {"   "}}, a.url); p.status != http.StatusUnprocessableEntity {
		t.Errorf("an empty comment: %d, want 422", p.status)
	}
	if s := actTaskState(t, a, done); s.comments != 1 {
		t.Errorf("the task has %d comments, want 1", s.comments)
	}

	// The page shows it all.
	pp = get(t, c, a.url+"/portal/acme/projects/"+pid)
	if len(pp.all(byID("task-"+done)+" span.pill.completed")) != 1 {
		t.Errorf("the done task's pill: %q", pp.text(byID("task-"+done)+" span.pill"))
	}
	if got := pp.text(byID("task-" + blocked)); !strings.Contains(got, "blocked: "+reason) || len(pp.all(byID("task-"+blocked)+" span.pill.blocked")) != 1 {
		t.Errorf("the blocked task shows %q", got)
	}
	if got := pp.text(byID("task-" + done)); !strings.Contains(got, "Hannah Becker: "+body) {
		t.Errorf("the comment is not shown: %q", got)
	}
	// Staff see the contact's comment on the console's task page.
	staff := signIn(t, a, "priya.shah@acme.example")
	if tp := get(t, staff, a.url+"/app/tasks/"+done); !strings.Contains(tp.text("main"), body) {
		t.Error("the console's task page does not show the contact's comment")
	}

	// The support team's task takes the contact's comment, not a status.
	before = actTaskState(t, a, staffTask)
	if p := post(t, c, taskURL+staffTask+"/comments", url.Values{"body": {"When will SSO be ready?"}}, a.url); p.status != http.StatusSeeOther {
		t.Errorf("a comment on the support team's task: %d, want 303", p.status)
	}
	if p := post(t, c, taskURL+staffTask+"/status", url.Values{"status": {"completed"}}, a.url); p.status != http.StatusForbidden {
		t.Errorf("the support team's task marked done: %d, want 403", p.status)
	}
	if after := actTaskState(t, a, staffTask); after.status != before.status || after.comments != before.comments+1 {
		t.Errorf("the support team's task: %+v, was %+v", after, before)
	}

	// What the contact may not see: nothing changes, and no comment.
	hooliTenant := actTenantOf(t, a, "hooli")
	refused := []struct {
		name, id string
		tenant   uuid.UUID
		want     int
	}{
		{"an internal task", internal, a.demo.TenantID, http.StatusNotFound},
		{"another company's task", initech, a.demo.TenantID, http.StatusNotFound},
		{"another workspace's task", hooli, hooliTenant, http.StatusNotFound},
	}
	for _, r := range refused {
		before := actTaskStateIn(t, a, r.tenant, r.id)
		if p := post(t, c, taskURL+r.id+"/status", url.Values{"status": {"completed"}}, a.url); p.status != r.want {
			t.Errorf("%s marked done: %d, want %d", r.name, p.status, r.want)
		}
		if p := post(t, c, taskURL+r.id+"/status", url.Values{"status": {"blocked"}, "blocked_reason": {"x"}}, a.url); p.status != r.want {
			t.Errorf("%s marked blocked: %d, want %d", r.name, p.status, r.want)
		}
		if p := post(t, c, taskURL+r.id+"/comments", url.Values{"body": {"sneaky"}}, a.url); p.status != r.want {
			t.Errorf("%s commented: %d, want %d", r.name, p.status, r.want)
		}
		if after := actTaskStateIn(t, a, r.tenant, r.id); after != before {
			t.Errorf("%s changed: %+v, was %+v", r.name, after, before)
		}
	}
	for _, bad := range []string{"not-a-uuid", uuid.NewString()} {
		if p := post(t, c, taskURL+bad+"/status", url.Values{"status": {"completed"}}, a.url); p.status != http.StatusNotFound {
			t.Errorf("task %s: %d, want 404", bad, p.status)
		}
	}
	// A cross-origin post, and a post to another workspace's portal, change nothing.
	before = actTaskState(t, a, spare)
	if p := post(t, c, taskURL+spare+"/status", url.Values{"status": {"completed"}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin post: %d, want 403", p.status)
	}
	if p := post(t, c, a.url+"/portal/hooli/tasks/"+spare+"/status", url.Values{"status": {"completed"}}, a.url); p.status != http.StatusSeeOther || p.header.Get("Location") != "/portal/hooli/signin" {
		t.Errorf("a post to another workspace's portal: %d %q", p.status, p.header.Get("Location"))
	}
	if s := actTaskState(t, a, spare); s != before {
		t.Errorf("the refused posts changed the task: %+v, was %+v", s, before)
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, "priya.shah@acme.example")
	other := signIn(t, a, "priya.shah@acme.example") // a second session of the same user
	ck := actSessionCookie(t, a, c)
	if p := actGetWithCookie(t, a.url+"/app", ck); p.status != 200 {
		t.Fatalf("the cookie before sign-out: %d", p.status)
	}
	// A cross-origin sign-out is refused: the session still works.
	if p := post(t, c, a.url+"/signout", nil, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin sign-out: %d, want 403", p.status)
	}
	if p := actGetWithCookie(t, a.url+"/app", ck); p.status != 200 {
		t.Errorf("after a refused sign-out: %d", p.status)
	}
	p := post(t, c, a.url+"/signout", nil, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
		t.Errorf("sign out: %d %q", p.status, p.header.Get("Location"))
	}
	cleared := false
	for _, sc := range p.header.Values("Set-Cookie") {
		cleared = cleared || strings.HasPrefix(sc, "oiq_session=;") && strings.Contains(sc, "Max-Age=0")
	}
	if !cleared {
		t.Errorf("the cookie is not cleared: %q", p.header.Values("Set-Cookie"))
	}
	// The old cookie, replayed, no longer works, on any console page.
	for _, path := range []string{"/app", "/app/customers", "/app/notifications"} {
		p := actGetWithCookie(t, a.url+path, ck)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin?next="+path {
			t.Errorf("%s with the old cookie: %d %q", path, p.status, p.header.Get("Location"))
		}
	}
	if p := get(t, c, a.url+"/app"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/signin") {
		t.Errorf("the signed-out client: %d %q", p.status, p.header.Get("Location"))
	}
	// Nor can it post.
	if p := post(t, client(t), a.url+"/app/notifications/read-all", nil, a.url); p.status != http.StatusSeeOther {
		t.Errorf("a post without a session: %d", p.status)
	}
	// The user's other session goes on.
	if p := get(t, other, a.url+"/app"); p.status != 200 {
		t.Errorf("the other session: %d", p.status)
	}

	// A contact signs out to the portal's sign-in page, and the cookie is dead.
	cc := actPortalClient(t, a, "hannah.becker@globex.example")
	ck = actSessionCookie(t, a, cc)
	if p := actGetWithCookie(t, a.url+"/portal/acme", ck); p.status != 200 {
		t.Fatalf("the portal before sign-out: %d", p.status)
	}
	if p := post(t, cc, a.url+"/signout", nil, a.url); p.status != http.StatusSeeOther || p.header.Get("Location") != "/portal/acme/signin" {
		t.Errorf("a contact signing out: %d %q", p.status, p.header.Get("Location"))
	}
	if p := actGetWithCookie(t, a.url+"/portal/acme", ck); p.status != http.StatusSeeOther || p.header.Get("Location") != "/portal/acme/signin" {
		t.Errorf("the portal with the old cookie: %d %q", p.status, p.header.Get("Location"))
	}
}

func TestNotificationsInbox(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	pid := a.projectID(t, "Initech Health onboarding")
	var priya, marco string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = $1`, []any{"priya.shah@acme.example"}, &priya)
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = $1`, []any{"marco.rossi@acme.example"}, &marco)
	notify := func(user, title string, read bool) string {
		var id string
		actScan(t, a, `
INSERT INTO notifications (tenant_id, user_id, kind, project_id, title, body, read_at)
VALUES ($1, $2, 'project_overdue', $3, $4, 'Test body', CASE WHEN $5 THEN now() END)
RETURNING notification_id::text`, []any{a.demo.TenantID, user, pid, title, read}, &id)
		return id
	}
	first := notify(priya, "Initech Health onboarding is overdue", false)
	notify(priya, "Initech Health onboarding is at risk", false)
	notify(priya, "An old, read notification", true)
	notify(marco, "Marco's own alert", false)

	c := signIn(t, a, "priya.shah@acme.example")
	badge := func(p page) string { return strings.TrimSpace(p.text("#inbox .badge")) }
	inbox := get(t, c, a.url+"/app/notifications")
	if inbox.status != 200 || badge(inbox) != "2" || len(inbox.all("#notifications li")) != 3 || len(inbox.all("#notifications li.unread")) != 2 {
		t.Fatalf("the inbox: %d, badge %q, %d items, %d unread", inbox.status, badge(inbox), len(inbox.all("#notifications li")), len(inbox.all("#notifications li.unread")))
	}
	if strings.Contains(inbox.raw, "Marco's own alert") {
		t.Error("another user's notification is listed")
	}
	if len(inbox.all(`#notifications li.unread a[href="/app/notifications/`+first+`"]`)) != 1 || len(inbox.all(`#notifications li.unread a[href^="/app/notifications/"]`)) != 2 {
		t.Error("the unread notifications do not link to where they open")
	}
	if len(inbox.all(`form[action="/app/notifications/read-all"]`)) != 1 {
		t.Error("no mark-all-read form")
	}
	// The badge is on every console page.
	if d := get(t, c, a.url+"/app"); badge(d) != "2" || len(d.all(`#inbox .badge[aria-label="2 unread"]`)) != 1 {
		t.Errorf("the dashboard's badge: %q", badge(d))
	}

	// One opened: it leads to its project, read, and the badge counts one.
	if p := get(t, c, a.url+"/app/notifications/"+first); p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/projects/"+pid {
		t.Errorf("open a notification: %d %q, want 303 to its project", p.status, p.header.Get("Location"))
	}
	if inbox := get(t, c, a.url+"/app/notifications"); badge(inbox) != "1" || len(inbox.all("#notifications li.unread")) != 1 {
		t.Errorf("after one read: badge %q, %d unread", badge(inbox), len(inbox.all("#notifications li.unread")))
	}

	// Read all.
	p := post(t, c, a.url+"/app/notifications/read-all", nil, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/notifications" {
		t.Errorf("read all: %d %q", p.status, p.header.Get("Location"))
	}
	inbox = get(t, c, a.url+"/app/notifications")
	if len(inbox.all("#inbox .badge")) != 0 || len(inbox.all("#notifications li.unread")) != 0 || len(inbox.all("#notifications li")) != 3 {
		t.Errorf("after read all: badge %q, %d unread of %d", badge(inbox), len(inbox.all("#notifications li.unread")), len(inbox.all("#notifications li")))
	}
	var unread int
	actScan(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, []any{priya}, &unread)
	if unread != 0 {
		t.Errorf("%d of Priya's notifications are unread", unread)
	}
	// Only the caller's: Marco's is still unread.
	actScan(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, []any{marco}, &unread)
	if unread != 1 {
		t.Errorf("Marco has %d unread, want 1", unread)
	}
	if m := get(t, signIn(t, a, "marco.rossi@acme.example"), a.url+"/app/notifications"); badge(m) != "1" || !strings.Contains(m.text("#notifications"), "Marco's own alert") {
		t.Errorf("Marco's inbox: badge %q", badge(m))
	}
	// A contact cannot reach the inbox.
	cc := actPortalClient(t, a, "hannah.becker@globex.example")
	if p := post(t, cc, a.url+"/app/notifications/read-all", nil, a.url); p.status != http.StatusSeeOther || p.header.Get("Location") != "/portal/acme" {
		t.Errorf("a contact reading all: %d %q", p.status, p.header.Get("Location"))
	}
}

func TestConsoleCustomerAndTaskPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	var globex string
	actScan(t, a, `SELECT customer_id::text FROM customers WHERE name = 'Globex Logistics'`, nil, &globex)
	hooliCustomer, hooliTask := actOtherTenant(t, a)
	c := signIn(t, a, "priya.shah@acme.example")

	// The customer list links to the page.
	if l := get(t, c, a.url+"/app/customers"); len(l.all(`a[href="/app/customers/`+globex+`"]`)) != 1 || strings.Contains(l.raw, "Hooli") {
		t.Error("the customer list does not link to Globex, or shows another workspace's customer")
	}
	cp := get(t, c, a.url+"/app/customers/"+globex)
	if cp.status != 200 || strings.TrimSpace(cp.text("h1")) != "Globex Logistics" {
		t.Fatalf("customer page: %d %q", cp.status, cp.text("h1"))
	}
	if !strings.Contains(cp.text("main"), "Priya Shah") {
		t.Error("the support member is not shown")
	}
	contacts := cp.text("main #contact-list")
	if !strings.Contains(contacts, "Hannah Becker") || !strings.Contains(contacts, "omar.aziz@globex.example") || strings.Contains(contacts, "Lena Park") {
		t.Errorf("contacts: %q", contacts)
	}
	rows := cp.all("main table#customer-projects tbody tr")
	if len(rows) != 2 {
		t.Errorf("the customer has %d projects listed, want 2", len(rows))
	}
	for _, name := range []string{"Globex platform rollout", "Globex EU region expansion"} {
		if len(cp.all(`main table tbody a[href="/app/projects/`+a.projectID(t, name)+`"]`)) != 1 {
			t.Errorf("project %q is not linked", name)
		}
	}
	if strings.Contains(cp.text("main table"), "Initech") {
		t.Error("another customer's project is listed")
	}
	if len(cp.all(`form[action="/app/customers/`+globex+`/summary"]`)) != 1 {
		t.Error("no summary form")
	}
	// Unknown, malformed and another workspace's customers are not found;
	// a contact is sent to the portal.
	for _, id := range []string{hooliCustomer, uuid.NewString(), "nope"} {
		if p := get(t, c, a.url+"/app/customers/"+id); p.status != http.StatusNotFound || p.text("h1") != "Not found" {
			t.Errorf("customer %s: %d %q", id, p.status, p.text("h1"))
		}
	}
	cc := actPortalClient(t, a, "hannah.becker@globex.example")
	if p := get(t, cc, a.url+"/app/customers/"+globex); p.status != http.StatusSeeOther || p.header.Get("Location") != "/portal/acme" {
		t.Errorf("a contact opening a customer page: %d %q", p.status, p.header.Get("Location"))
	}

	// The task page.
	const rollout = "Globex platform rollout"
	task := actTaskID(t, a, rollout, actContactTask)
	var desc, status string
	actScan(t, a, `SELECT description, status FROM tasks WHERE task_id = $1`, []any{task}, &desc, &status)
	tp := get(t, c, a.url+"/app/tasks/"+task)
	if tp.status != 200 || strings.TrimSpace(tp.text("h1")) != desc {
		t.Fatalf("task page: %d %q, want %q", tp.status, tp.text("h1"), desc)
	}
	if len(tp.all(`main a[href="/app/projects/`+a.projectID(t, rollout)+`"]`)) != 1 {
		t.Error("no link back to the project")
	}
	if sel := tp.all("select#status option[selected]"); len(sel) != 1 || attr(sel[0], "value") != status {
		t.Errorf("the status select does not show %q", status)
	}
	commentForm := `form[action="/app/tasks/` + task + `/comments"]`
	if len(tp.all(commentForm+` textarea[name=body]`)) != 1 || len(tp.all(`label[for=body]`)) != 1 {
		t.Error("no labelled comment form")
	}
	if !strings.Contains(tp.text("main"), "No comments yet.") {
		t.Error("a task without comments does not say so")
	}

	// A CSM comments and changes the status from the task page.
	body := "Called Hannah: the metadata URL is on its way."
	p := post(t, c, a.url+"/app/tasks/"+task+"/comments", url.Values{"body": {body}}, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/tasks/"+task+"#comments" {
		t.Errorf("comment: %d %q", p.status, p.header.Get("Location"))
	}
	reason := "Waiting for the IdP metadata"
	p = post(t, c, a.url+"/app/tasks/"+task+"/status", url.Values{"status": {"blocked"}, "blocked_reason": {reason}, "back": {"task"}}, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/tasks/"+task {
		t.Errorf("status from the task page: %d %q", p.status, p.header.Get("Location"))
	}
	tp = get(t, c, a.url+"/app/tasks/"+task)
	if got := tp.text("main"); !strings.Contains(got, body) || !strings.Contains(got, "Priya Shah") || strings.Contains(got, "No comments yet.") {
		t.Errorf("the comment is not shown: %q", got)
	}
	if !strings.Contains(tp.text("main p"), "blocked: "+reason) || len(tp.all(`select#status option[selected][value="blocked"]`)) != 1 {
		t.Errorf("the blocked status is not shown")
	}

	// A viewer and a sales leader may read the page but not comment or
	// change the status.
	state := actTaskState(t, a, task)
	for _, email := range []string{"sam.lee@acme.example", "dana.whitfield@acme.example"} {
		v := signIn(t, a, email)
		if p := get(t, v, a.url+"/app/tasks/"+task); p.status != 200 || !strings.Contains(p.text("main"), body) {
			t.Errorf("%s reading the task: %d", email, p.status)
		}
		if p := post(t, v, a.url+"/app/tasks/"+task+"/comments", url.Values{"body": {"me too"}}, a.url); p.status != http.StatusForbidden {
			t.Errorf("%s commenting: %d, want 403", email, p.status)
		}
		if p := post(t, v, a.url+"/app/tasks/"+task+"/status", url.Values{"status": {"completed"}, "back": {"task"}}, a.url); p.status != http.StatusForbidden {
			t.Errorf("%s changing the status: %d, want 403", email, p.status)
		}
	}
	if s := actTaskState(t, a, task); s != state {
		t.Errorf("the refused posts changed the task: %+v, was %+v", s, state)
	}

	// Internal tasks are for staff; another workspace's task is not found,
	// to read or to comment on.
	internal := actTaskID(t, a, rollout, `t.visibility = 'internal'`)
	if p := get(t, c, a.url+"/app/tasks/"+internal); p.status != 200 {
		t.Errorf("an internal task for staff: %d", p.status)
	}
	if p := get(t, c, a.url+"/app/tasks/"+hooliTask); p.status != http.StatusNotFound || strings.Contains(p.raw, "Hooli secret task") {
		t.Errorf("another workspace's task: %d", p.status)
	}
	if p := post(t, c, a.url+"/app/tasks/"+hooliTask+"/comments", url.Values{"body": {"hello"}}, a.url); p.status != http.StatusNotFound {
		t.Errorf("commenting on another workspace's task: %d", p.status)
	}
	if p := post(t, c, a.url+"/app/tasks/"+hooliTask+"/status", url.Values{"status": {"completed"}}, a.url); p.status != http.StatusNotFound {
		t.Errorf("changing another workspace's task: %d", p.status)
	}
	if s := actTaskStateIn(t, a, actTenantOf(t, a, "hooli"), hooliTask); s != (actTask{status: "not_started"}) {
		t.Errorf("another workspace's task changed: %+v", s)
	}
}

func actTenantOf(t *testing.T, a *app, slug string) uuid.UUID {
	t.Helper()
	id, err := a.db.App.TenantIDBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
