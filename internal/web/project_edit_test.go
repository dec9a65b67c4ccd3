package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestMoveForms: each row moves within its phase — no "up" on the first
// of a phase, no "down" on the last —; a move its place no longer allows
// comes back with the error beside the row; others see no buttons and are
// refused.
func TestMoveForms(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const name = "Globex platform rollout"
	id := a.projectID(t, name)
	base := a.url + "/app/projects/" + id
	c := signIn(t, a, "priya.shah@acme.example")
	order := func(phase string) []string {
		t.Helper()
		var ids string
		actScan(t, a, `SELECT string_agg(t.task_id::text, ' ' ORDER BY t.position, t.task_id) FROM tasks t JOIN projects p ON p.project_id = t.project_id
WHERE p.name = $1 AND t.phase = $2`, []any{name, phase}, &ids)
		return strings.Fields(ids)
	}
	kickoff := order("Kickoff")
	pg := get(t, c, base)
	has := func(p page, task, dir string) bool {
		return len(p.all(`#task-`+task+` form.move-form[action="/app/tasks/`+task+`/move"] input[name=direction][value=`+dir+`]`)) == 1
	}
	if has(pg, kickoff[0], "up") || !has(pg, kickoff[0], "down") || !has(pg, kickoff[1], "up") || has(pg, kickoff[len(kickoff)-1], "down") {
		t.Errorf("move buttons at the phase's edges are wrong")
	}
	for _, b := range pg.all("form.move-form button") {
		if !strings.HasPrefix(attr(b, "aria-label"), "Move “") {
			t.Errorf("a move button without a name: %v", b.Attr)
		}
	}
	move := func(task, dir, origin string) page {
		t.Helper()
		return post(t, c, a.url+"/app/tasks/"+task+"/move", url.Values{"direction": {dir}}, origin)
	}
	if p := move(kickoff[1], "up", "https://elsewhere.example"); p.status != http.StatusForbidden {
		t.Errorf("cross-origin: %d", p.status)
	}
	p := move(kickoff[1], "up", a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/projects/"+id+"#task-"+kickoff[1] {
		t.Fatalf("up: %d %q", p.status, p.header.Get("Location"))
	}
	if got := order("Kickoff"); got[0] != kickoff[1] || got[1] != kickoff[0] {
		t.Errorf("after moving the second up: %v, was %v", got, kickoff)
	}
	// The page still offered "up" for what is now first (another tab).
	p = move(kickoff[1], "up", a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("h1") != name || !strings.Contains(p.text("#task-"+kickoff[1]+" #error-move-"+kickoff[1]), "first of its phase") {
		t.Errorf("past the top: %d %q", p.status, p.text("#error-move-"+kickoff[1]))
	}
	for _, u := range demoStaff[2:] {
		c := signIn(t, a, u.email)
		if n := len(get(t, c, base).all("form.move-form")); n != 0 {
			t.Errorf("%s sees %d move buttons", u.role, n)
		}
		if p := post(t, c, a.url+"/app/tasks/"+kickoff[2]+"/move", url.Values{"direction": {"up"}}, a.url); p.status != http.StatusForbidden {
			t.Errorf("%s: %d", u.role, p.status)
		}
	}
}

// TestEditProjectForm: name, description and deadline change on the
// project page; a refusal comes back beside its field with the input kept;
// a deadline left alone keeps its time; others see no form and are refused.
func TestEditProjectForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const name = "Umbrella Retail pilot"
	id := a.projectID(t, name)
	base := a.url + "/app/projects/" + id
	c := signIn(t, a, "priya.shah@acme.example")
	pg := get(t, c, base)
	labelledIn(t, pg, "#edit-project-form")
	var deadline, start time.Time
	actScan(t, a, `SELECT deadline, start_date FROM projects WHERE project_id = $1`, []any{id}, &deadline, &start)
	was := value(pg, `#edit-project-form input[name=deadline_was]`)
	if value(pg, "#edit-name") != name || value(pg, "#edit-deadline") != was || was != deadline.UTC().Format("2006-01-02") {
		t.Errorf("the form shows %q due %q (was %q); want the project as it is", value(pg, "#edit-name"), value(pg, "#edit-deadline"), was)
	}
	send := func(f url.Values, origin string) page {
		t.Helper()
		f.Set("deadline_was", was)
		return post(t, c, base+"/edit", f, origin)
	}
	p := send(url.Values{"name": {"  "}, "description": {"Six stores, then all."}, "deadline": {was}}, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("h1") != name {
		t.Fatalf("no name: %d %q", p.status, p.text("h1"))
	}
	describedError(t, p, "#edit-name", "error-edit-name", "required")
	if p.text("#edit-description") != "Six stores, then all." {
		t.Errorf("the description was not kept: %q", p.text("#edit-description"))
	}
	early := start.AddDate(0, 0, -10).UTC().Format("2006-01-02")
	p = send(url.Values{"name": {"Umbrella pilot"}, "deadline": {early}}, a.url)
	describedError(t, p, "#edit-deadline", "error-edit-deadline", "start date")
	if value(p, "#edit-deadline") != early || value(p, "#edit-name") != "Umbrella pilot" {
		t.Error("the input was not kept")
	}
	if p := send(url.Values{"name": {"Elsewhere"}, "deadline": {was}}, "https://elsewhere.example"); p.status != http.StatusForbidden {
		t.Errorf("cross-origin: %d", p.status)
	}
	if a.projectID(t, name) != id {
		t.Fatal("a refused edit changed the project")
	}
	// The name alone: the deadline keeps its time of day.
	if p := send(url.Values{"name": {"Umbrella pilot"}, "description": {"Six stores."}, "deadline": {was}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("rename: %d %s", p.status, p.text(".error"))
	}
	var after time.Time
	var desc string
	actScan(t, a, `SELECT deadline, description FROM projects WHERE project_id = $1`, []any{id}, &after, &desc)
	if !after.Equal(deadline) || desc != "Six stores." {
		t.Errorf("after renaming: deadline %v (was %v), description %q", after, deadline, desc)
	}
	if got := get(t, c, base); got.text("h1") != "Umbrella pilot" || got.text(".flash") != "Saved the project." {
		t.Errorf("after renaming: %q, flash %q", got.text("h1"), got.text(".flash"))
	}
	if p := send(url.Values{"name": {"Umbrella pilot"}, "deadline": {"2031-06-30"}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("a new deadline: %d", p.status)
	}
	actScan(t, a, `SELECT deadline FROM projects WHERE project_id = $1`, []any{id}, &after)
	if !after.Equal(time.Date(2031, 6, 30, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("the new deadline: %v", after)
	}

	for _, u := range demoStaff {
		c := signIn(t, a, u.email)
		pg := get(t, c, base)
		shown := len(pg.all("form#edit-project-form")) == 1
		status := post(t, c, base+"/edit", url.Values{"name": {"By " + u.role}}, a.url).status
		if shown != mayEdit(u.role) || (status == http.StatusForbidden) == mayEdit(u.role) {
			t.Errorf("%s: form shown %v, post answered %d", u.role, shown, status)
		}
		// Saving as a template is for admins.
		tpl := pg.all(`form#save-template-form[action="/app/templates/from-project"]`)
		if (len(tpl) == 1) != (u.role == "admin") {
			t.Errorf("%s: the save-as-template form shown %v", u.role, len(tpl) == 1)
		}
		if len(tpl) == 1 {
			labelledIn(t, pg, "#save-template-form")
			if value(pg, `#save-template-form input[type=hidden][name=project_id]`) != id || value(pg, "#template-name") == "" {
				t.Error("the save-as-template form does not name the project")
			}
		}
	}
}

// TestTimelines: the project page draws a row per task, with today's line
// and the deadline; the portfolio timeline draws every open project, linked,
// overdue ones marked, for staff only.
func TestTimelines(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const name = "Initech Health onboarding"
	id := a.projectID(t, name)
	c := signIn(t, a, "sam.lee@acme.example") // a viewer reads both
	pg := get(t, c, a.url+"/app/projects/"+id)
	var tasks int
	actScan(t, a, `SELECT count(*) FROM tasks WHERE project_id = $1`, []any{id}, &tasks)
	svg := pg.all("#timeline svg.timeline")
	if len(svg) != 1 || attr(svg[0], "role") != "img" || !strings.Contains(attr(svg[0], "aria-label"), name) {
		t.Fatalf("the project's timeline: %d charts", len(svg))
	}
	if n := len(pg.all("#timeline svg g.row")); n != tasks {
		t.Errorf("%d rows, want %d tasks", n, tasks)
	}
	if len(pg.all("#timeline g.marker.today line")) != 1 || len(pg.all("#timeline g.marker.deadline line")) != 1 {
		t.Error("no today or deadline line")
	}
	if n := len(pg.all("#timeline g.row.overdue")); n == 0 || n != len(pg.all("#task-table tr.task.overdue")) {
		t.Errorf("%d overdue rows on the chart, %d in the table", n, len(pg.all("#task-table tr.task.overdue")))
	}
	if strings.Contains(pg.raw, "style=") {
		t.Error("a style attribute on the page")
	}

	tl := get(t, c, a.url+"/app/timeline")
	var open int
	actScan(t, a, `SELECT count(*) FROM projects WHERE status NOT IN ('completed', 'cancelled')`, nil, &open)
	if tl.status != 200 || len(tl.all("svg.timeline[role=img]")) != 1 {
		t.Fatalf("the portfolio timeline: %d", tl.status)
	}
	if n := len(tl.all("svg.timeline g.row")); n != open || len(tl.all("#portfolio-table tbody tr.project")) != open {
		t.Errorf("%d rows, want the %d open projects", n, open)
	}
	if len(tl.all(`svg.timeline g.row.overdue a[href="/app/projects/`+id+`"]`)) != 1 || !strings.Contains(tl.text("#portfolio-table"), "overdue") {
		t.Error("the overdue project is not marked and linked")
	}
	if !strings.Contains(tl.text("#timeline-count"), "open project") {
		t.Errorf("the count says %q", tl.text("#timeline-count"))
	}
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	if p := get(t, contact, a.url+"/app/timeline"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/portal/") {
		t.Errorf("a contact: %d %q", p.status, p.header.Get("Location"))
	}
}
