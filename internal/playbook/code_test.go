package playbook_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/playbook"
)

// everything is the defaults plus a playbook with every action type and
// every op, values of every form, and a multi-line body.
func everything() []onboardiq.Playbook {
	ps := playbook.Defaults()
	ps[0].Actions[0].URL = "https://n8n.example/webhook/health"
	ps = append(ps, onboardiq.Playbook{
		ID:            uuid.New(),
		Name:          "Everything",
		Enabled:       true,
		Subject:       "project",
		Trigger:       onboardiq.PlaybookTrigger{Event: "task.blocked"},
		SigningSecret: "whsec_c2VjcmV0",
		NeedsSetup:    []string{"x"},
		Conditions: onboardiq.PlaybookConditions{Match: "any", Rules: []onboardiq.PlaybookCondition{
			{Field: "customer.health.score", Op: "eq", Value: 40},
			{Field: "customer.arr", Op: "ne", Value: 40.5},
			{Field: "customer.arr", Op: "gt", Value: int64(1000)},
			{Field: "customer.renewal_date", Op: "gte", Value: "2027-01-01"},
			{Field: "customer.renewal_days", Op: "lt", Value: -3},
			{Field: "project.progress", Op: "lte", Value: "40"},
			{Field: "customer.stage", Op: "in", Value: []string{"at_risk", "onboarding"}},
			{Field: "project.progress", Op: "not_in", Value: []any{10, 20.5, "30", true}},
			{Field: "customer.name", Op: "contains", Value: "Glo: bex #1"},
			{Field: "task.visible_to_customer", Op: "eq", Value: false},
			{Field: "customer.cf.plan", Op: "is_set"},
			{Field: "event.key", Op: "is_not_set"},
		}},
		Actions: []onboardiq.PlaybookAction{
			{Type: "webhook", URL: "https://hooks.example/slack", Format: "slack"},
			{Type: "email", To: []string{"csm", "role:sales_leader", "user:vp@globex.example"}, Subject: "{{customer_name}}: blocked",
				Body: "Hello,\n\n  {{task_title}} is blocked:\n- {{evidence}}\n\nThanks"},
			{Type: "notify", To: []string{"csm"}, Body: "yes: no"},
			{Type: "create_task", Task: "Call the champion", Assignee: "contact:ann@globex.example", DueDays: 2, VisibleToCustomer: true},
			{Type: "start_project", Template: "Standard onboarding"},
			{Type: "set_stage", Stage: "at_risk"},
			{Type: "set_field", Field: "cf.seats", Value: 40},
			{Type: "set_field", Field: "segment", Value: "null"},
			{Type: "escalate", Subject: "Blocked", Ladder: []onboardiq.EscalationStep{{To: "csm"}, {To: "role:admin", AfterMinutes: 60}}},
			{Type: "survey", Survey: "nps"},
		},
		CooldownMinutes: 30,
		MaxRunsPerDay:   5,
	}, onboardiq.Playbook{
		Name:    "Usage fell",
		Trigger: onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleUsageChange, Days: 7, Percent: -30.5},
		Actions: []onboardiq.PlaybookAction{{Type: "webhook"}},
	})
	return ps
}

func TestCodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, format := range []string{playbook.YAML, playbook.JSON} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			ps := everything()
			first, err := playbook.Marshal(ps, format)
			if err != nil {
				t.Fatal(err)
			}
			back, err := playbook.Unmarshal(first, "")
			if err != nil {
				t.Fatalf("%v\n%s", err, first)
			}
			second, err := playbook.Marshal(back, format)
			if err != nil {
				t.Fatal(err)
			}
			if string(first) != string(second) {
				t.Errorf("export → import → export differs:\n%s", cmp.Diff(string(first), string(second)))
			}
			// What came back is what went in, normalised, without the
			// store's fields.
			want := everything()
			for i := range want {
				playbook.Normalise(&want[i])
				want[i].ID, want[i].SigningSecret, want[i].NeedsSetup = uuid.Nil, "", nil
			}
			if d := cmp.Diff(want, back, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("imported (-want +got):\n%s", d)
			}
			s := string(first)
			for _, secret := range []string{"whsec_", ps[6].ID.String(), "needs_setup", "created_at", `"id"`, "id:"} {
				if strings.Contains(s, secret) {
					t.Errorf("the file carries %q", secret)
				}
			}
			if !strings.HasSuffix(s, "\n") || !strings.Contains(s, "version: 1") && !strings.Contains(s, `"version": 1`) {
				t.Errorf("file:\n%s", s)
			}
			if format == playbook.JSON && !strings.Contains(s, "\n  \"playbooks\": [\n    {\n      \"name\"") ||
				format == playbook.YAML && !strings.Contains(s, "playbooks:\n  - name: Health below 40\n    description:") {
				t.Errorf("not indented by 2 spaces:\n%s", s[:min(200, len(s))])
			}
			if !strings.Contains(s, "40") || strings.Contains(s, "40.0") || strings.Contains(s, "4e+01") {
				t.Errorf("40 is not written as 40")
			}
		})
	}
}

func TestUnmarshalValues(t *testing.T) {
	t.Parallel()
	const doc = `version: 1
playbooks:
  - name: Dates stay text
    trigger: {event: customer.updated}
    conditions:
      rules:
        - {field: customer.renewal_date, op: lt, value: 2027-01-01}
        - {field: customer.arr, op: gte, value: 40}
        - {field: customer.arr, op: in, value: [1, 2.5, "3"]}
    actions: [{type: set_field, field: cf.seats, value: 12}]
`
	ps, err := playbook.Unmarshal([]byte(doc), playbook.YAML)
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for _, r := range ps[0].Conditions.Rules {
		got = append(got, r.Value)
	}
	got = append(got, ps[0].Actions[0].Value)
	want := []any{"2027-01-01", 40.0, []any{1.0, 2.5, "3"}, 12.0}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("values (-want +got):\n%s", d)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	t.Parallel()
	const good = `version: 1
playbooks:
  - name: A
    trigger: {event: task.blocked}
    actions: [{type: notify, to: [csm], subject: hi}]
  - name: B
    trigger: {event: task.blocked}
    actions: [{type: notify, to: [csm], subject: hi}]
`
	cases := []struct {
		name, format, data, field string
	}{
		{"good yaml", "", good, ""},
		{"good json", "", `{"version": 1, "playbooks": [{"name": "A", "trigger": {"event": "task.blocked"}, "actions": [{"type": "survey", "survey": "csat"}]}]}`, ""},
		{"json array", "", `[{"name": "A"}]`, "file"},
		{"not yaml", "", "version: [1\n", "file"},
		{"not json", "json", "{", "file"},
		{"unknown format", "toml", good, "format"},
		{"no version", "", "playbooks: []\n", "version"},
		{"empty", "", " \n", "file"},
		{"empty json", "json", "", "file"},
		{"version 2", "", "version: 2\nplaybooks: []\n", "version"},
		{"unknown top key", "", "version: 1\nplaybook: []\n", "playbook"},
		{"unknown playbook key", "", strings.Replace(good, "  - name: B\n", "  - name: B\n    colour: red\n", 1), "playbooks[1].colour"},
		{"unknown action key json", "", `{"version": 1, "playbooks": [{"name": "A", "trigger": {"event": "task.blocked"}, "actions": [{"type": "survey", "survey": "csat", "urll": "x"}]}]}`, "playbooks[0].actions[0].urll"},
		{"store field", "", strings.Replace(good, "  - name: B\n", "  - name: B\n    id: 4f9c0b1e-0000-4000-8000-000000000000\n", 1), "playbooks[1].id"},
		{"unknown ladder key", "", "version: 1\nplaybooks:\n  - name: A\n    trigger: {event: task.blocked}\n    actions: [{type: escalate, ladder: [{to: csm, after: 5}]}]\n", "playbooks[0].actions[0].ladder[0].after"},
		{"wrong type", "", strings.Replace(good, "  - name: B\n", "  - name: B\n    cooldown_minutes: soon\n", 1), "file"},
		{"infinite value", "", "version: 1\nplaybooks:\n  - name: A\n    trigger: {event: task.blocked}\n    conditions: {rules: [{field: customer.arr, op: gt, value: .inf}]}\n    actions: [{type: survey, survey: csat}]\n", "playbooks[0].conditions.rules[0].value"},
		{"NaN percent", "", "version: 1\nplaybooks:\n  - name: A\n    trigger: {schedule: usage_change, days: 7, percent: .nan}\n    actions: [{type: survey, survey: csat}]\n", "playbooks[0].trigger.percent"},
		{"duplicate name", "", strings.Replace(good, "name: B", "name: A", 1), "playbooks[1].name"},
		{"bad event", "", strings.Replace(good, "{event: task.blocked}\n    actions: [{type: notify, to: [csm], subject: hi}]\n", "{event: task.exploded}\n    actions: [{type: notify, to: [csm], subject: hi}]\n", 1) + "", "playbooks[0].trigger.event"},
		{"bad recipient", "", strings.Replace(good, "to: [csm], subject: hi}]\n", "to: [csm, nobody], subject: hi}]\n", 2), "playbooks[0].actions[0].to[1]"},
		{"bad field", "", "version: 1\nplaybooks:\n  - name: A\n    trigger: {event: task.blocked}\n    conditions: {rules: [{field: customer.mood, op: eq, value: x}]}\n    actions: [{type: survey, survey: csat}]\n", "playbooks[0].conditions.rules[0].field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ps, err := playbook.Unmarshal([]byte(tc.data), tc.format)
			if tc.field == "" {
				if err != nil || len(ps) == 0 {
					t.Fatalf("Unmarshal = %v, %v", ps, err)
				}
				for _, p := range ps {
					if p.Subject != "customer" || p.Conditions.Match != "all" || p.Conditions.Rules == nil {
						t.Errorf("not normalised: %+v", p)
					}
				}
				return
			}
			var e *onboardiq.Error
			if !errors.As(err, &e) || e.Code != onboardiq.EINVALID || e.Field != tc.field {
				t.Fatalf("Unmarshal = %v, want invalid %s", err, tc.field)
			}
			if strings.HasPrefix(tc.name, "unknown") && tc.name != "unknown format" && !strings.Contains(e.Message, "unknown key") {
				t.Errorf("message %q does not say the key is unknown", e.Message)
			}
		})
	}
}

