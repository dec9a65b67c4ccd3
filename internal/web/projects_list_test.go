package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// projectNames lists the names in the projects table of p.
func projectNames(p page) string {
	var out []string
	for _, a := range p.all("table#projects tr.project td:first-child > a") {
		out = append(out, strings.TrimSpace(page{doc: a}.text("*")))
	}
	return strings.Join(out, ",")
}

// TestProjectsList: the projects page filters by status, CSM, customer,
// overdue and at risk, searches by name, sorts and pages, keeping the
// filter in its form and links; its "New project" link shows to those who
// may create projects.
func TestProjectsList(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["csm"])
	actExec(t, a, `UPDATE projects SET at_risk = true, risk_reason = 'Slow' WHERE name = 'Umbrella Retail pilot'`)
	var marco, globex string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = 'marco.rossi@acme.example'`, nil, &marco)
	globex = a.customerID(t, "Globex Logistics")

	all := get(t, c, a.url+"/app/projects?sort=name")
	labelled(t, "projects", all)
	if got := projectNames(all); got != "Globex EU region expansion,Globex platform rollout,Initech Health onboarding,Umbrella Retail pilot" {
		t.Errorf("by name: %q", got)
	}
	if row := all.text("table#projects tr.project:nth-child(3)"); !strings.Contains(row, "Initech Health") || !strings.Contains(row, "Marco Rossi") || !strings.Contains(row, "overdue") {
		t.Errorf("the Initech row: %q", row)
	}
	for query, want := range map[string]string{
		"overdue=1":                             "Initech Health onboarding",
		"at_risk=1":                             "Umbrella Retail pilot",
		"csm=" + marco:                          "Initech Health onboarding",
		"customer_id=" + globex + "&sort=-name": "Globex platform rollout,Globex EU region expansion",
		"q=ROLLOUT":                             "Globex platform rollout",
		"q=pilot&overdue=1":                     "",
	} {
		p := get(t, c, a.url+"/app/projects?"+query)
		if got := projectNames(p); p.status != 200 || got != want {
			t.Errorf("%s: %d %q, want %q", query, p.status, got, want)
		}
	}
	// The form keeps the filter.
	p := get(t, c, a.url+"/app/projects?overdue=1&csm="+marco+"&sort=deadline&q=health")
	if len(p.all("#overdue[checked]")) != 1 || len(p.all(`#csm option[selected][value="`+marco+`"]`)) != 1 ||
		len(p.all(`#sort option[selected][value="deadline"]`)) != 1 || attr(p.all("#q")[0], "value") != "health" {
		t.Error("the filter form does not show the filter")
	}
	if p := get(t, c, a.url+"/app/projects?sort=bogus"); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(".error"), "must be one of created_at") {
		t.Errorf("a bad sort: %d %q", p.status, p.text(".error"))
	}

	// Paging: 29 projects, 25 a page; the next page's link keeps the filter.
	actExec(t, a, `INSERT INTO projects (tenant_id, customer_id, name, start_date)
SELECT tenant_id, customer_id, 'Extra ' || lpad(g::text, 2, '0'), now() FROM customers, generate_series(1, 25) g WHERE name = 'Umbrella Retail'`)
	first := get(t, c, a.url+"/app/projects?sort=name")
	next := first.all(`nav.pager a[rel="next"]`)
	if n := len(first.all("tr.project")); n != 25 || len(next) != 1 {
		t.Fatalf("page 1: %d rows, %d next links", n, len(next))
	}
	u, _ := url.Parse(attr(next[0], "href"))
	second := get(t, c, a.url+attr(next[0], "href"))
	if u.Query().Get("sort") != "name" || projectNames(second) != "Globex EU region expansion,Globex platform rollout,Initech Health onboarding,Umbrella Retail pilot" ||
		len(second.all(`nav.pager a[rel="next"]`)) != 0 {
		t.Errorf("page 2 (%s): %q", u.RawQuery, projectNames(second))
	}

	for role, email := range roleEmails {
		links := len(get(t, signIn(t, a, email), a.url+"/app/projects").all("#new-project-link"))
		if may := role == "admin" || role == "csm"; (links == 1) != may {
			t.Errorf("%s sees %d new-project links", role, links)
		}
	}
}

