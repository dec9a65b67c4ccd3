package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// The staff emails of the demo workspace, by role.
var demoStaff = []struct{ role, email string }{
	{"admin", "alex.morgan@acme.example"},
	{"csm", "priya.shah@acme.example"},
	{"sales_leader", "dana.whitfield@acme.example"},
	{"viewer", "sam.lee@acme.example"},
}

// mayEdit reports whether a demo role may change tasks and projects.
func mayEdit(role string) bool { return role == "admin" || role == "csm" }

// labelled fails unless every field of the form sel has a label.
func labelledIn(t *testing.T, p page, sel string) {
	t.Helper()
	fields := p.all(sel + " input:not([type=hidden]), " + sel + " select, " + sel + " textarea")
	if len(fields) == 0 {
		t.Fatalf("%s has no fields", sel)
	}
	for _, in := range fields {
		id := attr(in, "id")
		if id == "" || len(p.all(`label[for="`+id+`"]`)) != 1 {
			t.Errorf("%s: a %s without a label (id %q)", sel, in.Data, id)
		}
	}
}

// value is the value attribute of the element sel, or "".
func value(p page, sel string) string {
	if n := p.all(sel); len(n) == 1 {
		return attr(n[0], "value")
	}
	return ""
}

// selected is the value of the selected option of select sel.
func selected(p page, sel string) string {
	return value(p, sel+" option[selected]")
}

// describedError checks that field sel is marked invalid and described by
// the error errID, which says want; it returns the error's text.
func describedError(t *testing.T, p page, sel, errID, want string) {
	t.Helper()
	fields := p.all(sel)
	if len(fields) != 1 || attr(fields[0], "aria-invalid") != "true" || attr(fields[0], "aria-describedby") != errID {
		t.Errorf("%s is not marked invalid and described by %s", sel, errID)
	}
	if got := p.text("#" + errID); !strings.Contains(got, want) {
		t.Errorf("error %s says %q, want %q", errID, got, want)
	}
}