// FuzzUnmarshal: no input panics, and whatever imports exports to a file
// that imports to the same playbooks and exports to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	for _, format := range []string{playbook.YAML, playbook.JSON} {
		b, err := playbook.Marshal(everything(), format)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("version: 1\nplaybooks:\n  - name: x\n    trigger: {event: task.blocked}\n    actions: [{type: set_field, field: cf.a, value: 1e300}]\n"))
	f.Add([]byte(`{"version":1,"playbooks":[{"name":" y ","trigger":{"schedule":"health_below","score":5},"conditions":{"rules":[{"field":"event.a","op":"in","value":[1,"2",false]}]},"actions":[{"type":"notify","to":["user:"],"body":"\u2028"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := playbook.Unmarshal(data, "")
		if err != nil {
			return
		}
		for _, format := range []string{playbook.YAML, playbook.JSON} {
			first, err := playbook.Marshal(ps, format)
			if err != nil {
				t.Fatal(err)
			}
			back, err := playbook.Unmarshal(first, format)
			if err != nil {
				t.Fatalf("re-import: %v\n%s", err, first)
			}
			second, err := playbook.Marshal(back, format)
			if err != nil {
				t.Fatal(err)
			}
			if string(first) != string(second) {
				t.Fatalf("export differs:\n%s", cmp.Diff(string(first), string(second)))
			}
		}
	})
}
