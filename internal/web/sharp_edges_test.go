package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/notify/wording"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TestNotificationsOneByOne: each unread notification has its own Mark
// read button, which marks that one only; opening one marks it read and
// leads to its project (or back to the list when it names none); another
// user's is not found; the kinds read in words.
func TestNotificationsOneByOne(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	pid := a.projectID(t, "Initech Health onboarding")
	var priya, marco string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = $1`, []any{"priya.shah@acme.example"}, &priya)
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = $1`, []any{"marco.rossi@acme.example"}, &marco)
	notify := func(user, kind string, project any) string {
		var id string
		actScan(t, a, `INSERT INTO notifications (tenant_id, user_id, kind, project_id, title, body) VALUES ($1, $2, $3, $4, 'An alert', 'Body')
RETURNING notification_id::text`, []any{a.demo.TenantID, user, kind, project}, &id)
		return id
	}
	overdue := notify(priya, "project_overdue", pid)
	risk := notify(priya, "project_at_risk", pid)
	loose := notify(priya, "task.blocked", nil)
	var task, onTask string
	actScan(t, a, `SELECT task_id::text FROM tasks WHERE project_id = $1 ORDER BY position LIMIT 1`, []any{pid}, &task)
	actScan(t, a, `INSERT INTO notifications (tenant_id, user_id, kind, project_id, title, body, data) VALUES ($1, $2, 'customer_commented', $3, 'A comment', 'Body', jsonb_build_object('task_id', $4::text))
RETURNING notification_id::text`, []any{a.demo.TenantID, priya, pid, task}, &onTask)
	marcos := notify(marco, "project_overdue", pid)
	read := func(id string) bool {
		var r bool
		actScan(t, a, `SELECT read_at IS NOT NULL FROM notifications WHERE notification_id = $1`, []any{id}, &r)
		return r
	}

	c := signIn(t, a, "priya.shah@acme.example")
	inbox := get(t, c, a.url+"/app/notifications")
	for id, label := range map[string]string{overdue: "Project overdue", risk: "Project at risk", loose: "Task blocked"} {
		item := byID("n-" + id)
		if got := inbox.text(item + " .kind"); got != label {
			t.Errorf("%s: the kind reads %q, want %q", id, got, label)
		}
		if len(inbox.all(item+` form.read-one[action="/app/notifications/`+id+`/read"] button`)) != 1 {
			t.Errorf("%s: no Mark read button", id)
		}
	}
	if strings.Contains(inbox.text("#notifications"), "project_overdue") || strings.Contains(inbox.text("#notifications"), "task.blocked") {
		t.Error("a kind is shown by its key")
	}
	// Mark one read: only it.
	if p := post(t, c, a.url+"/app/notifications/"+risk+"/read", nil, a.url); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/app/notifications") {
		t.Errorf("mark one read: %d %q", p.status, p.header.Get("Location"))
	}
	if !read(risk) || read(overdue) || read(loose) {
		t.Errorf("after marking one: read %v %v %v", read(risk), read(overdue), read(loose))
	}
	inbox = get(t, c, a.url+"/app/notifications")
	if len(inbox.all(byID("n-"+risk)+" form.read-one")) != 0 || len(inbox.all(byID("n-"+risk)+".unread")) != 0 || inbox.text("#inbox .badge") != "3" {
		t.Errorf("after marking one: the list still offers it, or the badge says %q", inbox.text("#inbox .badge"))
	}
	// Open: read, and where it points.
	for id, to := range map[string]string{overdue: "/app/projects/" + pid, loose: "/app/notifications", onTask: "/app/tasks/" + task} {
		if p := get(t, c, a.url+"/app/notifications/"+id); p.status != http.StatusSeeOther || p.header.Get("Location") != to {
			t.Errorf("open %s: %d %q, want %q", id, p.status, p.header.Get("Location"), to)
		}
		if !read(id) {
			t.Errorf("open %s: not read", id)
		}
	}
	// Another user's: not found, and still unread; a cross-origin mark refused.
	if p := get(t, c, a.url+"/app/notifications/"+marcos); p.status != 404 || read(marcos) {
		t.Errorf("open another user's: %d, read %v", p.status, read(marcos))
	}
	if p := post(t, c, a.url+"/app/notifications/"+marcos+"/read", nil, a.url); p.status != 404 || read(marcos) {
		t.Errorf("mark another user's read: %d, read %v", p.status, read(marcos))
	}
	marcoC := signIn(t, a, "marco.rossi@acme.example")
	if p := post(t, marcoC, a.url+"/app/notifications/"+marcos+"/read", nil, "https://evil.example"); p.status != http.StatusForbidden || read(marcos) {
		t.Errorf("a cross-origin mark read: %d", p.status)
	}
	// Every kind a user can set has words of its own.
	for _, k := range postgres.NotificationKinds {
		if l := wording.Kind(k); strings.Contains(l, "_") || l == "Notification" {
			t.Errorf("the kind %s reads %q", k, l)
		}
	}
	settings := get(t, c, a.url+"/app/settings")
	if got := settings.text("#preferences tbody"); !strings.Contains(got, "Project overdue") || strings.Contains(got, "project_overdue") {
		t.Errorf("the preferences show the kinds as %q", got)
	}
}

