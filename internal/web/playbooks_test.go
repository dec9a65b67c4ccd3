package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// pbAdmin is the demo admin's context, to read playbooks back through the
// store.
func pbAdmin(t *testing.T, a *app) context.Context {
	t.Helper()
	var id uuid.UUID
	actScan(t, a, `SELECT user_id FROM tenant_users WHERE email = 'alex.morgan@acme.example'`, nil, &id)
	return onboardiq.NewContextWithPrincipal(context.Background(),
		&onboardiq.Principal{TenantID: a.demo.TenantID, UserID: id, Role: onboardiq.RoleAdmin, TenantSlug: "acme"})
}

// pbForm is the playbook form filled in: a task blocked at a customer
// with at least 1000 ARR and of the enterprise or mid-market segment
// posts the n8n body to a webhook and tells the CSM. The blank rows the
// page offers are sent blank.
func pbForm(name, url string) url.Values {
	return map[string][]string{
		"name": {name}, "description": {"Tell the CSM about blocked tasks."}, "subject": {"customer"},
		"trigger-kind": {"event"}, "trigger-event": {"task.blocked"}, "trigger-schedule": {""},
		"trigger-days": {""}, "trigger-percent": {""}, "trigger-score": {""},
		"conditions-match":         {"all"},
		"conditions-rules-0-field": {"customer.arr"}, "conditions-rules-0-op": {"gte"}, "conditions-rules-0-value": {"1000"},
		"conditions-rules-1-field": {"customer.segment"}, "conditions-rules-1-op": {"in"}, "conditions-rules-1-value": {"enterprise, mid-market"},
		"conditions-rules-2-field": {""}, "conditions-rules-2-op": {"eq"}, "conditions-rules-2-value": {""},
		"actions-0-type": {"webhook"}, "actions-0-url": {url}, "actions-0-format": {"n8n"}, "actions-0-survey": {"csat"},
		"actions-0-to": {""}, "actions-0-subject": {""}, "actions-0-body": {""},
		"actions-0-ladder-0-to": {""}, "actions-0-ladder-0-after_minutes": {""},
		"actions-1-type": {"notify"}, "actions-1-format": {"standard"}, "actions-1-to": {"csm, role:admin"},
		"actions-1-subject": {"Blocked at {{customer_name}}"}, "actions-1-body": {"Have a look.\r\nToday."}, "actions-1-survey": {"csat"},
		"actions-2-type": {""}, "actions-2-url": {""}, "actions-2-format": {"standard"}, "actions-2-survey": {"csat"},
		"cooldown_minutes": {"60"}, "max_runs_per_day": {"10"},
	}
}

// pbCreate creates a playbook through the form, as the admin c, and
// returns its id.
func pbCreate(t *testing.T, a *app, c *http.Client, form url.Values) uuid.UUID {
	t.Helper()
	p := post(t, c, a.url+"/app/playbooks", form, a.url)
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/app/playbooks/") {
		t.Fatalf("create a playbook: %d %s %s %s", p.status, loc, p.text(".error"), p.text("h1"))
	}
	id, err := uuid.Parse(strings.TrimPrefix(loc, "/app/playbooks/"))
	if err != nil {
		t.Fatalf("created at %s", loc)
	}
	return id
}

func pbCount(t *testing.T, a *app) int {
	t.Helper()
	var n int
	actScan(t, a, `SELECT count(*) FROM playbooks`, nil, &n)
	return n
}

