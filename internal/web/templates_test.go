package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/onboardiq/onboardiq"
)

// formValues is what a browser would send for the form sel of p: named
// text, hidden and number inputs, checked boxes, selected options and text
// areas.
func formValues(t *testing.T, p page, sel string) url.Values {
	t.Helper()
	forms := p.all(sel)
	if len(forms) != 1 {
		t.Fatalf("%d forms %s", len(forms), sel)
	}
	v := url.Values{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			name := attr(n, "name")
			switch n.Data {
			case "input":
				if name == "" {
					break
				}
				switch attr(n, "type") {
				case "checkbox":
					if hasAttr(n, "checked") {
						v.Add(name, "on")
						if val := attr(n, "value"); val != "" {
							v[name][len(v[name])-1] = val
						}
					}
				default:
					v.Add(name, attr(n, "value"))
				}
			case "textarea":
				var b strings.Builder
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					b.WriteString(c.Data)
				}
				v.Add(name, b.String())
			case "select":
				for o := range n.Descendants() {
					if o.Type == html.ElementNode && o.Data == "option" && hasAttr(o, "selected") {
						v.Add(name, attr(o, "value"))
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(forms[0])
	return v
}

// rowOf returns the form row number (tasks[N]) of the task titled title.
func rowOf(t *testing.T, form url.Values, title string) string {
	t.Helper()
	for k, vs := range form {
		if strings.HasSuffix(k, ".description") && len(vs) == 1 && vs[0] == title {
			return strings.TrimSuffix(k, ".description")
		}
	}
	t.Fatalf("no row titled %q", title)
	return ""
}

// unlabelled lists the fields of p (within sel) without a label: neither
// wrapped in one nor named by one's for.
func unlabelled(p page, sel string) []string {
	var out []string
	for _, in := range p.all(sel + " input:not([type=hidden]), " + sel + " select, " + sel + " textarea") {
		wrapped := false
		for a := in.Parent; a != nil; a = a.Parent {
			if a.Type == html.ElementNode && a.Data == "label" {
				wrapped = true
			}
		}
		if id := attr(in, "id"); !wrapped && (id == "" || len(p.all(`label[for="`+id+`"]`)) == 0) {
			out = append(out, in.Data+"#"+id+" "+attr(in, "name"))
		}
	}
	return out
}

// defaultTemplateID is the demo workspace's default template.
func (a *app) defaultTemplateID(t *testing.T) string {
	t.Helper()
	var id string
	actScan(t, a, `SELECT template_id::text FROM templates WHERE is_default`, nil, &id)
	return id
}

// TestTemplateEditor: the admin's editor has a labelled field for every
// field of every row, each row its task's id; renaming a task keeps its
// details and id, and one save adds a task waiting on it, removes another
// and moves a third; a refused save comes back with 422, the error beside
// the row and field it is about and every value as typed; a cycle is
// refused naming the tasks; a cross-origin save is refused.
func TestTemplateEditor(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, "alex.morgan@acme.example")
	id := a.defaultTemplateID(t)
	editURL := a.url + "/app/templates/" + id

	list := get(t, c, a.url+"/app/templates")
	if list.status != 200 || len(list.all(`#templates a[href="/app/templates/`+id+`"]`)) == 0 || len(list.all("a#new-template")) != 1 ||
		len(list.all("form.duplicate-form")) != 1 || !strings.Contains(list.text("#templates"), "20") {
		t.Fatalf("the templates list: %d %s", list.status, list.text("#templates"))
	}
	for _, td := range list.all("table.rows td") {
		if attr(td, "data-label") == "" {
			t.Errorf("a cell of the list without a data-label")
		}
	}

	ed := get(t, c, editURL)
	if ed.status != 200 {
		t.Fatalf("the editor: %d", ed.status)
	}
	if missing := unlabelled(ed, "form#template-editor"); len(missing) > 0 {
		t.Errorf("fields without a label: %v", missing)
	}
	rows := ed.all("tr.task-row:not(.blank)")
	if len(rows) != len(onboardiq.DefaultTemplate) || len(ed.all("tr.task-row.blank")) < 5 {
		t.Fatalf("%d task rows, %d blank", len(rows), len(ed.all("tr.task-row.blank")))
	}
	for _, sel := range []string{`input[type=hidden][name$=".id"]`, `input[name$=".phase"]`, `input[name$=".description"]`, `textarea[name$=".details"]`,
		`input[name$=".offset_days"]`, `input[name$=".duration_days"]`, `select[name$=".side"]`, `select[name$=".visibility"]`,
		`input[name$=".position"]`, `input[name$=".remove"]`} {
		if n := len(ed.all("tr.task-row:not(.blank) " + sel)); n != len(rows) {
			t.Errorf("%d rows have %s, want all %d", n, sel, len(rows))
		}
	}
	// Each row offers the other tasks as predecessors, its own checked.
	if n := len(ed.all(`tr.task-row:not(.blank) input[type=checkbox][name$=".depends_on"]`)); n != len(rows)*(len(rows)-1) {
		t.Errorf("%d predecessor boxes, want %d", n, len(rows)*(len(rows)-1))
	}
	for _, td := range ed.all("table.rows td") {
		if attr(td, "data-label") == "" {
			t.Errorf("a cell of the editor without a data-label")
		}
	}

	form := formValues(t, ed, "form#template-editor")
	kickoff := rowOf(t, form, "Kickoff call: goals, scope and success criteria")
	kickoffID := form.Get(kickoff + ".id")
	review := rowOf(t, form, "Internal: review the sales handoff notes")
	closeOut := rowOf(t, form, "Onboarding close-out and success plan")
	// The blank row at the end of the kickoff phase.
	var blank string
	for _, tr := range ed.all("tr.task-row.blank") {
		n := attr(tr, "data-row")
		if form.Get("tasks["+n+"].phase") == "Kickoff" {
			blank = "tasks[" + n + "]"
		}
	}
	if blank == "" {
		t.Fatal("no blank row in the kickoff phase")
	}

	// Refused: a negative start on one row, the rest as typed.
	bad := cloneValues(form)
	bad.Set(kickoff+".description", "Kickoff meeting")
	bad.Set(blank+".description", "Send the welcome pack")
	sso := rowOf(t, form, "Configure single sign-on (SSO)")
	bad.Set(sso+".offset_days", "-3")
	p := post(t, c, editURL, bad, a.url)
	ssoID := "t" + strings.TrimSuffix(strings.TrimPrefix(sso, "tasks["), "]")
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-"+ssoID+"-offset_days"), "between 0 and 3650") {
		t.Fatalf("a negative start: %d, error %q, page errors %q", p.status, p.text("#error-"+ssoID+"-offset_days"), p.text(".error"))
	}
	if in := p.all("#" + ssoID + "-offset_days"); len(in) != 1 || attr(in[0], "aria-invalid") != "true" || attr(in[0], "aria-describedby") != "error-"+ssoID+"-offset_days" {
		t.Errorf("the start field is not marked invalid")
	}
	if n := len(p.all(".error")); n != 1 {
		t.Errorf("%d errors shown, want the one", n)
	}
	if again := formValues(t, p, "form#template-editor"); !sameValues(bad, again) {
		t.Errorf("the typed values were not kept:\n%s", diffValues(bad, again))
	}
	// A value that is not a number, on a new row.
	bad.Set(sso+".offset_days", "4")
	bad.Set(blank+".duration_days", "two")
	p = post(t, c, editURL, bad, a.url)
	blankID := "t" + strings.TrimSuffix(strings.TrimPrefix(blank, "tasks["), "]")
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-"+blankID+"-duration_days"), "whole number") {
		t.Errorf("a duration of two: %d %q", p.status, p.text(".error"))
	}
	if again := formValues(t, p, "form#template-editor"); !sameValues(bad, again) {
		t.Errorf("the typed values were not kept:\n%s", diffValues(bad, again))
	}
	// A cycle: the kickoff call waits on the workspace, which waits on it.
	cyc := cloneValues(form)
	workspace := rowOf(t, form, "Create the production workspace")
	cyc.Add(kickoff+".depends_on", form.Get(workspace+".id"))
	p = post(t, c, editURL, cyc, a.url)
	kickoffN := "t" + strings.TrimSuffix(strings.TrimPrefix(kickoff, "tasks["), "]")
	if want := "“Kickoff call: goals, scope and success criteria” → “Create the production workspace” → “Kickoff call: goals, scope and success criteria”"; p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-"+kickoffN+"-depends_on"), want) {
		t.Errorf("a cycle: %d %q", p.status, p.text(".error"))
	}
	// Another origin.
	if p := post(t, c, editURL, bad, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin save: %d", p.status)
	}
	if now := formValues(t, get(t, c, editURL), "form#template-editor"); now.Get(kickoff+".description") != "Kickoff call: goals, scope and success criteria" {
		t.Fatal("a refused save changed the template")
	}

	// Saved: renamed, a new task waiting on it, the review removed, the
	// close-out moved to the top.
	good := cloneValues(form)
	good.Set(kickoff+".description", "Kickoff meeting")
	good.Set(blank+".description", "Send the welcome pack")
	good.Set(blank+".details", "Logins, the plan and the first steps.")
	good.Add(blank+".depends_on", kickoffID)
	good.Set(review+".remove", "on")
	good.Set(closeOut+".position", "1")
	p = post(t, c, editURL, good, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/templates/"+id {
		t.Fatalf("save: %d %s %s", p.status, p.header.Get("Location"), p.text(".error"))
	}
	saved := get(t, c, editURL)
	after := formValues(t, saved, "form#template-editor")
	var titles []string
	for _, tr := range saved.all("tr.task-row:not(.blank)") {
		titles = append(titles, after.Get("tasks["+attr(tr, "data-row")+"].description"))
	}
	want := []string{"Onboarding close-out and success plan", "Kickoff call: goals, scope and success criteria"}
	if len(titles) != len(onboardiq.DefaultTemplate)+1-1 || titles[0] != want[0] || titles[1] != "Kickoff meeting" || titles[4] != "Send the welcome pack" {
		t.Errorf("after the save: %q", titles)
	}
	renamed := rowOf(t, after, "Kickoff meeting")
	added := rowOf(t, after, "Send the welcome pack")
	if after.Get(renamed+".id") != kickoffID || after.Get(renamed+".details") != onboardiq.DefaultTemplate[1].Details {
		t.Errorf("the renamed task: id %s, details %q", after.Get(renamed+".id"), after.Get(renamed+".details"))
	}
	if after.Get(added+".details") != "Logins, the plan and the first steps." || after.Get(added+".depends_on") != kickoffID {
		t.Errorf("the new task: details %q, waits on %v", after.Get(added+".details"), after[added+".depends_on"])
	}
	if flash := saved.text(".flash"); !strings.Contains(flash, "Saved") {
		t.Errorf("flash %q", flash)
	}
}

