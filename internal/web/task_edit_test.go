package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onboardiq/onboardiq/internal/demo"
	"github.com/onboardiq/onboardiq/internal/schedule"
)

const (
	rollout   = "Globex platform rollout" // in progress in the demo, its go-live ahead
	readiness = "Go-live readiness review"
	switchOn  = "Switch production traffic on"
	hypercare = "Hypercare: daily check-ins for the first week"
)

// taskDates reads a task's start and due dates as stored.
func taskDates(t *testing.T, a *app, id string) (start, due *time.Time) {
	t.Helper()
	actScan(t, a, `SELECT start_at, due_at FROM tasks WHERE task_id = $1`, []any{id}, &start, &due)
	return start, due
}

// clearRolloutDependencies removes what the rollout's tasks wait on: the
// demo plans it from the default template, whose go-live tasks wait on one
// another; these tests make those links themselves.
func clearRolloutDependencies(t *testing.T, a *app) {
	t.Helper()
	actExec(t, a, `DELETE FROM task_dependencies d USING tasks t, projects p
WHERE t.tenant_id = d.tenant_id AND t.task_id = d.task_id AND p.tenant_id = t.tenant_id AND p.project_id = t.project_id AND p.name = $1`, rollout)
}

func rolloutTask(t *testing.T, a *app, desc string) string {
	t.Helper()
	return actTaskID(t, a, rollout, `t.description = '`+strings.ReplaceAll(desc, "'", "''")+`'`)
}

// editForm is the task page's form as it shows, the way a browser would
// send it (checked boxes only), with changes.
func editForm(p page, change func(url.Values)) url.Values {
	v := url.Values{}
	for _, in := range p.all("form.task-edit input, form.task-edit select, form.task-edit textarea") {
		name := attr(in, "name")
		switch {
		case name == "":
		case in.Data == "select":
			for _, o := range (page{doc: in}).all("option[selected]") {
				v.Set(name, attr(o, "value"))
			}
		case in.Data == "textarea":
			v.Set(name, (page{doc: in}).text("textarea"))
		case attr(in, "type") == "checkbox":
			if hasAttr(in, "checked") {
				v.Add(name, attr(in, "value"))
			}
		default:
			v.Set(name, attr(in, "value"))
		}
	}
	if change != nil {
		change(v)
	}
	return v
}