// TestPlaybookFormSavesAsTyped: an admin creates a playbook with the form
// (no JSON): it is saved as typed, numbers as numbers and a
// comma-separated list as a list, blank rows left out, disabled. The
// form's every field has a label, and the page shows what was saved.
func TestPlaybookFormSavesAsTyped(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["admin"])
	for _, path := range []string{"/app/playbooks", "/app/playbooks/new"} {
		p := get(t, c, a.url+path)
		if p.status != 200 {
			t.Fatalf("%s: %d", path, p.status)
		}
		labelled(t, path, p)
	}
	blank := get(t, c, a.url+"/app/playbooks/new")
	if n := len(blank.all("input[id^=conditions-rules-][id$=-field]")); n != 2 {
		t.Errorf("a new playbook offers %d condition rows, want 2 blank ones", n)
	}
	if n := len(blank.all("fieldset.pb-action")); n != 1 {
		t.Errorf("a new playbook offers %d actions, want 1 blank one", n)
	}
	if len(blank.all(`input[list="pb-fields"]`)) == 0 || len(blank.all("datalist#pb-fields option")) == 0 {
		t.Error("the condition field has no list of fields")
	}

	id := pbCreate(t, a, c, pbForm("Blocked tasks", "https://93.184.215.14/n8n"))
	got, err := a.db.App.GetPlaybook(pbAdmin(t, a), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Blocked tasks" || got.Description != "Tell the CSM about blocked tasks." || got.Subject != "customer" || got.Enabled ||
		got.Trigger.Event != "task.blocked" || got.Trigger.Schedule != "" || got.CooldownMinutes != 60 || got.MaxRunsPerDay != 10 {
		t.Errorf("saved %+v", got)
	}
	rules := got.Conditions.Rules
	if got.Conditions.Match != "all" || len(rules) != 2 || rules[0].Field != "customer.arr" || rules[0].Op != "gte" || rules[0].Value != 1000.0 ||
		rules[1].Op != "in" || valueList(rules[1].Value) != "enterprise|mid-market" {
		t.Errorf("conditions %+v", got.Conditions)
	}
	acts := got.Actions
	if len(acts) != 2 || acts[0].Type != "webhook" || acts[0].URL != "https://93.184.215.14/n8n" || acts[0].Format != "n8n" ||
		acts[1].Type != "notify" || strings.Join(acts[1].To, "|") != "csm|role:admin" || acts[1].Subject != "Blocked at {{customer_name}}" || acts[1].Body != "Have a look.\nToday." ||
		acts[0].Survey != "" || acts[1].URL != "" {
		t.Errorf("actions %+v", acts)
	}

	// The page shows it back, with blank rows to add more.
	p := get(t, c, a.url+"/app/playbooks/"+id.String())
	labelled(t, "the playbook's page", p)
	if value(p, "#name") != "Blocked tasks" || value(p, "#conditions-rules-0-value") != "1000" || value(p, "#conditions-rules-1-value") != "enterprise, mid-market" ||
		selected(p, "#conditions-rules-0-op") != "gte" || selected(p, "#actions-0-type") != "webhook" || value(p, "#actions-0-url") != "https://93.184.215.14/n8n" ||
		value(p, "#actions-1-to") != "csm, role:admin" || value(p, "#cooldown_minutes") != "60" {
		t.Errorf("the page shows the playbook otherwise: name %q, value %q/%q, url %q", value(p, "#name"), value(p, "#conditions-rules-0-value"), value(p, "#conditions-rules-1-value"), value(p, "#actions-0-url"))
	}
	if len(p.all("#conditions-rules-3-field")) != 1 || len(p.all("#conditions-rules-4-field")) != 0 || len(p.all("#actions-2-type")) != 1 {
		t.Error("the page does not offer two blank conditions and one blank action")
	}
	// The JSON view holds the definition only.
	var def map[string]any
	if err := json.Unmarshal([]byte(p.text("#json")), &def); err != nil {
		t.Fatalf("the JSON view: %v", err)
	}
	if def["name"] != "Blocked tasks" || def["id"] != nil || def["signing_secret"] != nil {
		t.Errorf("the JSON view holds %v", def)
	}
	// Saving the form again (as the page sends it) changes nothing.
	form := pbForm("Blocked tasks", "https://93.184.215.14/n8n")
	form.Set("max_runs_per_day", "12")
	if s := post(t, c, a.url+"/app/playbooks/"+id.String(), form, a.url); s.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", s.status, s.text(".error"))
	}
	if got, _ := a.db.App.GetPlaybook(pbAdmin(t, a), id); got.MaxRunsPerDay != 12 || len(got.Actions) != 2 || len(got.Conditions.Rules) != 2 {
		t.Errorf("saved again: %+v", got)
	}
	if list := get(t, c, a.url+"/app/playbooks"); !strings.Contains(list.text("#playbooks"), "Blocked tasks") {
		t.Error("the list does not show the new playbook")
	}
}

func valueList(v any) string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return strings.Join(out, "|")
}

