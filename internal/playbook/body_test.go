package playbook_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/playbook"
)

func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("../../docs/playbook-webhook.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("playbook-webhook.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("playbook-webhook.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(f *playbook.Facts) playbook.Run {
	return playbook.Run{
		ID: uuid.MustParse("66666666-6666-4666-8666-666666666666"), PlaybookID: uuid.MustParse("77777777-7777-4777-8777-777777777777"),
		PlaybookName: "Health below 40", Trigger: "customer.health_level_changed", EventID: ptr(int64(7)), At: now, Facts: f,
	}
}

func TestBodyMatchesSchema(t *testing.T) {
	t.Parallel()
	s := schema(t)
	cases := []struct {
		name string
		edit func(*playbook.Facts, *playbook.Run)
	}{
		{"everything", func(*playbook.Facts, *playbook.Run) {}},
		{"customer only", func(f *playbook.Facts, r *playbook.Run) {
			f.Customer = playbook.CustomerFacts{ID: f.Customer.ID, Name: "Initech"}
			f.Project, f.Task, f.Event = nil, nil, nil
			r.EventID = nil
			r.Trigger, r.Evidence = "schedule:no_activity_days", []string{"no activity recorded"}
		}},
		{"no previous score, no components", func(f *playbook.Facts, _ *playbook.Run) {
			f.Customer.Health.PreviousScore = nil
			f.Customer.Health.Components = nil
		}},
		{"project without deadline, no task", func(f *playbook.Facts, _ *playbook.Run) { f.Project.Deadline = nil; f.Task = nil }},
		{"nil facts", func(f *playbook.Facts, r *playbook.Run) { r.Facts = nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := globex()
			r := run(f)
			tc.edit(f, &r)
			b, err := playbook.Body("standard", r)
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(inst); err != nil {
				t.Errorf("%s\ndoes not match the schema: %v", b, err)
			}
			m := inst.(map[string]any)
			if (r.Facts != nil && r.Facts.Project != nil) != (m["project"] != nil) {
				t.Errorf("project present = %v, want %v", m["project"] != nil, r.Facts != nil && r.Facts.Project != nil)
			}
			// Breaking the body breaks validation: the test can fail.
			for _, key := range []string{"account", "health", "trigger"} {
				broken := map[string]any{}
				for k, v := range m {
					broken[k] = v
				}
				delete(broken, key)
				if s.Validate(broken) == nil {
					t.Errorf("a body without %q matches the schema", key)
				}
			}
		})
	}
}

func TestBodyStandard(t *testing.T) {
	t.Parallel()
	b, err := playbook.Body("", run(globex()))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Type      string
		Timestamp string
		RunID     string `json:"run_id"`
		Trigger   struct {
			Kind     string
			EventID  int64 `json:"event_id"`
			Evidence []string
		}
		Account struct {
			Name, Stage  string
			ARR          float64
			RenewalDate  string `json:"renewal_date"`
			CSM          playbook.Person
			CustomFields map[string]any `json:"custom_fields"`
		}
		Health struct {
			Score         int
			PreviousScore int    `json:"previous_score"`
			LevelName     string `json:"level_name"`
			Components    []struct{ Name string }
		}
		Project struct{ Name, Deadline string }
		Task    struct{ Title string }
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "playbook.triggered" || got.Timestamp != "2026-11-27T10:30:00Z" || got.RunID != "66666666-6666-4666-8666-666666666666" ||
		got.Trigger.Kind != "customer.health_level_changed" || got.Trigger.EventID != 7 || got.Trigger.Evidence == nil ||
		got.Account.Name != "Globex" || got.Account.ARR != 120000 || got.Account.RenewalDate != "2027-01-08" ||
		got.Account.CSM.Email != "sam@onboardiq.example" || got.Account.CustomFields["plan"] != "Pro" ||
		got.Health.Score != 35 || got.Health.PreviousScore != 52 || got.Health.LevelName != "Critical" ||
		len(got.Health.Components) != 1 || got.Project.Deadline != "2026-11-20" || got.Task.Title != "Connect SSO" {
		t.Errorf("standard body:\n%s", b)
	}
	if _, err := playbook.Body("xml", run(globex())); err == nil {
		t.Error("Body(xml) did not fail")
	}
}

func TestBodyN8n(t *testing.T) {
	t.Parallel()
	s := schema(t)
	for _, f := range []*playbook.Facts{globex(), {Now: now, Customer: playbook.CustomerFacts{Name: "Initech"}}} {
		b, err := playbook.Body("n8n", run(f))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		// The n8n body is the standard body plus flat keys.
		if err := s.Validate(m); err != nil {
			t.Errorf("n8n body does not match the standard schema: %v", err)
		}
		want := map[string]any{
			"account_name": "Globex", "arr": 120000.0, "renewal_date": "2027-01-08", "health_score": 35.0,
			"previous_score": 52.0, "csm_name": "Sam Carter", "csm_email": "sam@onboardiq.example",
		}
		if f.Customer.Name == "Initech" {
			want = map[string]any{"account_name": "Initech", "arr": nil, "renewal_date": nil, "health_score": nil,
				"previous_score": nil, "csm_name": nil, "csm_email": nil}
		}
		for k, v := range want {
			got, ok := m[k]
			if !ok || !cmp.Equal(got, v) {
				t.Errorf("n8n %s = %#v (present %v), want %#v", k, got, ok, v)
			}
		}
		if text, _ := m["text"].(string); !strings.Contains(text, f.Customer.Name) {
			t.Errorf("n8n text %q", text)
		}
	}
}

func TestBodySlack(t *testing.T) {
	t.Parallel()
	r := run(globex())
	r.Evidence = []string{"health fell to 35"}
	b, err := playbook.Body("slack", r)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Text   string
		Blocks []struct {
			Type     string
			Text     struct{ Type, Text string }
			Elements []struct{ Type, Text string }
		}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := ":rotating_light: *Globex* — health 35 (was 52), Critical; project Globex onboarding; task Connect SSO. ARR $120,000, renews 2027-01-08. CSM Sam Carter. Playbook “Health below 40”."
	if m.Text != want {
		t.Errorf("slack text\n%s\nwant\n%s", m.Text, want)
	}
	if len(m.Blocks) != 2 || m.Blocks[0].Type != "section" || m.Blocks[0].Text.Text != m.Text ||
		m.Blocks[1].Type != "context" || len(m.Blocks[1].Elements) != 1 || !strings.Contains(m.Blocks[1].Elements[0].Text, "health fell to 35") {
		t.Errorf("slack blocks: %s", b)
	}
	f := globex()
	f.Customer.Name = "A<B> & Co"
	f.Customer.Health = nil
	b, _ = playbook.Body("slack", run(f))
	_ = json.Unmarshal(b, &m)
	if !strings.Contains(m.Text, "*A&lt;B&gt; &amp; Co*") || strings.Contains(m.Text, "health") {
		t.Errorf("slack text without health, escaped: %q", m.Text)
	}
}

func TestVarsAndFill(t *testing.T) {
	t.Parallel()
	r := run(globex())
	r.Evidence = []string{"one", "two"}
	v := playbook.Vars(r)
	want := map[string]string{
		"customer_name": "Globex", "customer_arr": "$120,000", "renewal_date": "2027-01-08", "health_score": "35",
		"previous_score": "52", "health_level": "Critical", "csm_name": "Sam Carter", "csm_email": "sam@onboardiq.example",
		"project_name": "Globex onboarding", "task_title": "Connect SSO", "playbook_name": "Health below 40",
		"trigger": "customer.health_level_changed", "evidence": "one; two",
		"customer_url": "/app/customers/11111111-1111-4111-8111-111111111111",
		"project_url":  "/app/projects/33333333-3333-4333-8333-333333333333",
	}
	if d := cmp.Diff(want, v); d != "" {
		t.Errorf("Vars (-want +got):\n%s", d)
	}
	bare := playbook.Vars(run(&playbook.Facts{Customer: playbook.CustomerFacts{Name: "Initech"}}))
	for _, k := range []string{"customer_arr", "renewal_date", "health_score", "previous_score", "csm_name", "project_url", "task_title"} {
		if bare[k] != "" {
			t.Errorf("bare %s = %q, want empty", k, bare[k])
		}
	}
	cases := []struct{ in, want string }{
		{"{{customer_name}} at {{ health_score }}", "Globex at 35"},
		{"{{  customer_arr  }}, {{unknown}} {{ evidence}}", "$120,000, {{unknown}} one; two"},
		{"{customer_name} {{customer_name", "{customer_name} {{customer_name"},
		{"", ""},
	}
	for _, tc := range cases {
		if got := playbook.Fill(tc.in, v); got != tc.want {
			t.Errorf("Fill(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	money := map[float64]string{0: "$0", 999: "$999", 1000: "$1,000", 1234567.5: "$1,234,567.50"}
	for arr, want := range money {
		f := globex()
		f.Customer.ARR = &arr
		if got := playbook.Vars(run(f))["customer_arr"]; got != want {
			t.Errorf("customer_arr of %v = %q, want %q", arr, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	f := globex()
	cases := []struct {
		a    onboardiq.PlaybookAction
		want string
	}{
		{onboardiq.PlaybookAction{Type: "webhook", URL: "https://n8n.example/webhook/x", Format: "n8n"}, "POST the n8n body to https://n8n.example/webhook/x"},
		{onboardiq.PlaybookAction{Type: "webhook", Format: "n8n"}, "webhook: no URL set (would POST the n8n body)"},
		{onboardiq.PlaybookAction{Type: "email", To: []string{"csm", "contacts"}, Subject: "Your renewal"}, `email the CSM (Sam Carter) and the customer's contacts: "Your renewal"`},
		{onboardiq.PlaybookAction{Type: "email", To: []string{"contacts"}, EmailTemplate: "reengagement"}, `email the customer's contacts: the "reengagement" email template`},
		{onboardiq.PlaybookAction{Type: "email", Subject: "s"}, "email: no recipient set"},
		{onboardiq.PlaybookAction{Type: "notify", To: []string{"csm"}}, "notify the CSM (Sam Carter)"},
		{onboardiq.PlaybookAction{Type: "notify", To: []string{"role:admin", "user:"}, Subject: "Look"}, `notify every admin and a user not set yet: "Look"`},
		{onboardiq.PlaybookAction{Type: "create_task", Task: "Call the champion", DueDays: 2}, `create task "Call the champion" in Globex onboarding, due in 2 days, assigned to the CSM (Sam Carter)`},
		{onboardiq.PlaybookAction{Type: "create_task", Task: "Call", DueDays: 1, Assignee: "user:x@y.example"}, `create task "Call" in Globex onboarding, due in 1 day, assigned to user:x@y.example`},
		{onboardiq.PlaybookAction{Type: "start_project", Template: "Standard onboarding"}, `start a project from template "Standard onboarding"`},
		{onboardiq.PlaybookAction{Type: "set_stage", Stage: "at_risk"}, "move the customer to stage at_risk"},
		{onboardiq.PlaybookAction{Type: "set_field", Field: "cf.plan", Value: "Pro"}, `set cf.plan to "Pro"`},
		{onboardiq.PlaybookAction{Type: "set_field", Field: "cf.seats", Value: 40}, `set cf.seats to 40`},
		{onboardiq.PlaybookAction{Type: "escalate", Ladder: []onboardiq.EscalationStep{{To: "csm"}, {To: "user:x@y.example", AfterMinutes: 240}}},
			"escalate: the CSM (Sam Carter) now, then user:x@y.example after 240 min"},
		{onboardiq.PlaybookAction{Type: "escalate", Ladder: []onboardiq.EscalationStep{{To: "csm"}, {To: "user:", AfterMinutes: 240}}},
			"escalate: the CSM (Sam Carter) now, then a user not set yet after 240 min (a step needs a user set)"},
		{onboardiq.PlaybookAction{Type: "survey", Survey: "csat"}, "ask the contacts for a CSAT answer"},
	}
	for _, tc := range cases {
		if got := playbook.Describe(tc.a, f); got != tc.want {
			t.Errorf("Describe(%s) =\n%s\nwant\n%s", tc.a.Type, got, tc.want)
		}
	}
	if got := playbook.Describe(onboardiq.PlaybookAction{Type: "create_task", Task: "Call"}, &playbook.Facts{}); !strings.Contains(got, "the customer's active project") || !strings.Contains(got, "assigned to the CSM") {
		t.Errorf("Describe without project = %q", got)
	}
}
