package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAccountsAPI: customers carry their account (parent, ARR, renewal
// date, lifecycle status, external id) and custom field values through
// create, update, get and list; every bad value answers 422 naming its
// field and changes nothing, a taken external id 409 naming it; the
// detail has the children and the ARR roll-up; the lists filter by them.
func TestAccountsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mustDo := func(method, path string, body any, want int) map[string]any {
		t.Helper()
		status, out := e.do(t, "admin", method, path, body)
		if status != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, status, out, want)
		}
		m := map[string]any{}
		_ = json.Unmarshal(out, &m)
		return m
	}
	mustDo("POST", "/custom-fields", map[string]any{"entity": "customer", "key": "plan", "label": "Plan", "type": "one_of", "options": []string{"Basic", "Pro"}}, 201)
	mustDo("POST", "/custom-fields", map[string]any{"entity": "customer", "key": "seats", "label": "Seats", "type": "number"}, 201)
	mustDo("POST", "/custom-fields", map[string]any{"entity": "project", "key": "region", "label": "Region", "type": "text"}, 201)
	mustDo("POST", "/custom-fields", map[string]any{"entity": "customer", "key": "plan", "label": "Again", "type": "text"}, 409)

	parent := mustDo("POST", "/customers", map[string]any{"name": "Holdings", "arr": 1000, "lifecycle_status": "active",
		"renewal_date": "2027-03-31", "external_id": "acct_1", "custom_fields": map[string]any{"plan": "Pro", "seats": 40}}, 201)
	pid := parent["id"].(string)
	if parent["arr"] != 1000.0 || parent["lifecycle_status"] != "active" || parent["renewal_date"] != "2027-03-31" || parent["external_id"] != "acct_1" {
		t.Errorf("created: %v", parent)
	}
	child := mustDo("POST", "/customers", map[string]any{"name": "Subsidiary", "parent_id": pid, "arr": 250.5}, 201)
	if child["lifecycle_status"] != "onboarding" || child["parent_id"] != pid {
		t.Errorf("child: %v", child)
	}
	got := mustDo("GET", "/customers/"+pid, nil, 200)
	rollup, _ := got["rollup"].(map[string]any)
	children, _ := got["children"].([]any)
	if rollup["arr"] != 1250.5 || rollup["customers"] != 2.0 || rollup["currency"] != "USD" || len(children) != 1 || rollup["health"] != nil {
		t.Errorf("detail: %v", got)
	}

	cases := []struct {
		method, path string
		body         any
		field        string
	}{
		{"POST", "/customers", map[string]any{"name": "X", "arr": -1}, "body.arr"},
		{"POST", "/customers", map[string]any{"name": "X", "renewal_date": "soon"}, "body.renewal_date"},
		{"POST", "/customers", map[string]any{"name": "X", "lifecycle_status": "lost"}, "body.lifecycle_status"},
		{"POST", "/customers", map[string]any{"name": "X", "external_id": strings.Repeat("x", 101)}, "body.external_id"},
		{"POST", "/customers", map[string]any{"name": "X", "parent_id": e.p1}, "body.parent_id"},
		{"POST", "/customers", map[string]any{"name": "X", "custom_fields": map[string]any{"tier": "Gold"}}, "body.custom_fields.tier"},
		{"POST", "/customers", map[string]any{"name": "X", "custom_fields": map[string]any{"seats": "many"}}, "body.custom_fields.seats"},
		{"PATCH", "/customers/" + pid, map[string]any{"parent_id": child["id"]}, "body.parent_id"},
		{"PATCH", "/customers/" + pid, map[string]any{"custom_fields": map[string]any{"plan": "Gold"}}, "body.custom_fields.plan"},
		{"POST", "/projects", map[string]any{"customer_id": e.c1, "name": "X", "custom_fields": map[string]any{"region": 1}}, "body.custom_fields.region"},
		{"GET", "/customers?cf.tier=Gold", nil, "query.cf.tier"},
		{"GET", "/customers?cf.seats.gte=many", nil, "query.cf.seats.gte"},
		{"GET", "/projects?cf.nope=1", nil, "query.cf.nope"},
		{"GET", "/customers?lifecycle_status=lost", nil, "query.lifecycle_status"},
		{"POST", "/custom-fields", map[string]any{"entity": "customer", "key": "Bad Key", "label": "X", "type": "text"}, "body.key"},
		{"POST", "/custom-fields", map[string]any{"entity": "customer", "key": "tier", "label": "X", "type": "one_of"}, "body.options"},
	}
	for _, c := range cases {
		before := e.snapshot(t)
		status, out := e.do(t, "admin", c.method, c.path, c.body)
		if status != http.StatusUnprocessableEntity || !strings.Contains(string(out), `"location":"`+c.field+`"`) {
			t.Errorf("%s %s %v: %d %s; want 422 naming %s", c.method, c.path, c.body, status, out, c.field)
		}
		if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
			t.Errorf("%s %s changed data:\n%s", c.method, c.path, diff)
		}
	}
	status, out := e.do(t, "admin", "POST", "/customers", map[string]any{"name": "Copy", "external_id": "acct_1"})
	if status != http.StatusConflict || !strings.Contains(string(out), "external_id") {
		t.Errorf("a taken external id: %d %s", status, out)
	}
	status, out = e.do(t, "admin", "DELETE", "/customers/"+pid, nil)
	if status != http.StatusConflict || !strings.Contains(string(out), "Subsidiary") {
		t.Errorf("delete a parent: %d %s", status, out)
	}

	// The lists filter.
	names := func(path string) string {
		t.Helper()
		var page struct {
			Items []struct {
				Name string `json:"name"`
			} `json:"items"`
		}
		status, out := e.do(t, "admin", "GET", path, nil)
		if status != 200 || json.Unmarshal(out, &page) != nil {
			t.Fatalf("%s: %d %s", path, status, out)
		}
		var ns []string
		for _, i := range page.Items {
			ns = append(ns, i.Name)
		}
		return strings.Join(ns, ",")
	}
	for path, want := range map[string]string{
		"/customers?parent_id=" + pid:                                   "Subsidiary",
		"/customers?lifecycle_status=active":                            "Holdings",
		"/customers?renewal_before=2027-04-01&renewal_after=2027-03-31": "Holdings",
		"/customers?renewal_before=2027-03-30":                          "",
		"/customers?external_id=acct_1":                                 "Holdings",
		"/customers?cf.plan=Pro":                                        "Holdings",
		"/customers?cf.seats.gte=41":                                    "",
		"/customers?cf.seats.lte=40&cf.plan=Pro":                        "Holdings",
	} {
		if got := names(path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	pr := mustDo("POST", "/projects", map[string]any{"customer_id": e.c1, "name": "EU rollout", "custom_fields": map[string]any{"region": "EU"}}, 201)
	if names("/projects?cf.region=EU") != "EU rollout" {
		t.Errorf("projects by region")
	}
	pr = mustDo("PATCH", "/projects/"+pr["id"].(string), map[string]any{"custom_fields": map[string]any{"region": nil}}, 200)
	if cf, _ := pr["custom_fields"].(map[string]any); len(cf) != 0 {
		t.Errorf("a value removed: %v", pr["custom_fields"])
	}
	// Contacts read their customer without the hierarchy's detail.
	status, out = e.do(t, "contact", "GET", "/customers/"+e.c1.String(), nil)
	if status != 200 || strings.Contains(string(out), "rollup") {
		t.Errorf("a contact's customer: %d %s", status, out)
	}
	fields := mustDo("GET", "/custom-fields?entity=customer", nil, 200)
	if fs, _ := fields["fields"].([]any); len(fs) != 2 {
		t.Errorf("customer fields: %v", fields)
	}
}