// TestTaskEditForm: a CSM edits a task from its page: every field is
// labelled; a cross-origin post is refused; a bad date or a cycle comes
// back on the same page with the error beside its field and what was typed
// kept; making a task wait on another shows on both pages; moving the
// predecessor's due date with "also move" moves what waits on it, in
// working days, and the flash says how many; a viewer, a sales leader and a
// contact see no form and are refused.
func TestTaskEditForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, "priya.shah@acme.example")
	clearRolloutDependencies(t, a)
	ready, on, care := rolloutTask(t, a, readiness), rolloutTask(t, a, switchOn), rolloutTask(t, a, hypercare)
	onURL := a.url + "/app/tasks/" + on

	pg := get(t, c, onURL)
	if pg.status != http.StatusOK || len(pg.all("form.task-edit")) != 1 || len(pg.all("details#delete form")) != 1 {
		t.Fatalf("task page: %d, %d edit forms, %d delete forms", pg.status, len(pg.all("form.task-edit")), len(pg.all("details#delete form")))
	}
	for _, in := range pg.all("form.task-edit input, form.task-edit select, form.task-edit textarea") {
		if len(pg.all(`label[for="`+attr(in, "id")+`"]`)) != 1 {
			t.Errorf("field %q (%s) has no label", attr(in, "id"), attr(in, "name"))
		}
	}
	if len(pg.all("fieldset#edit-depends_on legend")) != 1 || len(pg.all(`input[name=depends_on][value="`+ready+`"]`)) != 1 {
		t.Error("the predecessors are not offered as a labelled group of the project's tasks")
	}
	if len(pg.all("#shift-row")) != 0 {
		t.Error("the offer to move dependents shows on a task nothing waits on")
	}
	if opts := pg.text("#edit-assigned_to"); !strings.Contains(opts, "Priya Shah") || !strings.Contains(opts, "Hannah Becker") || strings.Contains(opts, "Lena Park") {
		t.Errorf("assignees offered: %q; want staff and Globex's contacts only", opts)
	}
	_, dueBefore := taskDates(t, a, on)

	// Cross-origin: refused, nothing changes.
	if p := post(t, c, onURL, editForm(pg, func(v url.Values) { v.Set("description", "Hijacked") }), "http://elsewhere.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin edit: %d, want 403", p.status)
	}
	// A start after the due date: the error beside the start, what was
	// typed kept.
	p := post(t, c, onURL, editForm(pg, func(v url.Values) {
		v.Set("description", "Switch production traffic on, carefully")
		v.Set("start_at", "2031-05-10")
		v.Set("due_at", "2031-05-01")
	}), a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-start_at"), "start at: must not be after the due date") ||
		attr(p.all("#edit-start_at")[0], "aria-describedby") != "error-start_at" ||
		attr(p.all("#edit-description")[0], "value") != "Switch production traffic on, carefully" || attr(p.all("#edit-due_at")[0], "value") != "2031-05-01" {
		t.Errorf("a start after the due date: %d, error %q", p.status, p.text("#error-start_at"))
	}
	if p := post(t, c, onURL, editForm(pg, func(v url.Values) { v.Set("due_at", "01/05/2031") }), a.url); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.text("#error-due_at"), "a date like") {
		t.Errorf("a date that is no date: %d %q", p.status, p.text("#error-due_at"))
	}
	if _, due := taskDates(t, a, on); !due.Equal(*dueBefore) {
		t.Fatalf("refused edits changed the due date: %v, was %v", due, dueBefore)
	}

	// "Switch on" waits on "readiness"; "hypercare" on "switch on".
	if p := post(t, c, onURL, editForm(pg, func(v url.Values) { v.Add("depends_on", ready) }), a.url); p.status != http.StatusSeeOther ||
		p.header.Get("Location") != "/app/tasks/"+on {
		t.Fatalf("set a predecessor: %d %q %s", p.status, p.header.Get("Location"), p.text(".error"))
	}
	carePage := get(t, c, a.url+"/app/tasks/"+care)
	if p := post(t, c, a.url+"/app/tasks/"+care, editForm(carePage, func(v url.Values) { v.Add("depends_on", on) }), a.url); p.status != http.StatusSeeOther {
		t.Fatalf("set hypercare's predecessor: %d %s", p.status, p.text(".error"))
	}
	pg = get(t, c, onURL)
	if len(pg.all(`#waits-on a[href="/app/tasks/`+ready+`"]`)) != 1 || len(pg.all(`#waited-on a[href="/app/tasks/`+care+`"]`)) != 1 ||
		!strings.Contains(pg.raw, "Saved the task.") {
		t.Errorf("switch-on's page: waits on %q, waited on by %q", pg.text("#waits-on"), pg.text("#waited-on"))
	}
	// A cycle: readiness waiting on hypercare. The error names the tasks,
	// the boxes stay as ticked.
	readyPage := get(t, c, a.url+"/app/tasks/"+ready)
	if n := strings.TrimSpace(readyPage.text("#shift-row label")); !strings.Contains(n, "Also move the 2 tasks that wait on this one") {
		t.Errorf("the offer to move dependents: %q", n)
	}
	p = post(t, c, a.url+"/app/tasks/"+ready, editForm(readyPage, func(v url.Values) { v.Add("depends_on", care) }), a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-depends_on"), "“"+readiness+"” → “"+hypercare+"” → “"+switchOn+"” → “"+readiness+"” would wait on itself") ||
		len(p.all(`input[name=depends_on][value="`+care+`"][checked]`)) != 1 {
		t.Errorf("a cycle: %d, error %q", p.status, p.text("#error-depends_on"))
	}

	// Readiness due two working days later, moving what waits on it.
	var cal schedule.Calendar
	_, readyDue := taskDates(t, a, ready)
	onStart, onDue := taskDates(t, a, on)
	careStart, careDue := taskDates(t, a, care)
	newDue := cal.AddWorkdays(readyDue.UTC(), 2)
	p = post(t, c, a.url+"/app/tasks/"+ready, editForm(readyPage, func(v url.Values) { v.Set("due_at", newDue.Format(time.DateOnly)) }), a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("move readiness: %d %s", p.status, p.text(".error"))
	}
	readyPage = get(t, c, a.url+"/app/tasks/"+ready)
	if flash := readyPage.text(".flash"); !strings.Contains(flash, "moved the 2 tasks that wait on it") {
		t.Errorf("flash %q", flash)
	}
	for _, x := range []struct {
		id                 string
		start, due         *time.Time
		wantStart, wantDue time.Time
	}{
		{on, onStart, onDue, cal.AddWorkdays(onStart.UTC(), 2), cal.AddWorkdays(onDue.UTC(), 2)},
		{care, careStart, careDue, cal.AddWorkdays(careStart.UTC(), 2), cal.AddWorkdays(careDue.UTC(), 2)},
	} {
		s, d := taskDates(t, a, x.id)
		if !s.Equal(x.wantStart) || !d.Equal(x.wantDue) {
			t.Errorf("task %s: %v – %v, want %v – %v", x.id, s, d, x.wantStart, x.wantDue)
		}
	}
	// Unticked, a later move leaves them.
	_, onDue = taskDates(t, a, on)
	p = post(t, c, a.url+"/app/tasks/"+ready, editForm(readyPage, func(v url.Values) {
		v.Set("due_at", cal.AddWorkdays(newDue, 1).Format(time.DateOnly))
		v.Del("shift_dependents")
	}), a.url)
	if _, d := taskDates(t, a, on); p.status != http.StatusSeeOther || !d.Equal(*onDue) {
		t.Errorf("without the box: %d, switch-on due %v, was %v", p.status, d, onDue)
	}

	// An admin may edit too; those who may not edit tasks see no form and
	// are refused.
	if pg := get(t, signIn(t, a, "alex.morgan@acme.example"), onURL); len(pg.all("form.task-edit")) != 1 || len(pg.all("details#delete form")) != 1 {
		t.Error("an admin sees no edit or delete form")
	}
	for _, email := range []string{"sam.lee@acme.example", "dana.whitfield@acme.example"} {
		v := signIn(t, a, email)
		pg := get(t, v, onURL)
		if pg.status != http.StatusOK || len(pg.all("form.task-edit")) != 0 || len(pg.all("details#delete")) != 0 ||
			len(pg.all(`#waits-on a[href="/app/tasks/`+ready+`"]`)) != 1 {
			t.Errorf("%s: %d, %d edit forms, %d delete forms", email, pg.status, len(pg.all("form.task-edit")), len(pg.all("details#delete")))
		}
		if p := post(t, v, onURL, editForm(get(t, c, onURL), func(v url.Values) { v.Set("description", "Mine") }), a.url); p.status != http.StatusForbidden {
			t.Errorf("%s editing: %d, want 403", email, p.status)
		}
		if p := post(t, v, onURL+"/delete", nil, a.url); p.status != http.StatusForbidden {
			t.Errorf("%s deleting: %d, want 403", email, p.status)
		}
	}
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	if p := post(t, contact, onURL, url.Values{"description": {"Mine"}}, a.url); p.status != http.StatusSeeOther || p.header.Get("Location") != "/portal/acme" {
		t.Errorf("a contact editing: %d %q", p.status, p.header.Get("Location"))
	}
	var desc string
	actScan(t, a, `SELECT description FROM tasks WHERE task_id = $1`, []any{on}, &desc)
	if desc != switchOn {
		t.Errorf("refused edits renamed the task %q", desc)
	}
}