// TestPlaybookFormRefusals: a bad value comes back on the same page (422)
// with the error beside its input and everything typed kept; a
// cross-origin post is refused; nothing is saved.
func TestPlaybookFormRefusals(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["admin"])
	before := pbCount(t, a)

	// A webhook to an ftp URL.
	form := pbForm("Bad URL", "ftp://x")
	p := post(t, c, a.url+"/app/playbooks", form, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("h1") != "New playbook" {
		t.Fatalf("an ftp URL: %d %q", p.status, p.text("h1"))
	}
	describedError(t, p, "#actions-0-url", "error-actions-0-url", "")
	if p.text("#error-actions-0-url") == "" {
		t.Error("no error beside the URL")
	}
	if value(p, "#actions-0-url") != "ftp://x" || value(p, "#name") != "Bad URL" || value(p, "#conditions-rules-1-value") != "enterprise, mid-market" ||
		value(p, "#actions-1-subject") != "Blocked at {{customer_name}}" || selected(p, "#actions-1-type") != "notify" {
		t.Errorf("the input was not kept: url %q, name %q", value(p, "#actions-0-url"), value(p, "#name"))
	}
	labelled(t, "the refused form", p)

	// An unknown condition operator, in the second row: the blank first
	// row is left out, and the error still lands beside the row typed.
	form = pbForm("Bad op", "https://93.184.215.14/x")
	form.Set("conditions-rules-0-field", "")
	form.Set("conditions-rules-0-value", "")
	form.Set("conditions-rules-1-op", "resembles")
	p = post(t, c, a.url+"/app/playbooks", form, a.url)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown op: %d", p.status)
	}
	describedError(t, p, "#conditions-rules-1-op", "error-conditions-rules-1-op", "")
	if selected(p, "#conditions-rules-1-op") != "resembles" {
		t.Errorf("the op typed was not kept: %q", selected(p, "#conditions-rules-1-op"))
	}

	// A number that is none.
	form = pbForm("Bad number", "https://93.184.215.14/x")
	form.Set("cooldown_minutes", "an hour")
	p = post(t, c, a.url+"/app/playbooks", form, a.url)
	if p.status != http.StatusUnprocessableEntity || value(p, "#cooldown_minutes") != "an hour" {
		t.Fatalf("a cooldown of words: %d %q", p.status, value(p, "#cooldown_minutes"))
	}
	describedError(t, p, "#cooldown_minutes", "error-cooldown_minutes", "whole number")

	// Cross-origin.
	if p := post(t, c, a.url+"/app/playbooks", pbForm("Elsewhere", "https://93.184.215.14/x"), "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin create: %d", p.status)
	}
	if after := pbCount(t, a); after != before {
		t.Errorf("%d playbooks after refusals, was %d", after, before)
	}
	id := pbCreate(t, a, c, pbForm("Mine", "https://93.184.215.14/x"))
	if p := post(t, c, a.url+"/app/playbooks/"+id.String()+"/delete", url.Values{"confirm": {"yes"}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin delete: %d", p.status)
	}
	// An edit refused keeps the page of that playbook.
	form = pbForm("Mine", "ftp://y")
	p = post(t, c, a.url+"/app/playbooks/"+id.String(), form, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("h1") != "Mine" || value(p, "#actions-0-url") != "ftp://y" {
		t.Errorf("a refused edit: %d %q %q", p.status, p.text("h1"), value(p, "#actions-0-url"))
	}
	if got, _ := a.db.App.GetPlaybook(pbAdmin(t, a), id); got.Actions[0].URL != "https://93.184.215.14/x" {
		t.Errorf("the refused edit changed the URL to %q", got.Actions[0].URL)
	}
	// Delete asks for the box, then deletes.
	if p := post(t, c, a.url+"/app/playbooks/"+id.String()+"/delete", url.Values{}, a.url); p.status != http.StatusUnprocessableEntity || p.text("#error-delete-confirm") == "" {
		t.Errorf("a delete without the box: %d", p.status)
	}
	if p := post(t, c, a.url+"/app/playbooks/"+id.String()+"/delete", url.Values{"confirm": {"yes"}}, a.url); p.status != http.StatusSeeOther {
		t.Errorf("delete: %d", p.status)
	}
	if p := get(t, c, a.url+"/app/playbooks/"+id.String()); p.status != http.StatusNotFound {
		t.Errorf("the deleted playbook's page: %d", p.status)
	}
}

// TestPlaybookJSONView: the JSON view saves a definition; a definition
// that does not read, or that the store refuses, comes back in the view
// with the error beside it.
func TestPlaybookJSONView(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["admin"])
	id := pbCreate(t, a, c, pbForm("Via the form", "https://93.184.215.14/x"))
	page := get(t, c, a.url+"/app/playbooks/"+id.String())
	var def map[string]any
	if err := json.Unmarshal([]byte(page.text("#json")), &def); err != nil {
		t.Fatal(err)
	}
	def["name"] = "Via JSON"
	def["cooldown_minutes"] = 15
	b, _ := json.MarshalIndent(def, "", "  ")
	if p := post(t, c, a.url+"/app/playbooks/"+id.String(), url.Values{"view": {"json"}, "json": {string(b)}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("save the JSON: %d %s", p.status, p.text(".error"))
	}
	got, _ := a.db.App.GetPlaybook(pbAdmin(t, a), id)
	if got.Name != "Via JSON" || got.CooldownMinutes != 15 || len(got.Actions) != 2 {
		t.Errorf("saved from JSON: %+v", got)
	}
	// Broken JSON.
	p := post(t, c, a.url+"/app/playbooks/"+id.String(), url.Values{"view": {"json"}, "json": {`{"name": "x",`}}, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("#json") != `{"name": "x",` || len(p.all("details#json-view[open]")) != 1 {
		t.Errorf("broken JSON: %d %q", p.status, p.text("#json"))
	}
	describedError(t, p, "#json", "error-json", "")
	// A definition the store refuses.
	def["actions"] = []any{map[string]any{"type": "webhook", "url": "ftp://x"}}
	b, _ = json.Marshal(def)
	p = post(t, c, a.url+"/app/playbooks/"+id.String(), url.Values{"view": {"json"}, "json": {string(b)}}, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("#json") != string(b) || !strings.Contains(p.text("#error-json"), "url") {
		t.Errorf("a refused JSON: %d %q", p.status, p.text("#error-json"))
	}
	// A new playbook from JSON.
	def["name"] = "New from JSON"
	def["actions"] = []any{map[string]any{"type": "notify", "to": []string{"csm"}, "subject": "Hi"}}
	b, _ = json.Marshal(def)
	if p := post(t, c, a.url+"/app/playbooks", url.Values{"view": {"json"}, "json": {string(b)}}, a.url); p.status != http.StatusSeeOther {
		t.Errorf("create from JSON: %d %s", p.status, p.text(".error"))
	}
}

// TestPlaybookEnableDisable: a playbook that needs setup cannot be
// enabled (the error beside the button, naming what is missing); once
// set up it is enabled and disabled, from its page and from the list.
func TestPlaybookEnableDisable(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["admin"])
	id := pbCreate(t, a, c, pbForm("No URL yet", ""))
	path := a.url + "/app/playbooks/" + id.String()
	if list := get(t, c, a.url+"/app/playbooks"); !strings.Contains(list.text("#playbook-"+id.String()+" td[data-label='Needs setup']"), "url") {
		t.Errorf("the list does not say it needs a URL: %q", list.text("#playbook-"+id.String()))
	}
	p := post(t, c, path+"/enable", nil, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-enabled"), "url") {
		t.Errorf("enable without a URL: %d %q", p.status, p.text("#error-enabled"))
	}
	p = post(t, c, path+"/enable", url.Values{"back": {"list"}}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-enable-"+id.String()), "url") || len(p.all("#playbooks")) != 1 {
		t.Errorf("enable from the list without a URL: %d %q", p.status, p.text("#error-enable-"+id.String()))
	}
	if got, _ := a.db.App.GetPlaybook(pbAdmin(t, a), id); got.Enabled {
		t.Fatal("enabled without a URL")
	}
	if p := post(t, c, path, pbForm("No URL yet", "https://93.184.215.14/x"), a.url); p.status != http.StatusSeeOther {
		t.Fatalf("set the URL: %d %s", p.status, p.text(".error"))
	}
	if p := post(t, c, path+"/enable", nil, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("enable: %d %s", p.status, p.text(".error"))
	}
	if got, _ := a.db.App.GetPlaybook(pbAdmin(t, a), id); !got.Enabled {
		t.Error("not enabled")
	}
	// Saving the form keeps it enabled.
	if p := post(t, c, path, pbForm("No URL yet", "https://93.184.215.14/y"), a.url); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.status)
	}
	if got, _ := a.db.App.GetPlaybook(pbAdmin(t, a), id); !got.Enabled || got.Actions[0].URL != "https://93.184.215.14/y" {
		t.Errorf("after a save: enabled %v, url %q", got.Enabled, got.Actions[0].URL)
	}
	page := get(t, c, path)
	if page.text("#enabled-state") != "enabled" || len(page.all(`form[action$="/disable"]`)) != 1 {
		t.Errorf("the page shows %q", page.text("#enabled-state"))
	}
	p = post(t, c, path+"/disable", url.Values{"back": {"list"}}, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/playbooks" {
		t.Errorf("disable from the list: %d %s", p.status, p.header.Get("Location"))
	}
	if got, _ := a.db.App.GetPlaybook(pbAdmin(t, a), id); got.Enabled {
		t.Error("still enabled")
	}
	if list := get(t, c, a.url+"/app/playbooks"); !strings.Contains(list.text(".flash"), "Disabled") || !strings.Contains(list.text("#playbook-"+id.String()), "disabled") {
		t.Errorf("the list after disabling: %q", list.text(".flash"))
	}
}

