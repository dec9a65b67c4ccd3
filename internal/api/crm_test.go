package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/crm"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// hubspotSecret stands for a HubSpot app's client secret, which HubSpot
// chooses and the admin pastes.
const hubspotSecret = "hubspot-app-client-secret-0001"

// crmEnv is acme with its three CRM connections on; secrets by provider.
type crmEnv struct {
	*env
	secrets map[onboardiq.CRMProvider]string
}

func newCRMEnv(t *testing.T) *crmEnv {
	t.Helper()
	e := &crmEnv{env: newEnv(t), secrets: map[onboardiq.CRMProvider]string{onboardiq.CRMHubSpot: hubspotSecret}}
	for _, p := range onboardiq.CRMProviders {
		body := map[string]any{"enabled": true}
		if p == onboardiq.CRMHubSpot {
			body["secret"] = hubspotSecret
		}
		status, out := e.do(t, "admin", "PUT", "/crm/connections/"+string(p), body)
		var res struct {
			Connection onboardiq.CRMConnection `json:"connection"`
			Secret     string                  `json:"secret"`
		}
		if status != 200 || json.Unmarshal(out, &res) != nil || !res.Connection.Enabled {
			t.Fatalf("set up %s: %d %s", p, status, out)
		}
		if p == onboardiq.CRMHubSpot {
			if res.Secret != "" {
				t.Errorf("hubspot: a secret was made although one was given: %s", out)
			}
			continue
		}
		if !strings.HasPrefix(res.Secret, "whsec_") {
			t.Fatalf("%s: no secret shown on creation: %s", p, out)
		}
		e.secrets[p] = res.Secret
	}
	return e
}