// TestProjectTaskTable: one row per task grouped by phase, the filters
// with their counts, overdue and blocked rows marked in words; a status
// change refused for want of a reason comes back on the same page (422),
// in the same view, with the error beside that row's reason and the choice
// kept; a change that succeeds keeps the view.
func TestProjectTaskTable(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const name = "Initech Health onboarding" // overdue tasks and a blocked one
	id := a.projectID(t, name)
	base := a.url + "/app/projects/" + id
	c := signIn(t, a, "priya.shah@acme.example")

	pg := get(t, c, base)
	var total, overdue, blocked int
	actScan(t, a, `SELECT count(*), count(*) FILTER (WHERE t.due_at < now() AND t.status NOT IN ('completed', 'cancelled')),
       count(*) FILTER (WHERE t.status = 'blocked')
FROM tasks t JOIN projects p ON p.project_id = t.project_id WHERE p.name = $1`, []any{name}, &total, &overdue, &blocked)
	if overdue == 0 || blocked == 0 {
		t.Fatalf("the demo project has %d overdue and %d blocked tasks; the test needs both", overdue, blocked)
	}
	if n := len(pg.all("#task-table tr.task")); n != total {
		t.Errorf("%d rows, want %d", n, total)
	}
	if n := len(pg.all("#task-table tbody.phase tr.phase-row th")); n != 5 {
		t.Errorf("%d phase headers, want 5", n)
	}
	counts := map[string]string{}
	for _, l := range pg.all("nav.filters a") {
		n := page{doc: l}.text(".count")
		counts[strings.TrimSpace(strings.TrimSuffix(rawText(l), n))] = n
	}
	if counts["All"] != strconv.Itoa(total) || counts["Overdue"] != strconv.Itoa(overdue) || counts["Blocked"] != strconv.Itoa(blocked) {
		t.Errorf("filter counts %v; want all %d, overdue %d, blocked %d", counts, total, overdue, blocked)
	}
	for _, row := range pg.all("#task-table tr.task.overdue") {
		if got := (page{doc: row}).text(".pill.overdue"); got != "overdue" {
			t.Errorf("an overdue row says %q", got)
		}
	}
	if n := len(pg.all("#task-table tr.task.overdue")); n != overdue {
		t.Errorf("%d rows marked overdue, want %d", n, overdue)
	}
	if n := len(pg.all("#task-table tr.task.blocked .pill.blocked")); n != blocked {
		t.Errorf("%d blocked rows say so, want %d", n, blocked)
	}
	for _, tc := range []struct {
		filter string
		want   int
	}{{"overdue", overdue}, {"blocked", blocked}} {
		p := get(t, c, base+"?filter="+tc.filter)
		if n := len(p.all("#task-table tr.task." + tc.filter)); p.status != 200 || n != tc.want || len(p.all("#task-table tr.task")) != tc.want {
			t.Errorf("filter %s: %d, %d rows, want %d", tc.filter, p.status, n, tc.want)
		}
		if cur := p.all(`nav.filters a[aria-current="page"]`); len(cur) != 1 || !strings.Contains(attr(cur[0], "href"), "filter="+tc.filter) {
			t.Errorf("filter %s: the current link is not marked", tc.filter)
		}
		if len(p.all("form.move-form")) != 0 {
			t.Errorf("filter %s: move buttons in a filtered view", tc.filter)
		}
	}
	if p := get(t, c, base+"?filter=everything"); p.status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown filter: %d", p.status)
	}

	// Blocked without a reason, from the overdue view.
	task := actTaskID(t, a, name, `t.status = 'in_progress' AND t.due_at < now()`)
	before := actTaskState(t, a, task)
	send := func(status, reason, origin string) page {
		t.Helper()
		return post(t, c, a.url+"/app/tasks/"+task+"/status", url.Values{"status": {status}, "blocked_reason": {reason}, "filter": {"overdue"}}, origin)
	}
	p := send("blocked", "", a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("h1") != name {
		t.Fatalf("blocked without a reason: %d, h1 %q; want the project page, 422", p.status, p.text("h1"))
	}
	describedError(t, p, "#r-"+task, "error-r-"+task, "blocked reason")
	if len(p.all("#status-"+task+" #error-r-"+task)) != 1 || selected(p, "#s-"+task) != "blocked" {
		t.Errorf("the error is not in the row's form, or the status chosen is not kept (%q)", selected(p, "#s-"+task))
	}
	if cur := p.all(`nav.filters a[aria-current="page"]`); len(cur) != 1 || !strings.Contains(attr(cur[0], "href"), "filter=overdue") {
		t.Error("the refused change lost the view")
	}
	long := strings.Repeat("Waiting on their DBA. ", 100)
	if p := send("blocked", long, a.url); p.status != http.StatusUnprocessableEntity || value(p, "#r-"+task) != long || !strings.Contains(p.text("#error-r-"+task), "at most 2000") {
		t.Errorf("a long reason: %d, kept %v, error %q", p.status, value(p, "#r-"+task) == long, p.text("#error-r-"+task))
	}
	if p := send("blocked", "Waiting on their DBA", "https://elsewhere.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin change: %d", p.status)
	}
	if after := actTaskState(t, a, task); after != before {
		t.Fatalf("refused changes changed the task: %+v, was %+v", after, before)
	}
	p = send("blocked", "Waiting on their DBA", a.url)
	if loc := p.header.Get("Location"); p.status != http.StatusSeeOther || loc != "/app/projects/"+id+"?filter=overdue#task-"+task {
		t.Errorf("blocked with a reason: %d, to %q; want the overdue view at the row", p.status, loc)
	}
	if st := actTaskState(t, a, task); st.status != "blocked" || st.reason != "Waiting on their DBA" {
		t.Errorf("stored: %+v", st)
	}
	// Another status: a reason left in the field (no script) is not sent on.
	if p := send("in_progress", "Waiting on their DBA", a.url); p.status != http.StatusSeeOther {
		t.Errorf("back in progress with the old reason in the field: %d %s", p.status, p.text(".error"))
	}

	// Who may not change statuses sees none and is refused.
	v := signIn(t, a, "sam.lee@acme.example")
	if p := get(t, v, base); len(p.all("form.status-form")) != 0 || len(p.all("#task-table tr.task .pill")) < total {
		t.Errorf("a viewer sees %d status forms", len(p.all("form.status-form")))
	}
	if p := post(t, v, a.url+"/app/tasks/"+task+"/status", url.Values{"status": {"completed"}}, a.url); p.status != http.StatusForbidden {
		t.Errorf("a viewer's change: %d", p.status)
	}
}