// TestPlaybookPagesByRole: admins see every control; CSMs read the list
// and a playbook without the form, and may run and dry-run it; sales
// leaders, viewers and contacts are refused, by the store.
func TestPlaybookPagesByRole(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := signIn(t, a, roleEmails["admin"])
	id := pbCreate(t, a, admin, pbForm("Shared", "https://93.184.215.14/x"))
	pbPath := "/app/playbooks/" + id.String()
	manage := []string{"#new-playbook", "#export-yaml", "#export-json", "#import-form", "form.enable-form"}
	for _, role := range []string{"admin", "csm", "sales_leader", "viewer"} {
		c := admin
		if role != "admin" {
			c = signIn(t, a, roleEmails[role])
		}
		pr := &onboardiq.Principal{Role: onboardiq.Role(role)}
		dash := get(t, c, a.url+"/app")
		if shown := len(dash.all(`nav a[href="/app/playbooks"]`)) == 1; shown != pr.Can(onboardiq.ReadPlaybooks) {
			t.Errorf("%s: the Playbooks link shown %v", role, shown)
		}
		list := get(t, c, a.url+"/app/playbooks")
		page := get(t, c, a.url+pbPath)
		if !pr.Can(onboardiq.ReadPlaybooks) {
			if list.status != http.StatusForbidden || page.status != http.StatusForbidden {
				t.Errorf("%s: the list %d, the page %d; want 403", role, list.status, page.status)
			}
			refused(t, role+" creates", post(t, c, a.url+"/app/playbooks", pbForm("Not mine", "https://93.184.215.14/x"), a.url))
			refused(t, role+" runs", post(t, c, a.url+pbPath+"/run", url.Values{"customer_id": {a.customerID(t, "Globex Logistics")}}, a.url))
			refused(t, role+" dry-runs", post(t, c, a.url+pbPath+"/dry-run", nil, a.url))
			refused(t, role+" exports", get(t, c, a.url+"/app/playbooks/export?format=yaml"))
			continue
		}
		if list.status != 200 || page.status != 200 {
			t.Fatalf("%s: the list %d, the page %d", role, list.status, page.status)
		}
		labelled(t, role+" list", list)
		labelled(t, role+" page", page)
		canManage := pr.Can(onboardiq.ManagePlaybooks)
		for _, sel := range manage {
			if shown := len(list.all(sel)) > 0; shown != canManage {
				t.Errorf("%s: %s shown %v on the list", role, sel, shown)
			}
		}
		for _, sel := range []string{"#playbook-form", "#playbook-json-form", "#enable-form", "#delete-form"} {
			if shown := len(page.all(sel)) > 0; shown != canManage {
				t.Errorf("%s: %s shown %v on the playbook", role, sel, shown)
			}
		}
		if !canManage && (len(page.all("main input:not([type=hidden]), main textarea")) != 0 || !strings.Contains(page.text("#definition"), "93.184.215.14")) {
			t.Errorf("%s: the read-only page has inputs, or does not say what it does: %q", role, page.text("#definition"))
		}
		for _, sel := range []string{"#run-form", "#dry-run-form"} {
			if shown := len(page.all(sel)) > 0; shown != pr.Can(onboardiq.RunPlaybooks) {
				t.Errorf("%s: %s shown %v", role, sel, shown)
			}
		}
		if !canManage {
			refused(t, role+" creates", post(t, c, a.url+"/app/playbooks", pbForm("Not mine", "https://93.184.215.14/x"), a.url))
			refused(t, role+" saves", post(t, c, a.url+pbPath, pbForm("Renamed", "https://93.184.215.14/x"), a.url))
			refused(t, role+" enables", post(t, c, a.url+pbPath+"/enable", nil, a.url))
			refused(t, role+" deletes", post(t, c, a.url+pbPath+"/delete", url.Values{"confirm": {"yes"}}, a.url))
			refused(t, role+" exports", get(t, c, a.url+"/app/playbooks/export?format=json"))
			refused(t, role+" imports", postMultipart(t, c, a.url+"/app/playbooks/import", nil, map[string][]byte{"file": []byte(`{"version":1,"playbooks":[]}`)}, a.url))
			if p := post(t, c, a.url+pbPath+"/dry-run", nil, a.url); p.status != 200 || len(p.all("#dry-run-result")) != 1 {
				t.Errorf("%s dry-runs: %d", role, p.status)
			}
		}
	}
	if got, _ := a.db.App.GetPlaybook(pbAdmin(t, a), id); got.Name != "Shared" || got.Enabled {
		t.Errorf("the refused changes changed it: %+v", got)
	}
	// A contact is sent to the portal.
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	refused(t, "a contact opens the list", get(t, contact, a.url+"/app/playbooks"))
	refused(t, "a contact creates", post(t, contact, a.url+"/app/playbooks", pbForm("Contact", "https://93.184.215.14/x"), a.url))
}