// crmCall sends body to slug's address for provider, signed with secret
// at at; edit may change the headers before it goes.
func (e *env) crmCall(t *testing.T, slug string, p onboardiq.CRMProvider, secret string, body []byte, at time.Time, edit func(http.Header)) (int, []byte) {
	t.Helper()
	path := "/api/v1/crm/" + slug + "/" + string(p)
	var id struct {
		EventID string `json:"event_id"`
	}
	_ = json.Unmarshal(body, &id)
	if id.EventID == "" {
		id.EventID = "msg_" + uuid.NewString()
	}
	h := crm.Sign(p, secret, "POST", "http://test"+path, body, id.EventID, at)
	if edit != nil {
		edit(h)
	}
	req, err := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

type crmResults struct {
	Results []postgres.CRMResult `json:"results"`
}

func results(t *testing.T, status int, out []byte) []postgres.CRMResult {
	t.Helper()
	var r crmResults
	if status != 200 || json.Unmarshal(out, &r) != nil {
		t.Fatalf("%d %s", status, out)
	}
	return r.Results
}

// hubspotWon is a HubSpot batch with one closed-won deal, enriched with
// the deal's properties, company and contacts.
func hubspotWon(eventID int64, deal, company string, amount string) []byte {
	return fmt.Appendf(nil, `[{"eventId": %d, "subscriptionId": 7, "portalId": 62515, "appId": 1, "occurredAt": 1764230400000,
 "subscriptionType": "deal.propertyChange", "attemptNumber": 0, "objectId": %s, "changeSource": "CRM",
 "propertyName": "dealstage", "propertyValue": "closedwon",
 "properties": {"dealname": "Globex expansion", "amount": %q, "pipeline": "default"},
 "company": {"id": %q, "name": "Globex", "domain": "globex.example"},
 "contacts": [{"email": "Hank@Globex.example", "firstname": "Hank", "lastname": "Scorpio"}, {"email": "hank@globex.example"}]}]`,
		eventID, deal, amount, company)
}

// count runs a count(*) in acme as the app.
func (e *env) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	err := e.db.App.InTenantReadOnly(context.Background(), e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, sql, append([]any{e.acme}, args...)...).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// crmLog reads acme's inbound log as its admin.
func (e *env) crmLog(t *testing.T) []onboardiq.CRMInbound {
	t.Helper()
	status, out := e.do(t, "admin", "GET", "/crm/log", nil)
	var page struct {
		Items []onboardiq.CRMInbound `json:"items"`
	}
	if status != 200 || json.Unmarshal(out, &page) != nil {
		t.Fatalf("GET /crm/log: %d %s", status, out)
	}
	return page.Items
}

// TestCRMHubSpotClosedWonStartsOneProject: a signed closed-won event
// creates the customer by its company id, adds its contact once and
// starts a project from the default template; the same event again
// answers the first outcome and creates nothing; both calls are logged,
// and the connection ticks the setup checklist's integration step.
func TestCRMHubSpotClosedWonStartsOneProject(t *testing.T) {
	t.Parallel()
	e := newCRMEnv(t)
	body := hubspotWon(1001, "9001", "555", "12000")
	status, out := e.crmCall(t, "acme", onboardiq.CRMHubSpot, hubspotSecret, body, time.Now(), nil)
	first := results(t, status, out)
	if len(first) != 1 || first[0].Outcome != "started" || first[0].ProjectID == nil || first[0].CustomerID == nil || first[0].Duplicate {
		t.Fatalf("first call: %s", out)
	}
	if first[0].TemplateID == nil || *first[0].TemplateID != e.tpl {
		t.Errorf("template %v, want the default %s (no rules)", first[0].TemplateID, e.tpl)
	}
	if n := e.count(t, `SELECT count(*) FROM customers WHERE tenant_id = $1 AND external_id = '555' AND name = 'Globex' AND contact_info->>'website' = 'https://globex.example'`); n != 1 {
		t.Errorf("%d customers with external id 555", n)
	}
	if n := e.count(t, `SELECT count(*) FROM tenant_users WHERE tenant_id = $1 AND email = 'hank@globex.example' AND role = 'customer' AND customer_id = $2`, *first[0].CustomerID); n != 1 {
		t.Errorf("%d contacts hank@globex.example", n)
	}
	if n := e.count(t, `SELECT count(*) FROM projects WHERE tenant_id = $1 AND customer_id = $2 AND name = 'Globex expansion'`, *first[0].CustomerID); n != 1 {
		t.Errorf("%d projects", n)
	}
	if n := e.count(t, `SELECT count(*) FROM tasks WHERE tenant_id = $1 AND project_id = $2`, *first[0].ProjectID); n == 0 {
		t.Error("the project has no tasks from its template")
	}
	if n := e.count(t, `SELECT count(*) FROM events WHERE tenant_id = $1 AND kind IN ('customer.created', 'project.created', 'user.created') AND data->>'source' = 'crm' AND data->>'crm_event_id' = '1001'`); n != 3 {
		t.Errorf("%d events marked as the CRM's, want customer.created, user.created and project.created", n)
	}

	before := e.tenantSnapshot(t, e.acme)
	status, out = e.crmCall(t, "acme", onboardiq.CRMHubSpot, hubspotSecret, body, time.Now(), nil)
	again := results(t, status, out)
	if len(again) != 1 || !again[0].Duplicate || again[0].Outcome != "started" || *again[0].ProjectID != *first[0].ProjectID {
		t.Fatalf("the same event again: %s", out)
	}
	after := e.tenantSnapshot(t, e.acme)
	delete(before, "crm_inbound")
	delete(after, "crm_inbound")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("the same event again changed rows (-before +after):\n%s", diff)
	}
	// Another event of the same deal (moved out of closed-won and back)
	// updates the customer and starts nothing.
	status, out = e.crmCall(t, "acme", onboardiq.CRMHubSpot, hubspotSecret, hubspotWon(1002, "9001", "555", "15000"), time.Now(), nil)
	if r := results(t, status, out); r[0].Outcome != "updated" || *r[0].ProjectID != *first[0].ProjectID {
		t.Errorf("the deal won again: %s", out)
	}
	if n := e.count(t, `SELECT count(*) FROM projects WHERE tenant_id = $1 AND customer_id = $2`, *first[0].CustomerID); n != 1 {
		t.Errorf("%d projects after the deal was won again", n)
	}

	log := e.crmLog(t)
	if len(log) != 3 || log[0].Outcome != "updated" || log[1].Outcome != "duplicate" || log[2].Outcome != "started" ||
		log[2].EventID != "1001" || !log[2].SignatureOK || log[2].ProjectID == nil || log[1].ProjectID == nil {
		t.Errorf("log: %+v", log)
	}

	status, out = e.do(t, "admin", "GET", "/setup", nil)
	var setup struct {
		Items []struct {
			Key  string `json:"key"`
			Done bool   `json:"done"`
		} `json:"items"`
	}
	if status != 200 || json.Unmarshal(out, &setup) != nil {
		t.Fatalf("GET /setup: %d %s", status, out)
	}
	for _, it := range setup.Items {
		if it.Key == "integration" && !it.Done {
			t.Errorf("a CRM connection does not tick the integration step: %s", out)
		}
	}
}