// TestNewProjectForm: a CSM starts a project from a customer's page: the
// customer and the default template are chosen, the name suggested. A bad
// date comes back beside its field with the input kept; a cross-origin
// post is refused; the project starts with the template's tasks. Those who
// may not create projects do not get the form and are refused.
func TestNewProjectForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["csm"])
	globex := a.customerID(t, "Globex Logistics")
	var tpl string
	actScan(t, a, `SELECT template_id::text FROM templates WHERE is_default`, nil, &tpl)

	cp := get(t, c, a.url+"/app/customers/"+globex)
	link := cp.all("#new-project-link")
	if len(link) != 1 {
		t.Fatal("the customer's page has no new-project link")
	}
	form := get(t, c, a.url+attr(link[0], "href"))
	labelled(t, "new project", form)
	if len(form.all(`#project-customer_id option[selected][value="`+globex+`"]`)) != 1 || len(form.all(`#project-template_id option[selected][value="`+tpl+`"]`)) != 1 ||
		attr(form.all("#project-name")[0], "value") != "Globex Logistics onboarding" || attr(form.all("#project-start_date")[0], "value") == "" {
		t.Fatalf("the form does not start from the customer and the default template")
	}

	in := url.Values{"customer_id": {globex}, "template_id": {tpl}, "name": {"Globex analytics add-on"}, "description": {"  Second phase.  "},
		"start_date": {"2026-03-02"}, "deadline": {"2026-02-01"}}
	p := post(t, c, a.url+"/app/projects", in, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("h1") != "New project" || !strings.Contains(p.text("#error-project-deadline"), "before the start date") ||
		len(p.all(`#project-deadline[aria-invalid="true"]`)) != 1 || attr(p.all("#project-name")[0], "value") != "Globex analytics add-on" ||
		p.text("#project-description") != "  Second phase.  " || attr(p.all("#project-start_date")[0], "value") != "2026-03-02" ||
		len(p.all(`#project-customer_id option[selected][value="`+globex+`"]`)) != 1 {
		t.Fatalf("a deadline before the start: %d %q", p.status, p.text("#error-project-deadline"))
	}
	in.Set("start_date", "next monday")
	if p := post(t, c, a.url+"/app/projects", in, a.url); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-project-start_date"), "date such as") {
		t.Errorf("a bad start date: %d %q", p.status, p.text("#error-project-start_date"))
	}
	in.Set("start_date", "2026-03-02")
	in.Set("name", "")
	if p := post(t, c, a.url+"/app/projects", in, a.url); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-project-name"), "required") {
		t.Errorf("no name: %d %q", p.status, p.text("#error-project-name"))
	}
	in.Set("name", "Globex analytics add-on")
	in.Set("deadline", "")
	if p := post(t, c, a.url+"/app/projects", in, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin create: %d", p.status)
	}
	var n int
	actScan(t, a, `SELECT count(*) FROM projects WHERE name = 'Globex analytics add-on'`, nil, &n)
	if n != 0 {
		t.Fatal("a refused post made a project")
	}
	p = post(t, c, a.url+"/app/projects", in, a.url)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/app/projects/") {
		t.Fatalf("create: %d %s", p.status, p.text(".error"))
	}
	id := strings.TrimPrefix(p.header.Get("Location"), "/app/projects/")
	var tasks int
	var start, deadline string
	// The start date is the beginning of that day (UTC), as every plan
	// counts days.
	actScan(t, a, `SELECT (SELECT count(*) FROM tasks WHERE project_id = p.project_id), to_char(p.start_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
    coalesce(to_char(p.deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD'), '') FROM projects p WHERE p.project_id = $1`,
		[]any{id}, &tasks, &start, &deadline)
	if tasks < 10 || start != "2026-03-02 00:00" || deadline <= "2026-03-02" {
		t.Errorf("the project: %d tasks, start %s, deadline %s", tasks, start, deadline)
	}
	if pg := get(t, c, a.url+"/app/projects/"+id); pg.status != 200 || !strings.Contains(pg.text(".flash"), "was created") {
		t.Errorf("the new project's page: %d %q", pg.status, pg.text(".flash"))
	}

	for _, role := range []string{"viewer", "sales_leader"} {
		rc := signIn(t, a, roleEmails[role])
		if p := get(t, rc, a.url+"/app/projects/new"); p.status != http.StatusForbidden || len(p.all("form#new-project")) != 0 {
			t.Errorf("%s opens the form: %d", role, p.status)
		}
		if p := get(t, rc, a.url+"/app/customers/"+globex); len(p.all("#new-project-link")) != 0 {
			t.Errorf("%s sees the customer's new-project link", role)
		}
		in.Set("name", role+"'s project")
		refused(t, role+" creates a project", post(t, rc, a.url+"/app/projects", in, a.url))
	}
	if p := get(t, signIn(t, a, roleEmails["admin"]), a.url+"/app/projects/new"); p.status != 200 || len(p.all("form#new-project")) != 1 {
		t.Errorf("the admin's form: %d", p.status)
	}
	actScan(t, a, `SELECT count(*) FROM projects WHERE name LIKE '%''s project'`, nil, &n)
	if n != 0 {
		t.Errorf("refused posts made %d projects", n)
	}
}

// TestMyTasksPage: the signed-in user's open tasks across the open
// projects, overdue first and flagged, each with its project and customer;
// the same as the store lists.
func TestMyTasksPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, "marco.rossi@acme.example")
	p := get(t, c, a.url+"/app/my-tasks")
	labelled(t, "my tasks", p)
	rows := p.all("table#my-tasks tbody tr.task-row")
	var open, overdue int
	actScan(t, a, `
SELECT count(*), count(*) FILTER (WHERE t.due_at < now()) FROM tasks t JOIN projects p ON p.project_id = t.project_id
JOIN tenant_users u ON u.user_id = t.assigned_to
WHERE u.email = 'marco.rossi@acme.example' AND t.status NOT IN ('completed', 'cancelled') AND p.status NOT IN ('completed', 'cancelled', 'on_hold')`, nil, &open, &overdue)
	if len(rows) != open || open == 0 || overdue == 0 {
		t.Fatalf("%d rows; %d open tasks, %d overdue", len(rows), open, overdue)
	}
	flagged := p.all("table#my-tasks tbody tr.task-row.overdue")
	if len(flagged) != overdue || rows[0] != flagged[0] || !strings.Contains(p.text("table#my-tasks tbody tr:first-child"), "Initech Health") {
		t.Errorf("%d flagged overdue, want %d first; first row %q", len(flagged), overdue, p.text("table#my-tasks tbody tr:first-child"))
	}
	if n := len(p.all("table#my-tasks tr.task-row .pill.overdue")); n != overdue {
		t.Errorf("%d overdue pills", n)
	}
	// Someone with no tasks sees so.
	if p := get(t, signIn(t, a, roleEmails["viewer"]), a.url+"/app/my-tasks"); p.status != 200 || !strings.Contains(p.text("#my-tasks"), "No open tasks") {
		t.Errorf("the viewer's tasks: %d %q", p.status, p.text("#my-tasks"))
	}
}