// TestPlaybookImportExport: the export is a file; an import of a file
// that adds one playbook and replaces another says so; a bad file comes
// back with the error naming the playbook and field; nothing changes.
func TestPlaybookImportExport(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["admin"])
	pbCreate(t, a, c, pbForm("Exported", "https://93.184.215.14/x"))
	resp, body := pbDownload(t, c, a.url+"/app/playbooks/export?format=json")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), `attachment; filename="playbooks.json"`) {
		t.Fatalf("export JSON: %d %s", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	var file struct {
		Version   int              `json:"version"`
		Playbooks []map[string]any `json:"playbooks"`
	}
	if err := json.Unmarshal(body, &file); err != nil {
		t.Fatalf("the export: %v\n%s", err, body)
	}
	found := false
	for _, p := range file.Playbooks {
		if p["name"] == "Exported" {
			found = true
			p["cooldown_minutes"] = 5
			p["description"] = "Changed by import."
		}
	}
	if !found {
		t.Fatalf("the export lacks the playbook: %s", body)
	}
	file.Playbooks = append(file.Playbooks, map[string]any{"name": "Imported", "subject": "customer", "trigger": map[string]any{"event": "task.blocked"},
		"actions": []any{map[string]any{"type": "notify", "to": []string{"csm"}, "subject": "Blocked"}}})
	before := pbCount(t, a)
	changed, _ := json.Marshal(file)
	p := postMultipart(t, c, a.url+"/app/playbooks/import", nil, map[string][]byte{"file": changed}, a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("import: %d %s", p.status, p.text(".error"))
	}
	list := get(t, c, a.url+"/app/playbooks")
	if flash := list.text(".flash"); !strings.Contains(flash, "1 created") || !strings.Contains(flash, "updated") {
		t.Errorf("the import says %q", flash)
	}
	if pbCount(t, a) != before+1 || !strings.Contains(list.text("#playbooks"), "Imported") {
		t.Errorf("%d playbooks after the import, was %d", pbCount(t, a), before)
	}
	var desc string
	actScan(t, a, `SELECT definition->>'description' FROM playbooks WHERE name = 'Exported'`, nil, &desc)
	if desc != "Changed by import." {
		t.Errorf("the import did not replace the definition: %q", desc)
	}
	// A bad file: the second playbook's trigger is wrong.
	bad := `{"version": 1, "playbooks": [{"name": "Fine", "trigger": {"event": "task.blocked"}, "actions": [{"type": "notify", "to": ["csm"], "subject": "x"}]},
{"name": "Broken", "trigger": {"event": "no.such_event"}, "actions": [{"type": "notify", "to": ["csm"], "subject": "x"}]}]}`
	n := pbCount(t, a)
	p = postMultipart(t, c, a.url+"/app/playbooks/import", nil, map[string][]byte{"file": []byte(bad)}, a.url)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-import-file"), "playbooks[1]") {
		t.Errorf("a bad file: %d %q", p.status, p.text("#error-import-file"))
	}
	describedError(t, p, "#import-file", "error-import-file", "trigger")
	if pbCount(t, a) != n {
		t.Error("a bad file imported something")
	}
	if p := postMultipart(t, c, a.url+"/app/playbooks/import", nil, map[string][]byte{"file": changed}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin import: %d", p.status)
	}
	// YAML too.
	resp, body = pbDownload(t, c, a.url+"/app/playbooks/export?format=yaml")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "name: Imported") || !strings.Contains(resp.Header.Get("Content-Disposition"), "playbooks.yaml") {
		t.Errorf("export YAML: %d\n%s", resp.StatusCode, body)
	}
}