// TestCRMSignatures: per provider, a call signed with the connection's
// secret is accepted; a wrong secret, a missing signature or a stale
// timestamp is 401, logged, and changes nothing else; a replay within the
// window does nothing (the event id). Another workspace's secret does not
// work on acme's address, and a workspace without the connection is 404.
func TestCRMSignatures(t *testing.T) {
	t.Parallel()
	e := newCRMEnv(t)
	// bolt's own generic connection, with its own secret.
	status, out := e.do(t, "other_tenant", "PUT", "/crm/connections/generic", map[string]any{"enabled": true})
	var boltConn struct {
		Secret string `json:"secret"`
	}
	if status != 200 || json.Unmarshal(out, &boltConn) != nil || boltConn.Secret == "" {
		t.Fatalf("bolt's connection: %d %s", status, out)
	}
	bodies := map[onboardiq.CRMProvider][]byte{
		onboardiq.CRMHubSpot: hubspotWon(2001, "9101", "600", "1000"),
		onboardiq.CRMSalesforce: []byte(`{"event_id": "sf-1", "opportunity": {"id": "006A1", "name": "Initech rollout", "amount": 1000, "stage": "Closed Won"},
 "account": {"id": "001A1", "name": "Initech"}, "contacts": [{"email": "peter@initech.example", "first_name": "Peter", "last_name": "Gibbons"}]}`),
		onboardiq.CRMGeneric: []byte(`{"event_id": "gen-1", "customer": {"crm_id": "cust-1", "name": "Umbrella"}, "deal": {"id": "d-1", "amount": 1000}}`),
	}
	for _, p := range onboardiq.CRMProviders {
		body, secret := bodies[p], e.secrets[p]
		refused := []struct {
			name   string
			secret string
			at     time.Time
			edit   func(http.Header)
		}{
			{"wrong secret", "whsec_" + strings.Repeat("A", 43) + "=", time.Now(), nil},
			{"stale", secret, time.Now().Add(-6 * time.Minute), nil},
			{"future", secret, time.Now().Add(6 * time.Minute), nil},
			{"unsigned", secret, time.Now(), func(h http.Header) {
				for _, k := range []string{crm.HubSpotSignature, crm.SalesforceSignature, "webhook-signature"} {
					h.Del(k)
				}
			}},
			{"body changed", secret, time.Now(), func(http.Header) {}},
		}
		for _, tc := range refused {
			before := e.tenantSnapshot(t, e.acme)
			logged := len(e.crmLog(t))
			send := body
			var status int
			var out []byte
			if tc.name == "body changed" {
				// Signed for one body, sent with another.
				h := crm.Sign(p, secret, "POST", "http://test/api/v1/crm/acme/"+string(p), body, "gen-1", time.Now())
				status, out = e.crmCall(t, "acme", p, secret, bytes.Replace(send, []byte("1000"), []byte("9999"), 1), time.Now(), func(got http.Header) {
					for k := range h {
						got.Set(k, h.Get(k))
					}
				})
			} else {
				status, out = e.crmCall(t, "acme", p, tc.secret, send, tc.at, tc.edit)
			}
			if status != 401 {
				t.Errorf("%s, %s: %d %s, want 401", p, tc.name, status, out)
			}
			after := e.tenantSnapshot(t, e.acme)
			for _, s := range []map[string]string{before, after} {
				delete(s, "crm_inbound")
			}
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("%s, %s changed rows:\n%s", p, tc.name, diff)
			}
			log := e.crmLog(t)
			if len(log) != logged+1 || log[0].Outcome != "bad_signature" || log[0].SignatureOK || log[0].Provider != p {
				t.Errorf("%s, %s: not logged as a bad signature: %+v", p, tc.name, log[0])
			}
		}
		status, out := e.crmCall(t, "acme", p, secret, body, time.Now(), nil)
		if r := results(t, status, out); r[0].Outcome != "started" {
			t.Errorf("%s, valid: %s", p, out)
		}
		// The same signed request again, within the window: one project.
		status, out = e.crmCall(t, "acme", p, secret, body, time.Now().Add(-time.Minute), nil)
		if r := results(t, status, out); !r[0].Duplicate {
			t.Errorf("%s, replayed: %s", p, out)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM projects WHERE tenant_id = $1 AND description LIKE 'Started by %'`); n != 3 {
		t.Errorf("%d projects started, want one per provider", n)
	}

	// Cross-tenant: acme's generic secret on bolt's address is refused,
	// and so is bolt's on acme's; bolt has no HubSpot connection.
	boltBefore := e.tenantSnapshot(t, e.bolt)
	gen := []byte(`{"event_id": "gen-x", "customer": {"crm_id": "x", "name": "X"}}`)
	if status, out := e.crmCall(t, "bolt", onboardiq.CRMGeneric, e.secrets[onboardiq.CRMGeneric], gen, time.Now(), nil); status != 401 {
		t.Errorf("acme's secret on bolt's address: %d %s", status, out)
	}
	if status, out := e.crmCall(t, "acme", onboardiq.CRMGeneric, boltConn.Secret, gen, time.Now(), nil); status != 401 {
		t.Errorf("bolt's secret on acme's address: %d %s", status, out)
	}
	if status, out := e.crmCall(t, "bolt", onboardiq.CRMHubSpot, hubspotSecret, hubspotWon(1, "1", "1", "1"), time.Now(), nil); status != 404 {
		t.Errorf("bolt without HubSpot: %d %s", status, out)
	}
	if status, out := e.crmCall(t, "nosuch", onboardiq.CRMGeneric, boltConn.Secret, gen, time.Now(), nil); status != 404 {
		t.Errorf("no such workspace: %d %s", status, out)
	}
	boltAfter := e.tenantSnapshot(t, e.bolt)
	for _, s := range []map[string]string{boltBefore, boltAfter} {
		delete(s, "crm_inbound")
	}
	if diff := cmp.Diff(boltBefore, boltAfter); diff != "" {
		t.Errorf("refused calls changed bolt's rows:\n%s", diff)
	}
	if n := e.count(t, `SELECT count(*) FROM customers WHERE tenant_id = $1 AND external_id = 'x'`); n != 0 {
		t.Error("bolt's secret created a customer in acme")
	}

	// A connection turned off: 404, logged.
	if status, out := e.do(t, "admin", "PUT", "/crm/connections/generic", map[string]any{"enabled": false}); status != 200 {
		t.Fatalf("turn off: %d %s", status, out)
	}
	if status, out := e.crmCall(t, "acme", onboardiq.CRMGeneric, e.secrets[onboardiq.CRMGeneric], gen, time.Now(), nil); status != 404 {
		t.Errorf("a connection turned off: %d %s", status, out)
	}
	if log := e.crmLog(t); log[0].Outcome != "disabled" {
		t.Errorf("a call to a connection turned off is not logged: %+v", log[0])
	}
	// Rotation: the old secret is refused, the new one works.
	if status, out := e.do(t, "admin", "PUT", "/crm/connections/generic", map[string]any{"enabled": true}); status != 200 || strings.Contains(string(out), "whsec_") {
		t.Fatalf("turn on again: %d %s (the secret must not be shown again)", status, out)
	}
	status, out = e.do(t, "admin", "POST", "/crm/connections/generic/rotate-secret", nil)
	var rotated struct {
		Secret string `json:"secret"`
	}
	if status != 200 || json.Unmarshal(out, &rotated) != nil || rotated.Secret == "" || rotated.Secret == e.secrets[onboardiq.CRMGeneric] {
		t.Fatalf("rotate: %d %s", status, out)
	}
	if status, _ := e.crmCall(t, "acme", onboardiq.CRMGeneric, e.secrets[onboardiq.CRMGeneric], gen, time.Now(), nil); status != 401 {
		t.Errorf("the old secret after rotation: %d", status)
	}
	if status, out := e.crmCall(t, "acme", onboardiq.CRMGeneric, rotated.Secret, gen, time.Now(), nil); status != 200 {
		t.Errorf("the new secret: %d %s", status, out)
	}
	// The secret is stored sealed, not as text.
	if n := e.count(t, `SELECT count(*) FROM crm_connections WHERE tenant_id = $1 AND position($2::bytea IN secret_sealed) > 0`, []byte(rotated.Secret)); n != 0 {
		t.Error("the secret is stored in plaintext")
	}
}

// TestCRMRulesPickTheTemplate: the first matching rule picks the template
// (pipeline, segment, amount range), and a deal no rule matches gets the
// default template.
func TestCRMRulesPickTheTemplate(t *testing.T) {
	t.Parallel()
	e := newCRMEnv(t)
	tpl := map[string]uuid.UUID{}
	for _, name := range []string{"Enterprise plan", "SMB quick start", "Big deal"} {
		status, out := e.do(t, "admin", "POST", "/templates", map[string]any{"name": name, "tasks": []map[string]any{
			{"phase": "Kickoff", "description": "Kickoff call", "offset_days": 0, "duration_days": 1, "side": "vendor"}}})
		var got struct {
			ID uuid.UUID `json:"id"`
		}
		if status != 201 || json.Unmarshal(out, &got) != nil {
			t.Fatalf("template %s: %d %s", name, status, out)
		}
		tpl[name] = got.ID
	}
	status, out := e.do(t, "admin", "PUT", "/crm/rules", map[string]any{"rules": []map[string]any{
		{"name": "Enterprise pipeline", "pipeline": "enterprise", "template_id": tpl["Enterprise plan"]},
		{"name": "Small", "segment": "SMB", "max_amount": 10000, "template_id": tpl["SMB quick start"]},
		{"min_amount": 50000, "template_id": tpl["Big deal"]},
	}})
	if status != 200 {
		t.Fatalf("set rules: %d %s", status, out)
	}
	for i, tc := range []struct {
		name, deal string
		want       uuid.UUID
	}{
		{"pipeline", `"pipeline": "Enterprise", "amount": 5000`, tpl["Enterprise plan"]},
		{"segment and amount", `"pipeline": "default", "amount": 9999.5`, tpl["SMB quick start"]},
		{"segment, amount at the bound", `"pipeline": "default", "amount": 10000`, e.tpl},
		{"amount from the minimum", `"amount": 50000`, tpl["Big deal"]},
		{"no amount", `"pipeline": "default"`, e.tpl},
	} {
		segment := "SMB"
		if tc.name == "amount from the minimum" {
			segment = "Enterprise"
		}
		body := fmt.Appendf(nil, `{"event_id": "rule-%d", "customer": {"crm_id": "c-%d", "name": "Customer %d", "segment": %q}, "deal": {%s}}`,
			i, i, i, segment, tc.deal)
		status, out := e.crmCall(t, "acme", onboardiq.CRMGeneric, e.secrets[onboardiq.CRMGeneric], body, time.Now(), nil)
		r := results(t, status, out)
		if r[0].Outcome != "started" || r[0].TemplateID == nil || *r[0].TemplateID != tc.want {
			t.Errorf("%s: %s, want template %s", tc.name, out, tc.want)
		}
	}
	status, out = e.do(t, "admin", "GET", "/crm/rules", nil)
	if status != 200 || !strings.Contains(string(out), `"template_name":"SMB quick start"`) || !strings.Contains(string(out), `"position":2`) {
		t.Errorf("GET /crm/rules: %d %s", status, out)
	}
	// A bad rule is refused naming it, and the rules stay as they were.
	for _, tc := range []struct {
		rule  map[string]any
		field string
	}{
		{map[string]any{"min_amount": 100, "max_amount": 50, "template_id": tpl["Big deal"]}, "body.rules[1].max_amount"},
		{map[string]any{"template_id": uuid.New()}, "body.rules[1].template_id"},
		{map[string]any{"min_amount": -1, "template_id": tpl["Big deal"]}, "body.rules[1].min_amount"},
	} {
		status, out := e.do(t, "admin", "PUT", "/crm/rules", map[string]any{"rules": []map[string]any{{"template_id": tpl["Big deal"]}, tc.rule}})
		if status != 422 || !strings.Contains(string(out), tc.field) {
			t.Errorf("bad rule %v: %d %s, want 422 about %s", tc.rule, status, out, tc.field)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM crm_rules WHERE tenant_id = $1`); n != 3 {
		t.Errorf("%d rules after refused changes, want 3", n)
	}
}