// TestAddTaskForm: a labelled form for those who may edit tasks; a refused
// task comes back with the error beside its field and every field as
// typed; a cross-origin post is refused; others see no form and are
// refused.
func TestAddTaskForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const name = "Globex platform rollout"
	id := a.projectID(t, name)
	base := a.url + "/app/projects/" + id
	c := signIn(t, a, "priya.shah@acme.example")
	pg := get(t, c, base)
	labelledIn(t, pg, "#add-task-form")
	if n := len(pg.all("#phase-names option")); n != 5 || attr(pg.all("#new-phase")[0], "list") != "phase-names" {
		t.Errorf("the phase list offers %d phases", n)
	}
	var contact string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = 'hannah.becker@globex.example'`, nil, &contact)
	if len(pg.all(`#new-assignee optgroup[label="Customer contacts"] option[value="`+contact+`"]`)) != 1 ||
		len(pg.all(`#new-assignee optgroup[label="Support team"] option`)) == 0 {
		t.Error("the assignee list lacks the customer's contact or the support team")
	}
	count := func() int {
		var n int
		actScan(t, a, `SELECT count(*) FROM tasks t JOIN projects p ON p.project_id = t.project_id WHERE p.name = $1`, []any{name}, &n)
		return n
	}
	tasks := count()
	form := func(title, due string) url.Values {
		return url.Values{"description": {title}, "details": {"Check the **export** first."}, "assigned_to": {contact},
			"due_at": {due}, "visibility": {"internal"}, "phase": {"Data migration"}}
	}
	kept := func(p page) {
		t.Helper()
		if value(p, "#new-phase") != "Data migration" || p.text("#new-details") != "Check the **export** first." ||
			selected(p, "#new-assignee") != contact || selected(p, "#new-visibility") != "internal" {
			t.Errorf("the input was not kept: phase %q, details %q, assignee %q, visibility %q",
				value(p, "#new-phase"), p.text("#new-details"), selected(p, "#new-assignee"), selected(p, "#new-visibility"))
		}
	}
	p := post(t, c, base+"/tasks", form("", "2027-03-01"), a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("h1") != name {
		t.Fatalf("no title: %d %q", p.status, p.text("h1"))
	}
	describedError(t, p, "#new-title", "error-new-description", "required")
	kept(p)
	if value(p, "#new-due") != "2027-03-01" {
		t.Errorf("the due date was not kept: %q", value(p, "#new-due"))
	}
	p = post(t, c, base+"/tasks", form("Migrate the archive", "1 March"), a.url)
	describedError(t, p, "#new-due", "error-new-due_at", "date")
	if value(p, "#new-title") != "Migrate the archive" || value(p, "#new-due") != "1 March" {
		t.Error("the title or the date typed was not kept")
	}
	kept(p)
	if p := post(t, c, base+"/tasks", form("Migrate the archive", "2027-03-01"), "https://elsewhere.example"); p.status != http.StatusForbidden {
		t.Errorf("cross-origin: %d", p.status)
	}
	if count() != tasks {
		t.Fatal("a refused form added a task")
	}
	p = post(t, c, base+"/tasks", form("Migrate the archive", "2027-03-01"), a.url)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/app/projects/"+id+"#task-") {
		t.Fatalf("add: %d %q %s", p.status, p.header.Get("Location"), p.text(".error"))
	}
	var phase, vis, assignee string
	var due time.Time
	actScan(t, a, `SELECT phase, visibility, assigned_to::text, due_at FROM tasks WHERE description = 'Migrate the archive'`, nil, &phase, &vis, &assignee, &due)
	if phase != "Data migration" || vis != "internal" || assignee != contact || !due.Equal(time.Date(2027, 3, 1, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("stored: %s %s %s %v", phase, vis, assignee, due)
	}
	if got := get(t, c, base); !strings.Contains(got.text(".flash"), "Migrate the archive") || len(got.all("#task-table tr.task")) != tasks+1 {
		t.Errorf("after adding: flash %q, %d rows", got.text(".flash"), len(got.all("#task-table tr.task")))
	}

	for _, u := range demoStaff {
		c := signIn(t, a, u.email)
		shown := len(get(t, c, base).all("form#add-task-form")) == 1
		status := post(t, c, base+"/tasks", form("By "+u.role, ""), a.url).status
		if shown != mayEdit(u.role) || (status == http.StatusForbidden) == mayEdit(u.role) {
			t.Errorf("%s: form shown %v, post answered %d", u.role, shown, status)
		}
	}
	contactClient := actPortalClient(t, a, "hannah.becker@globex.example")
	before := count()
	if p := post(t, contactClient, base+"/tasks", form("By the contact", ""), a.url); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/portal/") || count() != before {
		t.Errorf("a contact's post: %d to %q", p.status, p.header.Get("Location"))
	}
}