func pbDownload(t *testing.T, c *http.Client, u string) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// pbTables counts the rows a run or a dry run could touch.
func pbTables(t *testing.T, a *app) string {
	t.Helper()
	var s string
	actScan(t, a, `SELECT concat_ws(',', (SELECT count(*) FROM playbook_runs), (SELECT count(*) FROM playbook_actions),
  (SELECT count(*) FROM notifications), (SELECT count(*) FROM tasks), (SELECT count(*) FROM deliveries), (SELECT count(*) FROM escalations))`, nil, &s)
	return s
}

// TestPlaybookDryRunAndRun: a CSM's dry run lists the customer that
// matches, with its conditions and actions in words, and changes nothing;
// a run by hand appears in the executions log with its conditions.
func TestPlaybookDryRunAndRun(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := signIn(t, a, roleEmails["admin"])
	form := pbForm("Globex only", "https://93.184.215.14/x")
	form.Set("conditions-rules-0-field", "customer.name")
	form.Set("conditions-rules-0-op", "eq")
	form.Set("conditions-rules-0-value", "Globex Logistics")
	form.Set("conditions-rules-1-field", "")
	form.Set("conditions-rules-1-value", "")
	form.Set("actions-0-type", "")
	id := pbCreate(t, a, admin, form)
	csm := signIn(t, a, roleEmails["csm"])
	path := a.url + "/app/playbooks/" + id.String()

	before := pbTables(t, a)
	p := post(t, csm, path+"/dry-run", nil, a.url)
	if p.status != 200 {
		t.Fatalf("dry run: %d %s", p.status, p.text(".error"))
	}
	res := p.text("#dry-run-result")
	if !strings.Contains(res, "Globex Logistics") || strings.Contains(res, "Initech") || len(p.all("#dry-run-result .pb-match")) != 1 ||
		!strings.Contains(p.text("#dry-run-result .pb-conditions"), "customer.name") || len(p.all("#dry-run-result .pb-match ol li")) != 1 {
		t.Errorf("the dry run shows %q", res)
	}
	if after := pbTables(t, a); after != before {
		t.Errorf("the dry run changed the tables: %s, was %s", after, before)
	}
	// Nobody matches: said so.
	form.Set("conditions-rules-0-value", "Nobody Inc")
	if s := post(t, admin, path, form, a.url); s.status != http.StatusSeeOther {
		t.Fatalf("save: %d", s.status)
	}
	if p := post(t, csm, path+"/dry-run", nil, a.url); len(p.all("#no-match")) != 1 {
		t.Errorf("a dry run without a match shows %q", p.text("#dry-run-result"))
	}

	// Run by hand on Globex: the conditions do not hold now (the name is
	// another), and the log says so with what it saw.
	p = post(t, csm, path+"/run", url.Values{"customer_id": {a.customerID(t, "Globex Logistics")}}, a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("run: %d %s", p.status, p.text(".error"))
	}
	page := get(t, csm, path)
	if !strings.Contains(page.text(".flash"), "Globex Logistics") {
		t.Errorf("the run's flash: %q", page.text(".flash"))
	}
	rows := page.all("#runs-table tr.run")
	if len(rows) != 1 {
		t.Fatalf("%d runs in the log", len(rows))
	}
	log := page.text("#runs-table")
	if !strings.Contains(log, "Globex Logistics") || !strings.Contains(log, "skipped") || !strings.Contains(log, "by hand") || !strings.Contains(log, "saw Globex Logistics") {
		t.Errorf("the log shows %q", log)
	}
	labelled(t, "the page with its log", page)
	// No customer chosen: the error beside the select.
	p = post(t, csm, path+"/run", url.Values{"customer_id": {""}}, a.url)
	if p.status != http.StatusUnprocessableEntity {
		t.Errorf("a run on nobody: %d", p.status)
	}
	describedError(t, p, "#run-customer", "error-run-customer", "customer")
}