// TestCRMBadBody: a body not of the provider's form is 422 naming the
// field, logged as invalid, and changes nothing else.
func TestCRMBadBody(t *testing.T) {
	t.Parallel()
	e := newCRMEnv(t)
	for _, tc := range []struct {
		provider onboardiq.CRMProvider
		body     string
		field    string
	}{
		{onboardiq.CRMHubSpot, `not json`, "body"},
		{onboardiq.CRMHubSpot, `[]`, "body"},
		{onboardiq.CRMHubSpot, `[{"eventId": 1, "propertyName": "dealstage", "propertyValue": "closedwon"}]`, "body[0].objectId"},
		{onboardiq.CRMHubSpot, `[{"eventId": 1, "objectId": 5, "propertyName": "dealstage", "propertyValue": "closedwon", "properties": {"amount": "lots"}}]`, "body[0].properties.amount"},
		{onboardiq.CRMHubSpot, `[{"eventId": 1, "objectId": 5, "propertyName": "dealstage", "propertyValue": "closedwon", "contacts": [{"email": "not an address"}]}]`, "body[0].contacts[0].email"},
		{onboardiq.CRMSalesforce, `{"opportunity": {"id": "1", "stage": "Closed Won"}}`, "body.account"},
		{onboardiq.CRMSalesforce, `{"opportunity": {"id": "1", "stage": "Closed Won", "amount": "x"}, "account": {"id": "a", "name": "A"}}`, "body.opportunity.amount"},
		{onboardiq.CRMSalesforce, `{"opportunity": {"id": "1", "stage": "Closed Won"}, "account": {"id": "a"}}`, "body.account.name"},
		{onboardiq.CRMGeneric, `{"event_id": "e1", "customer": {"name": "No id"}}`, "body.customer.crm_id"},
		{onboardiq.CRMGeneric, `{"event_id": "e1", "customer": {"crm_id": "x", "name": "X", "arr": -5}}`, "body.customer.arr"},
		{onboardiq.CRMGeneric, `{"event_id": "e1", "customer": {"crm_id": "x", "name": "X"}, "contacts": [{"email": "a@b.example"}, {"email": 7}]}`, "body.contacts[1].email"},
		{onboardiq.CRMGeneric, `{"event_id": "e1", "customer": "Acme"}`, "body.customer"},
	} {
		before := e.tenantSnapshot(t, e.acme)
		status, out := e.crmCall(t, "acme", tc.provider, e.secrets[tc.provider], []byte(tc.body), time.Now(), nil)
		var problem struct {
			Errors []struct {
				Location string `json:"location"`
				Message  string `json:"message"`
			} `json:"errors"`
		}
		if status != 422 || json.Unmarshal(out, &problem) != nil || len(problem.Errors) == 0 || problem.Errors[0].Location != tc.field {
			t.Errorf("%s %s: %d %s, want 422 about %s", tc.provider, tc.body, status, out, tc.field)
		}
		after := e.tenantSnapshot(t, e.acme)
		for _, s := range []map[string]string{before, after} {
			delete(s, "crm_inbound")
		}
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("%s %s changed rows:\n%s", tc.provider, tc.body, diff)
		}
		if log := e.crmLog(t); log[0].Outcome != "invalid" || !log[0].SignatureOK || log[0].Error == "" {
			t.Errorf("%s %s: logged %+v", tc.provider, tc.body, log[0])
		}
	}
}