// TestTaskDelete: deleting from the task page (a form inside a closed
// <details>) returns to the project with a flash; the task is gone, and
// what waited on it no longer does. A cross-origin delete is refused.
func TestTaskDelete(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, "priya.shah@acme.example")
	clearRolloutDependencies(t, a)
	ready, on := rolloutTask(t, a, readiness), rolloutTask(t, a, switchOn)
	actExec(t, a, `INSERT INTO task_dependencies (tenant_id, task_id, depends_on_task_id) VALUES ($1, $2, $3)`, a.demo.TenantID, on, ready)
	pg := get(t, c, a.url+"/app/tasks/"+ready)
	if d := pg.all("details#delete"); len(d) != 1 || hasAttr(d[0], "open") || !strings.Contains(pg.text("details#delete"), "cannot be undone") {
		t.Fatal("no closed confirmation around the delete button")
	}
	if p := post(t, c, a.url+"/app/tasks/"+ready+"/delete", nil, "http://elsewhere.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin delete: %d", p.status)
	}
	project := a.projectID(t, rollout)
	p := post(t, c, a.url+"/app/tasks/"+ready+"/delete", nil, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/projects/"+project {
		t.Fatalf("delete: %d %q", p.status, p.header.Get("Location"))
	}
	if flash := get(t, c, a.url+"/app/projects/"+project).text(".flash"); !strings.Contains(flash, "Deleted the task “"+readiness+"”") {
		t.Errorf("flash %q", flash)
	}
	if p := get(t, c, a.url+"/app/tasks/"+ready); p.status != http.StatusNotFound {
		t.Errorf("the deleted task: %d", p.status)
	}
	if pg := get(t, c, a.url+"/app/tasks/"+on); !strings.Contains(pg.text("#waits-on"), "Nothing unfinished") {
		t.Errorf("switch-on still waits: %q", pg.text("#waits-on"))
	}
}

