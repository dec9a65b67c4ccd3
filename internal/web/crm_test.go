package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/crm"
)

// TestCRMConnectionForm: every field of each connection's form has a
// label; a bad value comes back 422 with the error beside its field and
// the typed stage kept; a cross-origin POST is refused; a new connection's
// secret is shown once, in the flash, and never on the page again; other
// roles see no link and are refused by the store (a contact is sent to the
// portal).
func TestCRMConnectionForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := signIn(t, a, "alex.morgan@acme.example")
	if s := get(t, admin, a.url+"/app/settings"); len(s.all("a#crm-link")) != 1 {
		t.Error("the admin's settings have no link to the CRM page")
	}
	p := get(t, admin, a.url+"/app/settings/crm")
	if p.status != 200 {
		t.Fatalf("the CRM page: %d", p.status)
	}
	for _, provider := range []string{"hubspot", "salesforce", "generic"} {
		for _, f := range []string{"enabled", "closed_won_stage", "secret"} {
			id := "crm-" + provider + "-" + f
			if len(p.all("form#crm-"+provider+" #"+id)) != 1 || len(p.all("label[for="+id+"]")) != 1 {
				t.Errorf("%s has no labelled field %s", provider, id)
			}
		}
	}
	long := strings.Repeat("s", 101)
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"enabled": {"on"}, "closed_won_stage": {long}}, "closed_won_stage"},
		{url.Values{"enabled": {"on"}, "closed_won_stage": {"closedwon"}, "secret": {"short"}}, "secret"},
	} {
		p := post(t, admin, a.url+"/app/settings/crm/connections/hubspot", tc.form, a.url)
		if p.status != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d, want 422", tc.form, p.status)
			continue
		}
		id := "crm-hubspot-" + tc.field
		if p.text("form#crm-hubspot #error-"+id) == "" {
			t.Errorf("%v: no error beside %s", tc.form, tc.field)
		}
		if n := p.all("#" + id); len(n) != 1 || attr(n[0], "aria-invalid") != "true" || attr(n[0], "aria-describedby") != "error-"+id {
			t.Errorf("%v: %s not marked invalid", tc.form, id)
		}
		if n := p.all("#crm-hubspot-closed_won_stage"); len(n) != 1 || attr(n[0], "value") != tc.form.Get("closed_won_stage") {
			t.Errorf("%v: the typed stage is not kept", tc.form)
		}
	}
	var n int
	actScan(t, a, `SELECT count(*) FROM crm_connections`, nil, &n)
	if n != 0 {
		t.Errorf("refused forms stored %d connections", n)
	}
	if p := post(t, admin, a.url+"/app/settings/crm/connections/generic", url.Values{"enabled": {"on"}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin POST: %d", p.status)
	}
	if p := post(t, admin, a.url+"/app/settings/crm/connections/generic", url.Values{"enabled": {"on"}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("setting up: %d %s", p.status, p.raw)
	}
	p = get(t, admin, a.url+"/app/settings/crm")
	flash := p.text(".flash")
	_, secret, _ := strings.Cut(flash, "shown only now: ")
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the flash does not show the new secret: %q", flash)
	}
	if again := get(t, admin, a.url+"/app/settings/crm"); strings.Contains(string(again.raw), secret) {
		t.Error("the secret shows on the page after the flash")
	}
	if !strings.Contains(p.text("#crm-generic-state"), "/api/v1/crm/acme/generic") {
		t.Errorf("the connection's address is not shown: %q", p.text("#crm-generic-state"))
	}
	if p := post(t, admin, a.url+"/app/settings/crm/connections/generic/rotate", nil, a.url); p.status != http.StatusSeeOther {
		t.Errorf("rotating: %d", p.status)
	}
	for _, email := range []string{"priya.shah@acme.example", "dana.whitfield@acme.example", "sam.lee@acme.example"} {
		c := signIn(t, a, email)
		if s := get(t, c, a.url+"/app/settings"); len(s.all("a#crm-link")) != 0 {
			t.Errorf("%s sees the CRM link", email)
		}
		if p := get(t, c, a.url+"/app/settings/crm"); p.status != http.StatusForbidden {
			t.Errorf("%s opens the CRM page: %d", email, p.status)
		}
		for _, path := range []string{"/app/settings/crm/connections/salesforce", "/app/settings/crm/connections/generic/rotate", "/app/settings/crm/rules"} {
			if p := post(t, c, a.url+path, url.Values{"enabled": {"on"}, "rows": {"0"}}, a.url); p.status != http.StatusForbidden {
				t.Errorf("%s posts %s: %d", email, path, p.status)
			}
		}
	}
	contact := signIn(t, a, "hannah.becker@globex.example")
	for _, path := range []string{"/app/settings/crm/connections/salesforce", "/app/settings/crm/rules"} {
		if p := post(t, contact, a.url+path, url.Values{"enabled": {"on"}, "rows": {"0"}}, a.url); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/portal/") {
			t.Errorf("a contact posts %s: %d", path, p.status)
		}
	}
	actScan(t, a, `SELECT count(*) FROM crm_connections`, nil, &n)
	if n != 1 {
		t.Errorf("%d connections after other roles tried, want the admin's one", n)
	}
}