// TestCRMIgnoredAndFailed: another stage is ignored (and remembered); an
// archived customer fails the event, logged, without claiming it: once
// unarchived, the same event starts the project.
func TestCRMIgnoredAndFailed(t *testing.T) {
	t.Parallel()
	e := newCRMEnv(t)
	other := []byte(`[{"eventId": 3001, "objectId": 77, "subscriptionType": "deal.propertyChange", "propertyName": "dealstage", "propertyValue": "appointmentscheduled"},
 {"eventId": 3002, "objectId": 77, "subscriptionType": "deal.propertyChange", "propertyName": "amount", "propertyValue": "5"},
 {"eventId": 3003, "objectId": 77, "subscriptionType": "contact.creation"}]`)
	status, out := e.crmCall(t, "acme", onboardiq.CRMHubSpot, hubspotSecret, other, time.Now(), nil)
	r := results(t, status, out)
	if len(r) != 3 || r[0].Outcome != "ignored" || r[1].Outcome != "ignored" || r[2].Outcome != "ignored" || !strings.Contains(r[0].Detail, "appointmentscheduled") {
		t.Errorf("other events: %s", out)
	}
	// Customer One, archived, takes its external id.
	if status, out := e.do(t, "admin", "PATCH", "/customers/"+e.c1.String(), map[string]any{"external_id": "acct-1"}); status != 200 {
		t.Fatalf("%d %s", status, out)
	}
	if status, out := e.do(t, "admin", "POST", "/customers/"+e.c1.String()+"/archive", nil); status != 200 {
		t.Fatalf("%d %s", status, out)
	}
	body := []byte(`{"event_id": "g-1", "customer": {"crm_id": "acct-1", "name": "Customer One"}, "deal": {"name": "Renewal"}}`)
	status, out = e.crmCall(t, "acme", onboardiq.CRMGeneric, e.secrets[onboardiq.CRMGeneric], body, time.Now(), nil)
	if r := results(t, status, out); r[0].Outcome != "failed" || !strings.Contains(r[0].Error, "archived") {
		t.Errorf("an archived customer: %s", out)
	}
	if log := e.crmLog(t); log[0].Outcome != "failed" || log[0].EventID != "g-1" {
		t.Errorf("log: %+v", log[0])
	}
	if status, out := e.do(t, "admin", "POST", "/customers/"+e.c1.String()+"/unarchive", nil); status != 200 {
		t.Fatalf("%d %s", status, out)
	}
	status, out = e.crmCall(t, "acme", onboardiq.CRMGeneric, e.secrets[onboardiq.CRMGeneric], body, time.Now(), nil)
	if r := results(t, status, out); r[0].Outcome != "started" || *r[0].CustomerID != e.c1 {
		t.Errorf("after unarchiving: %s", out)
	}
	// A contact's address that is another customer's is left alone.
	body = []byte(`{"event_id": "g-2", "customer": {"crm_id": "acct-9", "name": "Nine"}, "contacts": [{"email": "contact2@customer.test"}, {"email": "new@nine.example", "name": "New"}]}`)
	status, out = e.crmCall(t, "acme", onboardiq.CRMGeneric, e.secrets[onboardiq.CRMGeneric], body, time.Now(), nil)
	if r := results(t, status, out); r[0].Outcome != "started" || !strings.Contains(r[0].Detail, "contact2@customer.test is already") || !strings.Contains(r[0].Detail, "1 contacts added") {
		t.Errorf("a contact of another customer: %s", out)
	}
}

// TestCRMLimits: a body over 1 MiB is refused before it is read; past 120
// calls a minute to one address, 429.
func TestCRMLimits(t *testing.T) {
	t.Parallel()
	e := newCRMEnv(t)
	big := append([]byte(`{"event_id": "big", "customer": {"crm_id": "b", "name": "`), bytes.Repeat([]byte("x"), crm.MaxBody)...)
	big = append(big, `"}}`...)
	if status, _ := e.crmCall(t, "acme", onboardiq.CRMGeneric, e.secrets[onboardiq.CRMGeneric], big, time.Now(), nil); status != 413 {
		t.Errorf("a body over 1 MiB: %d, want 413", status)
	}
	limited := false
	for i := 0; i < 125 && !limited; i++ {
		status, out := e.crmCall(t, "acme", onboardiq.CRMSalesforce, "wrong-secret-wrong-secret", []byte(`{}`), time.Now(), nil)
		switch status {
		case 401:
		case 429:
			limited = true
		default:
			t.Fatalf("call %d: %d %s", i, status, out)
		}
	}
	if !limited {
		t.Error("125 calls in a row were not limited")
	}
}