// TestDeliveryLogShowsWhy: the settings page's delivery log says why a
// delivery failed, or is being retried.
func TestDeliveryLogShowsWhy(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	actExec(t, a, `INSERT INTO deliveries (tenant_id, channel, event_type, recipient, message_id, status, attempts, last_error)
VALUES ($1, 'webhook', 'project.overdue', 'https://hooks.example/x', 'm1', 'failed', 8, '410 Gone: the endpoint is no more'),
       ($1, 'email', 'project_overdue', 'priya.shah@acme.example', 'm2', 'delivered', 1, NULL)`, a.demo.TenantID)
	p := get(t, signIn(t, a, "alex.morgan@acme.example"), a.url+"/app/settings")
	rows := p.all("#deliveries tr.delivery")
	if len(rows) != 2 {
		t.Fatalf("%d deliveries listed", len(rows))
	}
	if got := p.text("#deliveries tr.failed td.reason"); got != "410 Gone: the endpoint is no more" {
		t.Errorf("the failed delivery's reason: %q", got)
	}
	if got := p.text("#deliveries tr.delivered td.reason"); got != "" {
		t.Errorf("the delivered one's reason: %q", got)
	}
	if len(p.all(`#deliveries td[data-label="Why"]`)) != 2 {
		t.Error("the reasons are not labelled for phones")
	}
}

// TestPortalHomeTasksFirst: the portal's home shows the contact's own open
// tasks first, the overdue ones first and flagged with how late they are,
// then the projects; the card names their support member; the project's
// page flags its overdue tasks.
func TestPortalHomeTasksFirst(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const rollout = "Globex platform rollout"
	var hannah string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = 'hannah.becker@globex.example'`, nil, &hannah)
	late := actTaskID(t, a, rollout, `t.visibility = 'customer' AND t.assigned_to = '`+hannah+`' AND t.status NOT IN ('completed', 'cancelled')`)
	actExec(t, a, `UPDATE tasks SET due_at = $2 WHERE task_id = $1`, late, time.Now().Add(-(30*24-1)*time.Hour))
	// Another, due two hours ago: a day late, said in the singular.
	justLate := actTaskID(t, a, rollout, `t.visibility = 'customer' AND t.assigned_to = '`+hannah+`' AND t.status NOT IN ('completed', 'cancelled') AND t.task_id <> '`+late+`'`)
	actExec(t, a, `UPDATE tasks SET due_at = $2 WHERE task_id = $1`, justLate, time.Now().Add(-2*time.Hour))
	c := actPortalClient(t, a, "hannah.becker@globex.example")
	home := get(t, c, a.url+"/portal/acme")
	if home.status != 200 {
		t.Fatalf("home: %d", home.status)
	}
	main := home.all("main")[0]
	var order []string
	for n := main.FirstChild; n != nil; n = n.NextSibling {
		if id := attr(n, "id"); id != "" {
			order = append(order, id)
		}
		if n.Data == "section" && strings.Contains(attr(n, "class"), "project") && len(order) > 0 && order[len(order)-1] != "projects" {
			order = append(order, "projects")
		}
	}
	if len(order) < 3 || order[0] != "your-tasks" || order[1] != "csm" || order[2] != "projects" {
		t.Errorf("the home's order: %v, want your-tasks, csm, projects", order)
	}
	rows := home.all("#mine tbody tr")
	if len(rows) == 0 {
		t.Fatal("no tasks of hers")
	}
	first := page{doc: rows[0]}
	if !strings.Contains(attr(first.all("a")[0], "href"), "#task-"+late) || first.text(".pill.overdue") != "overdue · 30 days late" {
		t.Errorf("the first task: %q, want %s, 30 days late", first.text("td"), late)
	}
	if !strings.Contains(home.text("#mine"), "overdue · 1 day late") {
		t.Errorf("no task is 1 day late: %q", home.text("#mine"))
	}
	for _, r := range rows {
		if cells := (page{doc: r}).all("td[data-label]"); len(cells) != 4 {
			t.Errorf("a task row has %d labelled cells", len(cells))
		}
	}
	if got := home.text("#csm"); !strings.Contains(got, "Priya Shah") || len(home.all(`#csm a[href="mailto:priya.shah@acme.example"]`)) != 1 {
		t.Errorf("the support contact: %q", got)
	}
	pp := get(t, c, a.url+"/portal/acme/projects/"+a.projectID(t, rollout))
	if got := pp.text(byID("task-"+late) + " .pill.overdue"); got != "overdue · 30 days late" {
		t.Errorf("the project page flags the late task: %q", got)
	}
	if n := len(pp.all("div.task.overdue")); n == 0 || !strings.Contains(pp.text("#overdue-count"), "overdue") {
		t.Errorf("%d overdue tasks flagged, summary %q", n, pp.text("#overdue-count"))
	}
}