// TestHolidaysForm: an admin replaces the holidays from a labelled
// textarea; a bad line comes back with the error naming it and the text
// kept; a cross-origin post is refused; a CSM sees the list but no form and
// is refused; a contact is sent to the portal.
func TestHolidaysForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := signIn(t, a, "alex.morgan@acme.example")
	u := a.url + "/app/settings/holidays"
	pg := get(t, admin, u)
	if pg.status != http.StatusOK || len(pg.all(`form textarea#holidays-text[name=holidays]`)) != 1 || len(pg.all(`label[for=holidays-text]`)) != 1 {
		t.Fatalf("holidays page: %d, no labelled textarea", pg.status)
	}
	bad := "2026-12-25 Christmas\n2026-12-32 Nonsense\n"
	p := post(t, admin, u, url.Values{"holidays": {bad}}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-holidays"), "Line 2") ||
		strings.TrimSpace(p.text("#holidays-text")) != strings.TrimSpace(bad) || attr(p.all("#holidays-text")[0], "aria-describedby") != "error-holidays" {
		t.Errorf("a bad line: %d, error %q, text %q", p.status, p.text("#error-holidays"), p.text("#holidays-text"))
	}
	p = post(t, admin, u, url.Values{"holidays": {"2026-12-25 Christmas\n2026-12-25 Again"}}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-holidays"), "Line 2: 2026-12-25 is already line 1") {
		t.Errorf("a day twice: %d, error %q", p.status, p.text("#error-holidays"))
	}
	if p := post(t, admin, u, url.Values{"holidays": {"2026-12-25 Christmas"}}, "http://elsewhere.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin save: %d", p.status)
	}
	if p := post(t, admin, u, url.Values{"holidays": {"\n2026-12-26 Boxing Day\n2026-12-25   Christmas\n"}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", p.status, p.text(".error"))
	}
	pg = get(t, admin, u)
	if rows := pg.text("table#holidays tbody"); !strings.Contains(pg.text(".flash"), "Saved 2 holidays") ||
		!strings.Contains(rows, "2026-12-25Christmas") || strings.Index(rows, "2026-12-25") > strings.Index(rows, "2026-12-26") {
		t.Errorf("saved: flash %q, rows %q", pg.text(".flash"), rows)
	}

	csm := signIn(t, a, "priya.shah@acme.example")
	if pg := get(t, csm, u); pg.status != http.StatusOK || len(pg.all("form")) != 1 /* sign out */ || !strings.Contains(pg.text("table#holidays"), "Boxing Day") {
		t.Errorf("a CSM's holidays page: %d, %d forms", pg.status, len(pg.all("form")))
	}
	if p := post(t, csm, u, url.Values{"holidays": {""}}, a.url); p.status != http.StatusForbidden {
		t.Errorf("a CSM saving: %d, want 403", p.status)
	}
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	if p := get(t, contact, u); p.status != http.StatusSeeOther {
		t.Errorf("a contact: %d", p.status)
	}
	if p := post(t, contact, u, url.Values{"holidays": {""}}, a.url); p.status != http.StatusSeeOther {
		t.Errorf("a contact saving: %d", p.status)
	}
	if pg := get(t, admin, u); !strings.Contains(pg.text("table#holidays"), "Boxing Day") {
		t.Error("refused saves changed the holidays")
	}
}