// TestEscalationAcknowledge: a notification about an escalation offers
// Acknowledge; it stops the ladder and goes back to the notifications (or
// a console path, never elsewhere).
func TestEscalationAcknowledge(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := signIn(t, a, roleEmails["admin"])
	id := pbCreate(t, a, admin, pbForm("Escalating", "https://93.184.215.14/x"))
	var alex, esc uuid.UUID
	actScan(t, a, `SELECT user_id FROM tenant_users WHERE email = 'alex.morgan@acme.example'`, nil, &alex)
	run := uuid.New()
	actExec(t, a, `INSERT INTO playbook_runs (tenant_id, run_id, playbook_id, trigger, trigger_key, subject_key, status)
VALUES ($1, $2, $3, 'manual', 'manual:x', 'customer:x', 'done')`, a.demo.TenantID, run, id)
	actScan(t, a, `INSERT INTO escalations (tenant_id, run_id, title, message, ladder, step)
VALUES ($1, $2, 'Overdue', 'Look', '[{"to":"csm","after_minutes":0},{"to":"role:admin","after_minutes":240}]', 1) RETURNING escalation_id`,
		[]any{a.demo.TenantID, run}, &esc)
	actExec(t, a, `INSERT INTO notifications (tenant_id, user_id, kind, title, body, data) VALUES ($1, $2, 'playbook_escalation', 'Escalation: Overdue', 'Look', $3)`,
		a.demo.TenantID, alex, `{"escalation_id":"`+esc.String()+`"}`)
	list := get(t, admin, a.url+"/app/notifications")
	forms := list.all(`form[action="/app/escalations/` + esc.String() + `/acknowledge"]`)
	if len(forms) != 1 {
		t.Fatalf("%d Acknowledge forms on the notifications", len(forms))
	}
	if n := len(list.all(`form[action$="/acknowledge"]`)); n != 1 {
		t.Errorf("%d Acknowledge forms, want one (only the escalation's)", n)
	}
	viewer := signIn(t, a, roleEmails["viewer"])
	refused(t, "a viewer acknowledges", post(t, viewer, a.url+"/app/escalations/"+esc.String()+"/acknowledge", nil, a.url))
	if p := post(t, admin, a.url+"/app/escalations/"+esc.String()+"/acknowledge", url.Values{"next": {"//evil.example/x"}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin acknowledgement: %d", p.status)
	}
	var acked bool
	actScan(t, a, `SELECT acknowledged_at IS NOT NULL FROM escalations WHERE escalation_id = $1`, []any{esc}, &acked)
	if acked {
		t.Fatal("acknowledged by a refused post")
	}
	p := post(t, admin, a.url+"/app/escalations/"+esc.String()+"/acknowledge", url.Values{"next": {"//evil.example/x"}}, a.url)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/notifications" {
		t.Errorf("acknowledge: %d to %q", p.status, p.header.Get("Location"))
	}
	actScan(t, a, `SELECT acknowledged_at IS NOT NULL FROM escalations WHERE escalation_id = $1`, []any{esc}, &acked)
	if !acked {
		t.Error("not acknowledged")
	}
	if back := get(t, admin, a.url+"/app/notifications"); !strings.Contains(back.text(".flash"), "Acknowledged") {
		t.Errorf("the flash: %q", back.text(".flash"))
	}
	p = post(t, admin, a.url+"/app/escalations/"+esc.String()+"/acknowledge", url.Values{"next": {"/app/playbooks/" + id.String()}}, a.url)
	if loc := p.header.Get("Location"); p.status == http.StatusSeeOther && loc != "/app/playbooks/"+id.String() {
		t.Errorf("acknowledge with a local next: to %q", loc)
	}
}