// TestBulkForm: rows ticked in the table change together; a refusal comes
// back with the error beside its field, the ticks and the choices kept;
// those who may not edit tasks see no selection and are refused.
func TestBulkForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const name = "Globex platform rollout"
	id := a.projectID(t, name)
	base := a.url + "/app/projects/" + id
	c := signIn(t, a, "priya.shah@acme.example")
	pg := get(t, c, base)
	labelledIn(t, pg, "#bulk")
	for _, box := range pg.all(`#task-table input[type=checkbox]`) {
		if attr(box, "form") != "bulk" || attr(box, "name") != "task_id" {
			t.Fatalf("a row's checkbox is not the bulk form's: %v", box.Attr)
		}
	}
	// Two open tasks of the customer's side (the view the form is sent from).
	first := actTaskID(t, a, name, `t.status = 'not_started' AND u.customer_id = p.customer_id`)
	second := actTaskID(t, a, name, `t.status = 'not_started' AND u.customer_id = p.customer_id AND t.task_id::text <> '`+first+`'`)
	var other string
	actScan(t, a, `SELECT t.task_id::text FROM tasks t JOIN projects p ON p.project_id = t.project_id WHERE p.name = 'Initech Health onboarding' LIMIT 1`, nil, &other)
	state := func() [2]actTask { return [2]actTask{actTaskState(t, a, first), actTaskState(t, a, second)} }
	before := state()
	send := func(form url.Values, origin string) page {
		t.Helper()
		if _, ok := form["task_id"]; !ok {
			form["task_id"] = []string{first, second}
		}
		form.Set("filter", "customer")
		return post(t, c, base+"/tasks/bulk", form, origin)
	}
	ticked := func(p page) {
		t.Helper()
		for _, id := range []string{first, second} {
			if b := p.all("#sel-" + id); len(b) != 1 || !hasAttr(b[0], "checked") {
				t.Errorf("the selection of %s was not kept", id)
			}
		}
	}
	p := send(url.Values{"status": {"blocked"}}, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("h1") != name {
		t.Fatalf("blocked without a reason: %d %q", p.status, p.text("h1"))
	}
	describedError(t, p, "#bulk-reason", "error-bulk-blocked_reason", "required")
	ticked(p)
	if selected(p, "#bulk-status") != "blocked" {
		t.Errorf("the status chosen was not kept: %q", selected(p, "#bulk-status"))
	}
	p = send(url.Values{"shift_days": {"three"}}, a.url)
	describedError(t, p, "#bulk-shift", "error-bulk-shift_days", "whole number")
	if value(p, "#bulk-shift") != "three" {
		t.Errorf("the days typed were not kept: %q", value(p, "#bulk-shift"))
	}
	p = send(url.Values{"task_id": {}, "shift_days": {"2"}}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-bulk-task_ids"), "at least one") {
		t.Errorf("nothing selected: %d %q", p.status, p.text("#error-bulk-task_ids"))
	}
	p = send(url.Values{"task_id": {first, other}, "shift_days": {"2"}}, a.url)
	if !strings.Contains(p.text("#error-bulk-task_ids"), "not a task of this project") {
		t.Errorf("another project's task: %d %q", p.status, p.text("#error-bulk-task_ids"))
	}
	p = send(url.Values{}, a.url)
	if !strings.Contains(p.text("#error-bulk"), "choose something") {
		t.Errorf("no change chosen: %q", p.text("#error-bulk"))
	}
	if p := send(url.Values{"status": {"in_progress"}}, "https://elsewhere.example"); p.status != http.StatusForbidden {
		t.Errorf("cross-origin: %d", p.status)
	}
	if state() != before {
		t.Fatal("refused bulk changes changed the tasks")
	}
	p = send(url.Values{"status": {"blocked"}, "blocked_reason": {"Waiting on legal"}, "assigned_to": {""}}, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/projects/"+id+"?filter=customer#tasks" {
		t.Fatalf("bulk block: %d %q %s", p.status, p.header.Get("Location"), p.text(".error"))
	}
	if s := state(); s[0].status != "blocked" || s[1].reason != "Waiting on legal" {
		t.Errorf("stored: %+v", s)
	}
	if got := get(t, c, base).text(".flash"); got != "Changed 2 tasks." {
		t.Errorf("flash %q", got)
	}

	for _, u := range demoStaff[2:] {
		c := signIn(t, a, u.email)
		pg := get(t, c, base)
		if len(pg.all("form#bulk")) != 0 || len(pg.all("#task-table input[type=checkbox]")) != 0 {
			t.Errorf("%s sees the selection", u.role)
		}
		if p := post(t, c, base+"/tasks/bulk", url.Values{"task_id": {first}, "shift_days": {"1"}}, a.url); p.status != http.StatusForbidden {
			t.Errorf("%s: %d", u.role, p.status)
		}
	}
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// nodeText is all the text under n.
func rawText(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(rawText(c))
	}
	return b.String()
}