// TestTaskDependenciesInBrowser: on a task's page a CSM makes it wait on
// another task; on the other task's page, changing the due date brings up
// "also move" (ticked), and saving moves the waiting task's due date by the
// same number of working days.
func TestTaskDependenciesInBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := browser(t)
	clearRolloutDependencies(t, a)
	ready, on := rolloutTask(t, a, readiness), rolloutTask(t, a, switchOn)
	_, readyDue := taskDates(t, a, ready)
	_, onDue := taskDates(t, a, on)
	var cal schedule.Calendar
	newDue := cal.AddWorkdays(readyDue.UTC(), 3)
	wantOnDue := cal.AddWorkdays(onDue.UTC(), 3)

	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), "priya.shah@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#active")),
		chromedp.Navigate(a.url+"/app/tasks/"+on),
		chromedp.WaitVisible(chromedp.CSS("form.task-edit")),
		chromedp.Click(chromedp.CSS(`label[for="dep-`+ready+`"]`)),
		chromedp.Click(chromedp.CSS("form.task-edit button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
		chromedp.WaitVisible(chromedp.CSS(`#waits-on a[href="/app/tasks/`+ready+`"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "task-waits-on")

	err = chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/app/tasks/"+ready),
		chromedp.WaitVisible(chromedp.CSS("form.task-edit")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#shift-row").hidden`)); err != nil || !hidden {
		t.Errorf("the offer to move dependents shows before the due date changed (%v)", err)
	}
	// A date input takes its value from script as from the date picker.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const d = document.querySelector("#edit-due_at"); d.value = "`+
		newDue.Format(time.DateOnly)+`"; d.dispatchEvent(new Event("input", {bubbles: true})); return true })()`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#shift-row"))); err != nil {
		t.Fatal(err)
	}
	if checked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#edit-shift").checked`)); err != nil || !checked {
		t.Errorf("'also move' is not ticked by default (%v)", err)
	}
	if label := text(t, ctx, "#shift-row label"); !strings.Contains(label, "Also move the task that waits on this one by the same number of working days") {
		t.Errorf("the offer reads %q", label)
	}
	screenshot(t, ctx, "task-move")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("form.task-edit button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if flash := text(t, ctx, ".flash"); !strings.Contains(flash, "moved the task that waits on it") {
		t.Errorf("flash %q", flash)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/app/tasks/"+on),
		chromedp.WaitVisible(chromedp.CSS("#fact-due")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(text(t, ctx, "#fact-due")), wantOnDue.Format("2 Jan 2006"); got != want {
		t.Errorf("the waiting task is due %q, want %q (was %s)", got, want, onDue.UTC().Format("2 Jan 2006"))
	}
	screenshot(t, ctx, "task-moved")

	// On a phone, neither the task page nor the holidays page scrolls
	// sideways.
	for name, path := range map[string]string{"phone-task": "/app/tasks/" + ready, "phone-holidays": "/app/settings/holidays"} {
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(390, 844),
			chromedp.Navigate(a.url+path),
			chromedp.WaitVisible(chromedp.CSS("main h1")),
		)
		if err != nil {
			t.Fatal(err)
		}
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
		if err != nil || wide > 0 {
			t.Errorf("%s at 390 px: %d px too wide (%v)", path, wide, err)
		}
		screenshot(t, ctx, name)
	}
}