// pbFormValues is what a browser sends for the form sel of p as shown
// (radio buttons included, which formValues leaves out).
func pbFormValues(p page, sel string) url.Values {
	v := url.Values{}
	for _, n := range p.all(sel + " input, " + sel + " select, " + sel + " textarea") {
		name := attr(n, "name")
		if name == "" {
			continue
		}
		switch {
		case n.Data == "textarea":
			v.Add(name, strings.TrimPrefix(page{doc: n}.text("*"), "\n"))
		case n.Data == "select":
			opts := cascadiaAll(n, "option")
			val := ""
			for i, o := range opts {
				if i == 0 || hasAttr(o, "selected") {
					val = attr(o, "value")
				}
				if hasAttr(o, "selected") {
					break
				}
			}
			v.Add(name, val)
		case attr(n, "type") == "checkbox" || attr(n, "type") == "radio":
			if hasAttr(n, "checked") {
				v.Add(name, attr(n, "value"))
			}
		default:
			v.Add(name, attr(n, "value"))
		}
	}
	return v
}

// TestPlaybookFormKeepsWhatItShows: every default playbook, saved with its
// form as shown, is saved unchanged: the form shows every field of every
// action type, and reads it back the same.
func TestPlaybookFormKeepsWhatItShows(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["admin"])
	ctx := pbAdmin(t, a)
	list, err := a.db.App.ListPlaybooks(ctx)
	if err != nil || len(list) < 6 {
		t.Fatalf("%d default playbooks (%v)", len(list), err)
	}
	for _, pb := range list {
		page := get(t, c, a.url+"/app/playbooks/"+pb.ID.String())
		p := post(t, c, a.url+"/app/playbooks/"+pb.ID.String(), pbFormValues(page, "form#playbook-form"), a.url)
		if p.status != http.StatusSeeOther {
			t.Errorf("%s saved as shown: %d %s %s", pb.Name, p.status, p.text(".error"), p.text("p.error"))
			continue
		}
		got, err := a.db.App.GetPlaybook(ctx, pb.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(pbDefinitionOf(pb))
		saved, _ := json.Marshal(pbDefinitionOf(got))
		if string(want) != string(saved) {
			t.Errorf("%s saved as shown changed:\n%s\nwas\n%s", pb.Name, saved, want)
		}
	}
}

func pbDefinitionOf(p *onboardiq.Playbook) any {
	return []any{p.Name, p.Description, p.Enabled, p.Subject, p.Trigger, p.Conditions, p.Actions, p.CooldownMinutes, p.MaxRunsPerDay}
}