// TestTemplatePagesFollowRoles: staff read templates; only admins see the
// editor, the new, duplicate and delete controls, and the store refuses
// the others; the default template has no delete control and a forged
// delete is refused with the reason; a copy is deleted; a customer never
// sees the pages; the settings page's old links lead to the editor.
func TestTemplatePagesFollowRoles(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	id := a.defaultTemplateID(t)
	editURL := a.url + "/app/templates/" + id
	admin := signIn(t, a, "alex.morgan@acme.example")
	form := formValues(t, get(t, admin, editURL), "form#template-editor")

	for _, u := range []struct {
		email string
		role  onboardiq.Role
	}{
		{"alex.morgan@acme.example", onboardiq.RoleAdmin},
		{"priya.shah@acme.example", onboardiq.RoleCSM},
		{"dana.whitfield@acme.example", onboardiq.RoleSalesLeader},
		{"sam.lee@acme.example", onboardiq.RoleViewer},
	} {
		may := (&onboardiq.Principal{Role: u.role}).Can(onboardiq.ManageTemplates)
		c := signIn(t, a, u.email)
		list := get(t, c, a.url+"/app/templates")
		if list.status != 200 || (len(list.all("a#new-template")) == 1) != may || (len(list.all("form.duplicate-form")) > 0) != may {
			t.Errorf("%s: the list %d, new and duplicate controls shown: %v", u.role, list.status, !may)
		}
		ed := get(t, c, editURL)
		if ed.status != 200 || (len(ed.all("form#template-editor")) == 1) != may || (len(ed.all("form#duplicate")) == 1) != may {
			t.Errorf("%s: the template page %d, editor shown %v", u.role, ed.status, len(ed.all("form#template-editor")) == 1)
		}
		if !may && !strings.Contains(ed.text("#template-tasks"), "Kickoff call: goals, scope and success criteria") {
			t.Errorf("%s: the read-only view lacks the tasks", u.role)
		}
		if len(ed.all("form#delete")) != 0 {
			t.Errorf("%s: a delete control for the default template", u.role)
		}
		if may {
			continue
		}
		for _, tc := range []struct {
			path string
			form url.Values
		}{
			{"/app/templates/" + id, form},
			{"/app/templates", form},
			{"/app/templates/" + id + "/duplicate", url.Values{}},
			{"/app/templates/" + id + "/delete", url.Values{}},
			{"/app/templates/from-project", url.Values{"project_id": {a.projectID(t, "Globex platform rollout")}, "name": {"Mine"}}},
		} {
			if p := post(t, c, a.url+tc.path, tc.form, a.url); p.status != http.StatusForbidden {
				t.Errorf("%s: POST %s answered %d, want 403", u.role, tc.path, p.status)
			}
		}
		if p := get(t, c, a.url+"/app/templates/new"); p.status != http.StatusForbidden {
			t.Errorf("%s: the new template page: %d", u.role, p.status)
		}
	}
	var n int
	actScan(t, a, `SELECT count(*) FROM templates`, nil, &n)
	if n != 1 {
		t.Fatalf("%d templates after the refusals", n)
	}

	// The default cannot be deleted; a copy can.
	if p := post(t, admin, editURL+"/delete", url.Values{}, a.url); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(".error"), "make another template the default") {
		t.Errorf("delete the default: %d %q", p.status, p.text(".error"))
	}
	p := post(t, admin, editURL+"/duplicate", url.Values{}, a.url)
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/app/templates/") || loc == "/app/templates/"+id {
		t.Fatalf("duplicate: %d %s", p.status, loc)
	}
	cp := get(t, admin, a.url+loc)
	if v := formValues(t, cp, "form#template-editor"); v.Get("name") != "Copy of Standard B2B onboarding" || len(cp.all("form#delete")) != 1 {
		t.Errorf("the copy: %q, delete shown %v", v.Get("name"), len(cp.all("form#delete")) == 1)
	}
	if p := post(t, admin, a.url+loc+"/delete", url.Values{}, a.url); p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/templates" {
		t.Errorf("delete the copy: %d", p.status)
	}
	if p := get(t, admin, a.url+loc); p.status != http.StatusNotFound {
		t.Errorf("the deleted copy: %d", p.status)
	}

	// A customer goes to the portal; the old links lead here.
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	if p := get(t, contact, a.url+"/app/templates"); p.status != http.StatusSeeOther || strings.HasPrefix(p.header.Get("Location"), "/app") {
		t.Errorf("a contact: %d %s", p.status, p.header.Get("Location"))
	}
	if p := get(t, admin, a.url+"/app/settings/templates/"+id); p.status != http.StatusMovedPermanently || p.header.Get("Location") != "/app/templates/"+id {
		t.Errorf("the old link: %d %s", p.status, p.header.Get("Location"))
	}
}