// TestCRMRulesFormAndWebhook: the rules form labels every field; a bad
// amount or a rule without a template comes back 422 beside its field,
// the rows as typed; saved rules are ordered by their numbers; and a
// signed HubSpot closed-won call then starts a project from the rule's
// template, shown in the page's log.
func TestCRMRulesFormAndWebhook(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := signIn(t, a, "alex.morgan@acme.example")
	const secret = "demo-hubspot-app-secret-42"
	if p := post(t, admin, a.url+"/app/settings/crm/connections/hubspot", url.Values{"enabled": {"on"}, "secret": {secret}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("hubspot: %d %s", p.status, p.raw)
	}
	p := get(t, admin, a.url+"/app/settings/crm")
	for _, f := range []string{"order", "name", "pipeline", "segment", "min_amount", "max_amount", "template_id", "remove"} {
		id := "rule-0-" + f
		if len(p.all("form#crm-rules-form #"+id)) != 1 || len(p.all("label[for="+id+"]")) != 1 {
			t.Errorf("the rules form has no labelled %s", id)
		}
	}
	var enterprise, other string
	actScan(t, a, `SELECT template_id::text FROM templates WHERE is_default`, nil, &other)
	actScan(t, a, `INSERT INTO templates (tenant_id, name) VALUES ($1, 'Enterprise rollout') RETURNING template_id::text`, []any{a.demo.TenantID}, &enterprise)
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"rows": {"1"}, "rule-0-order": {"1"}, "rule-0-min_amount": {"lots"}, "rule-0-template_id": {enterprise}}, "rule-0-min_amount"},
		{url.Values{"rows": {"1"}, "rule-0-order": {"1"}, "rule-0-pipeline": {"enterprise"}}, "rule-0-template_id"},
		{url.Values{"rows": {"1"}, "rule-0-order": {"1"}, "rule-0-min_amount": {"500"}, "rule-0-max_amount": {"100"}, "rule-0-template_id": {enterprise}}, "rule-0-max_amount"},
	} {
		p := post(t, admin, a.url+"/app/settings/crm/rules", tc.form, a.url)
		if p.status != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d, want 422", tc.form, p.status)
			continue
		}
		if p.text("#error-"+tc.field) == "" {
			t.Errorf("%v: no error beside %s", tc.form, tc.field)
		}
		if n := p.all("#" + tc.field); len(n) != 1 || attr(n[0], "aria-invalid") != "true" {
			t.Errorf("%v: %s not marked invalid", tc.form, tc.field)
		}
		if n := p.all("#rule-0-min_amount"); len(n) != 1 || attr(n[0], "value") != tc.form.Get("rule-0-min_amount") {
			t.Errorf("%v: the typed amount is not kept", tc.form)
		}
	}
	// Two rules, the second numbered first; an empty row is skipped.
	form := url.Values{"rows": {"3"},
		"rule-0-order": {"2"}, "rule-0-name": {"Everything else"}, "rule-0-template_id": {other},
		"rule-1-order": {"1"}, "rule-1-name": {"Big enterprise"}, "rule-1-pipeline": {"default"}, "rule-1-min_amount": {"50,000"}, "rule-1-template_id": {enterprise},
		"rule-2-order": {"3"}}
	if p := post(t, admin, a.url+"/app/settings/crm/rules", form, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("saving rules: %d %s", p.status, p.raw)
	}
	p = get(t, admin, a.url+"/app/settings/crm")
	if n := p.all("#rule-0-name"); len(n) != 1 || attr(n[0], "value") != "Big enterprise" {
		t.Errorf("the rules are not in their order's")
	}

	// The CRM calls: a won deal of 60,000 in the default pipeline.
	body := []byte(`[{"eventId": 424242, "subscriptionType": "deal.propertyChange", "objectId": 31337, "propertyName": "dealstage", "propertyValue": "closedwon",
  "properties": {"dealname": "Stark Industries rollout", "amount": "60000", "pipeline": "default"},
  "company": {"id": "hs-company-9", "name": "Stark Industries"}, "contacts": [{"email": "pepper@stark.example", "firstname": "Pepper", "lastname": "Potts"}]}]`)
	uri := a.url + "/api/v1/crm/acme/hubspot"
	req, _ := http.NewRequest("POST", uri, bytes.NewReader(body))
	req.Header = crm.Sign("hubspot", secret, "POST", uri, body, "", time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var res struct {
		Results []struct {
			Outcome    string `json:"outcome"`
			TemplateID string `json:"template_id"`
		} `json:"results"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(out, &res) != nil || len(res.Results) != 1 || res.Results[0].Outcome != "started" || res.Results[0].TemplateID != enterprise {
		t.Fatalf("the HubSpot call: %d %s (want the template %s)", resp.StatusCode, out, enterprise)
	}
	p = get(t, admin, a.url+"/app/settings/crm")
	rows := p.all("#crm-log-table tbody tr.crm-started")
	if len(rows) != 1 || !strings.Contains(nodeText(rows[0]), "424242") || len(p.all("#crm-log-table tbody tr.crm-started a[href^='/app/projects/']")) != 1 {
		t.Errorf("the log does not show the started project")
	}
}

// TestCRMHubSpotScript: scripts/crm-hubspot-won.sh, the docs' way of
// trying a connection, sends a call the server accepts and that starts a
// project (curl and openssl needed).
func TestCRMHubSpotScript(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s here", tool)
		}
	}
	a := newApp(t)
	admin := signIn(t, a, "alex.morgan@acme.example")
	const secret = "script-hubspot-app-secret"
	if p := post(t, admin, a.url+"/app/settings/crm/connections/hubspot", url.Values{"enabled": {"on"}, "secret": {secret}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("hubspot: %d %s", p.status, p.raw)
	}
	cmd := exec.Command("bash", "../../scripts/crm-hubspot-won.sh", "acme", "5150", "25000")
	cmd.Env = append(os.Environ(), "ONBOARDIQ_BASE_URL="+a.url, "HUBSPOT_APP_SECRET="+secret)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"outcome":"started"`) {
		t.Fatalf("the script: %v %s", err, out)
	}
	var n int
	actScan(t, a, `SELECT count(*) FROM projects p JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id WHERE c.external_id = 'company-5150'`, nil, &n)
	if n != 1 {
		t.Errorf("%d projects for the script's deal", n)
	}
}
