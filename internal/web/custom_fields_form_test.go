package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/demo"
)

// defineCustomFields gives the demo workspace custom fields: a one-of, a
// number and a date of customers, a text of projects.
func defineCustomFields(t *testing.T, a *app) {
	t.Helper()
	actExec(t, a, `INSERT INTO custom_field_definitions (tenant_id, entity, key, label, type, options, position) VALUES
($1, 'customer', 'plan', 'Plan', 'one_of', '{Basic,Pro}', 0),
($1, 'customer', 'seats', 'Seats', 'number', '{}', 1),
($1, 'customer', 'kickoff', 'Kick-off', 'date', '{}', 2),
($1, 'project', 'region', 'Region', 'text', '{}', 0)`, a.demo.TenantID)
}

// TestCustomFieldInputs: the customer forms and the project's edit form
// show one typed, labelled input per custom field (a select with
// "(none)" for a one-of); a value not of its type comes back beside its
// input with 422 and the input kept; saved values show on the pages and
// start the edit forms; emptied, a value goes; the customers list filters
// by a one-of; a cross-origin post is refused; viewers see the values but
// no inputs and are refused.
func TestCustomFieldInputs(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	defineCustomFields(t, a)
	c := signIn(t, a, roleEmails["csm"])

	list := get(t, c, a.url+"/app/customers")
	labelled(t, "customers", list)
	if len(list.all(`select#new-customer-cf-plan[name="cf.plan"] option[value=""]`)) != 1 || list.text(`#new-customer-cf-plan option[value=""]`) != "(none)" ||
		len(list.all(`input#new-customer-cf-seats[type=number][name="cf.seats"]`)) != 1 || len(list.all(`input#new-customer-cf-kickoff[type=date]`)) != 1 {
		t.Fatalf("the new-customer form's custom inputs: %q", list.text("#new-customer-form"))
	}
	if len(list.all("#filter-cf-plan")) != 1 || len(list.all("#filter-cf-seats")) != 0 {
		t.Error("the list's filters: one-of and text fields only")
	}

	form := url.Values{"name": {"Initech"}, "cf.plan": {"Pro"}, "cf.seats": {"many"}, "cf.kickoff": {"2027-01-15"}}
	p := post(t, c, a.url+"/app/customers", form, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-new-customer-cf-seats"), "number") ||
		len(p.all(`#new-customer-cf-seats[aria-invalid="true"][aria-describedby="error-new-customer-cf-seats"]`)) != 1 {
		t.Fatalf("a bad number: %d %q", p.status, p.text("#error-new-customer-cf-seats"))
	}
	labelled(t, "the refused form", p)
	if in := p.all("#new-customer-cf-seats"); len(in) != 1 || attr(in[0], "value") != "many" {
		t.Error("the number typed was not kept")
	}
	if len(p.all(`#new-customer-cf-plan option[selected][value="Pro"]`)) != 1 || attr(p.all("#new-customer-cf-kickoff")[0], "value") != "2027-01-15" {
		t.Error("the other custom values were not kept")
	}
	if p := post(t, c, a.url+"/app/customers", form, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin create: %d", p.status)
	}
	form.Set("cf.seats", "40")
	p = post(t, c, a.url+"/app/customers", form, a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", p.status, p.text(".error"))
	}
	loc := p.header.Get("Location")
	id := strings.TrimPrefix(loc, "/app/customers/")
	page := get(t, c, a.url+loc)
	labelled(t, "the customer", page)
	if d := page.text("#details dl"); !strings.Contains(d, "Plan") || !strings.Contains(d, "Pro") || !strings.Contains(d, "Seats") || !strings.Contains(d, "40") ||
		!strings.Contains(d, "2027-01-15") {
		t.Errorf("the values shown: %q", d)
	}
	if len(page.all(`#customer-cf-plan option[selected][value="Pro"]`)) != 1 || attr(page.all("#customer-cf-seats")[0], "value") != "40" {
		t.Error("the edit form does not start from the values")
	}

	// Edit: a bad date is refused beside it; the plan emptied goes.
	edit := url.Values{"name": {"Initech"}, "lifecycle_status": {"onboarding"}, "cf.plan": {""}, "cf.seats": {"41"}, "cf.kickoff": {"2027-13-01"}}
	p = post(t, c, a.url+"/app/customers/"+id, edit, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-customer-cf-kickoff"), "date") ||
		len(p.all(`#customer-cf-kickoff[aria-invalid="true"]`)) != 1 || len(p.all("details#edit-customer[open]")) != 1 {
		t.Errorf("a bad date: %d %q", p.status, p.text("#error-customer-cf-kickoff"))
	}
	edit.Set("cf.kickoff", "")
	if p := post(t, c, a.url+"/app/customers/"+id, edit, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", p.status, p.text(".error"))
	}
	var stored string
	actScan(t, a, `SELECT custom_fields::text FROM customers WHERE customer_id = $1`, []any{id}, &stored)
	if stored != `{"seats": 41}` {
		t.Errorf("stored %s", stored)
	}
	if d := get(t, c, a.url+"/app/customers/"+id).text("#details dl"); strings.Contains(d, "Plan") || !strings.Contains(d, "41") {
		t.Errorf("after the edit: %q", d)
	}

	// The list filters by the one-of.
	actExec(t, a, `UPDATE customers SET custom_fields = '{"plan": "Basic"}' WHERE customer_id = $1`, id)
	if got := get(t, c, a.url+"/app/customers?cf.plan=Basic"); len(got.all("table#customers tbody tr")) != 1 || !strings.Contains(got.text("#customers"), "Initech") ||
		len(got.all(`#filter-cf-plan option[selected][value="Basic"]`)) != 1 {
		t.Errorf("filtered by plan: %q", got.text("#customers"))
	}
	if got := get(t, c, a.url+"/app/customers?cf.plan=Pro"); strings.Contains(got.text("#customers"), "Initech") {
		t.Error("the Pro filter lists a Basic customer")
	}

	// The project's edit form.
	var project, name, description string
	actScan(t, a, `SELECT project_id::text, name, description FROM projects ORDER BY name LIMIT 1`, nil, &project, &name, &description)
	pp := get(t, c, a.url+"/app/projects/"+project)
	labelledIn(t, pp, "#edit-project-form")
	if len(pp.all(`input#edit-cf-region[type=text][name="cf.region"]`)) != 1 {
		t.Fatal("the project's edit form has no region input")
	}
	long := strings.Repeat("x", 1001)
	p = post(t, c, a.url+"/app/projects/"+project+"/edit", url.Values{"name": {name}, "description": {description}, "cf.region": {long}}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-edit-cf-region"), "1000") || attr(p.all("#edit-cf-region")[0], "value") != long {
		t.Errorf("a region too long: %d %q", p.status, p.text("#error-edit-cf-region"))
	}
	if p := post(t, c, a.url+"/app/projects/"+project+"/edit", url.Values{"name": {name}, "description": {description}, "cf.region": {"EMEA"}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("project edit: %d %s", p.status, p.text(".error"))
	}
	pp = get(t, c, a.url+"/app/projects/"+project)
	if !strings.Contains(pp.text("#project-custom-fields"), "Region") || !strings.Contains(pp.text("#project-custom-fields"), "EMEA") ||
		attr(pp.all("#edit-cf-region")[0], "value") != "EMEA" {
		t.Errorf("the project's region: %q", pp.text("#project-custom-fields"))
	}

	// Viewers see the values, no inputs, and are refused.
	v := signIn(t, a, roleEmails["viewer"])
	vp := get(t, v, a.url+"/app/customers/"+id)
	if !strings.Contains(vp.text("#details dl"), "Basic") || len(vp.all("#customer-cf-seats, #customer-cf-plan")) != 0 {
		t.Error("the viewer's customer page")
	}
	if vl := get(t, v, a.url+"/app/customers"); len(vl.all("#new-customer-cf-plan")) != 0 {
		t.Error("the viewer's list shows the new-customer inputs")
	}
	if vpp := get(t, v, a.url+"/app/projects/"+project); !strings.Contains(vpp.text("#project-custom-fields"), "EMEA") || len(vpp.all("#edit-cf-region")) != 0 {
		t.Error("the viewer's project page")
	}
	refused(t, "a viewer edits", post(t, v, a.url+"/app/customers/"+id, url.Values{"name": {"Initech"}, "cf.seats": {"1"}}, a.url))
	refused(t, "a viewer edits the project", post(t, v, a.url+"/app/projects/"+project+"/edit", url.Values{"name": {name}, "cf.region": {"APAC"}}, a.url))
	contact := client(t)
	if p := post(t, contact, a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {"hannah.becker@globex.example"}, "password": {demo.Password}}, a.url); p.status != http.StatusSeeOther {
		t.Fatal("the contact's sign-in")
	}
	refused(t, "a contact edits", post(t, contact, a.url+"/app/customers/"+id, url.Values{"name": {"Initech"}, "cf.seats": {"1"}}, a.url))
	actScan(t, a, `SELECT custom_fields::text FROM customers WHERE customer_id = $1`, []any{id}, &stored)
	if stored != `{"plan": "Basic"}` {
		t.Errorf("refused posts changed the values: %s", stored)
	}
	var region string
	actScan(t, a, `SELECT custom_fields->>'region' FROM projects WHERE project_id = $1`, []any{project}, &region)
	if region != "EMEA" {
		t.Errorf("refused posts changed the region: %s", region)
	}
}