// TestNewTemplateAndFromProject: an admin creates a template in the
// editor's blank rows (an error on a row comes back beside it); and saves
// a running project as a template from its form, a taken name coming back
// beside the field, as typed.
func TestNewTemplateAndFromProject(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, "alex.morgan@acme.example")
	nw := get(t, c, a.url+"/app/templates/new")
	if nw.status != 200 || len(nw.all("tr.task-row.blank")) != 5 {
		t.Fatalf("the new template page: %d, %d rows", nw.status, len(nw.all("tr.task-row.blank")))
	}
	if missing := unlabelled(nw, "form#template-editor"); len(missing) > 0 {
		t.Errorf("fields without a label: %v", missing)
	}
	form := formValues(t, nw, "form#template-editor")
	form.Set("name", "Quick start")
	form.Set("tasks[0].description", "Kickoff call")
	form.Set("tasks[1].description", "Set up SSO")
	form.Set("tasks[1].phase", "Setup")
	// The first row has no phase.
	p := post(t, c, a.url+"/app/templates", form, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-t0-phase"), "required") {
		t.Fatalf("no phase: %d %q", p.status, p.text(".error"))
	}
	form.Set("tasks[0].phase", "Kickoff")
	form.Add("tasks[1].depends_on", form.Get("tasks[0].id"))
	p = post(t, c, a.url+"/app/templates", form, a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("create: %d %q", p.status, p.text(".error"))
	}
	made := formValues(t, get(t, c, a.url+p.header.Get("Location")), "form#template-editor")
	if sso := rowOf(t, made, "Set up SSO"); made.Get("name") != "Quick start" || made.Get(sso+".depends_on") != made.Get(rowOf(t, made, "Kickoff call")+".id") {
		t.Errorf("the new template: %v", made)
	}

	project := a.projectID(t, "Globex platform rollout")
	page := get(t, c, a.url+"/app/templates/from-project?project_id="+project)
	if page.status != 200 || len(unlabelled(page, "form#from-project")) != 0 {
		t.Fatalf("the from-project form: %d", page.status)
	}
	if p := post(t, c, a.url+"/app/templates/from-project", url.Values{"project_id": {project}, "name": {"Quick start"}}, a.url); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.text("#error-name"), "exists") || attr(p.all("#template-name")[0], "value") != "Quick start" {
		t.Errorf("a taken name: %d %q", p.status, p.text(".error"))
	}
	if p := post(t, c, a.url+"/app/templates/from-project", url.Values{"project_id": {project}, "name": {"Globex plan"}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin save: %d", p.status)
	}
	p = post(t, c, a.url+"/app/templates/from-project", url.Values{"project_id": {project}, "name": {"Globex plan"}}, a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("from the project: %d %q", p.status, p.text(".error"))
	}
	tpl := get(t, c, a.url+p.header.Get("Location"))
	if v := formValues(t, tpl, "form#template-editor"); v.Get("name") != "Globex plan" || len(tpl.all("tr.task-row:not(.blank)")) != len(onboardiq.DefaultTemplate) {
		t.Errorf("the project's template: %q, %d tasks", v.Get("name"), len(tpl.all("tr.task-row:not(.blank)")))
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// sameValues compares two forms, the order of a field's values aside.
func sameValues(a, b url.Values) bool { return diffValues(a, b) == "" }

func diffValues(a, b url.Values) string {
	var out []string
	for k := range a {
		if !sameSet(a[k], b[k]) {
			out = append(out, k+": sent "+strings.Join(a[k], ",")+", shown "+strings.Join(b[k], ","))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k+": not sent, shown "+strings.Join(b[k], ","))
		}
	}
	return strings.Join(out, "\n")
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
