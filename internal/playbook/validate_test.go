package playbook_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/playbook"
)

// valid is a playbook that passes validation; each case breaks one thing.
func valid() onboardiq.Playbook {
	return onboardiq.Playbook{
		Name:    "Renewal ahead",
		Subject: "customer",
		Trigger: onboardiq.PlaybookTrigger{Event: "customer.health_level_changed"},
		Conditions: onboardiq.PlaybookConditions{Rules: []onboardiq.PlaybookCondition{
			{Field: "customer.health.score", Op: "lt", Value: 40},
		}},
		Actions: []onboardiq.PlaybookAction{
			{Type: "notify", To: []string{"csm"}, Subject: "{{customer_name}} is at risk"},
			{Type: "email", To: []string{"contacts", "user:vp@globex.example"}, Subject: "Hello", Body: "Hi"},
		},
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	k := playbook.Known{Stages: []string{"onboarding", "at_risk"}, Templates: []string{"Standard onboarding"}, EmailKinds: []string{"reengagement"}}
	act := func(a onboardiq.PlaybookAction) func(*onboardiq.Playbook) {
		return func(p *onboardiq.Playbook) { p.Actions[1] = a }
	}
	rule := func(r onboardiq.PlaybookCondition) func(*onboardiq.Playbook) {
		return func(p *onboardiq.Playbook) { p.Conditions.Rules = []onboardiq.PlaybookCondition{r} }
	}
	sched := func(tr onboardiq.PlaybookTrigger) func(*onboardiq.Playbook) {
		return func(p *onboardiq.Playbook) { p.Trigger = tr }
	}
	long := make([]byte, 201)
	for i := range long {
		long[i] = 'a'
	}
	cases := []struct {
		name  string
		edit  func(*onboardiq.Playbook)
		field string // "" : valid
	}{
		{"valid", func(*onboardiq.Playbook) {}, ""},
		{"no name", func(p *onboardiq.Playbook) { p.Name = "  " }, "name"},
		{"long name", func(p *onboardiq.Playbook) { p.Name = string(long) }, "name"},
		{"bad subject", func(p *onboardiq.Playbook) { p.Subject = "task" }, "subject"},
		{"no trigger", sched(onboardiq.PlaybookTrigger{}), "trigger"},
		{"both triggers", sched(onboardiq.PlaybookTrigger{Event: "task.blocked", Schedule: "project_at_risk"}), "trigger"},
		{"unknown event", sched(onboardiq.PlaybookTrigger{Event: "customer.exploded"}), "trigger.event"},
		{"project subject, customer event", func(p *onboardiq.Playbook) { p.Subject = "project" }, "trigger.event"},
		{"project subject, task event", func(p *onboardiq.Playbook) { p.Subject = "project"; p.Trigger.Event = "task.blocked" }, ""},
		{"project subject, survey event", func(p *onboardiq.Playbook) { p.Subject = "project"; p.Trigger.Event = "survey.answered" }, ""},
		{"customer subject, project event", sched(onboardiq.PlaybookTrigger{Event: "project.overdue"}), ""},
		{"unknown schedule", sched(onboardiq.PlaybookTrigger{Schedule: "hourly"}), "trigger.schedule"},
		{"renewal without days", sched(onboardiq.PlaybookTrigger{Schedule: "renewal_in_days"}), "trigger.days"},
		{"renewal", sched(onboardiq.PlaybookTrigger{Schedule: "renewal_in_days", Days: 90}), ""},
		{"no activity without days", sched(onboardiq.PlaybookTrigger{Schedule: "no_activity_days"}), "trigger.days"},
		{"task blocked without days", sched(onboardiq.PlaybookTrigger{Schedule: "task_blocked_days"}), "trigger.days"},
		{"usage without days", sched(onboardiq.PlaybookTrigger{Schedule: "usage_change", Percent: -30}), "trigger.days"},
		{"usage without percent", sched(onboardiq.PlaybookTrigger{Schedule: "usage_change", Days: 7}), "trigger.percent"},
		{"usage", sched(onboardiq.PlaybookTrigger{Schedule: "usage_change", Days: 7, Percent: -30}), ""},
		{"health below without score", sched(onboardiq.PlaybookTrigger{Schedule: "health_below", Days: 3}), "trigger.score"},
		{"health below score 101", sched(onboardiq.PlaybookTrigger{Schedule: "health_below", Score: 101}), "trigger.score"},
		{"health below at once", sched(onboardiq.PlaybookTrigger{Schedule: "health_below", Score: 40}), ""},
		{"negative days", sched(onboardiq.PlaybookTrigger{Schedule: "health_below", Score: 40, Days: -1}), "trigger.days"},
		{"at risk for a customer", sched(onboardiq.PlaybookTrigger{Schedule: "project_at_risk"}), "subject"},
		{"at risk for a project", func(p *onboardiq.Playbook) {
			p.Subject = "project"
			p.Trigger = onboardiq.PlaybookTrigger{Schedule: "project_at_risk"}
		}, ""},
		{"bad match", func(p *onboardiq.Playbook) { p.Conditions.Match = "most" }, "conditions.match"},
		{"unknown field", rule(onboardiq.PlaybookCondition{Field: "customer.mood", Op: "eq", Value: "x"}), "conditions.rules[0].field"},
		{"bad custom key", rule(onboardiq.PlaybookCondition{Field: "customer.cf.Bad Key", Op: "eq", Value: "x"}), "conditions.rules[0].field"},
		{"bare prefix", rule(onboardiq.PlaybookCondition{Field: "event.", Op: "eq", Value: "x"}), "conditions.rules[0].field"},
		{"custom key", rule(onboardiq.PlaybookCondition{Field: "customer.cf.plan", Op: "eq", Value: "Pro"}), ""},
		{"event key", rule(onboardiq.PlaybookCondition{Field: "event.to_stage", Op: "eq", Value: "at_risk"}), ""},
		{"unknown op", rule(onboardiq.PlaybookCondition{Field: "customer.arr", Op: "between", Value: 1}), "conditions.rules[0].op"},
		{"in without list", rule(onboardiq.PlaybookCondition{Field: "customer.stage", Op: "in", Value: "at_risk"}), "conditions.rules[0].value"},
		{"in empty list", rule(onboardiq.PlaybookCondition{Field: "customer.stage", Op: "in", Value: []any{}}), "conditions.rules[0].value"},
		{"in list", rule(onboardiq.PlaybookCondition{Field: "customer.stage", Op: "in", Value: []string{"at_risk"}}), ""},
		{"is_set with value", rule(onboardiq.PlaybookCondition{Field: "customer.arr", Op: "is_set", Value: 1}), "conditions.rules[0].value"},
		{"eq without value", rule(onboardiq.PlaybookCondition{Field: "customer.arr", Op: "eq"}), "conditions.rules[0].value"},
		{"eq with list", rule(onboardiq.PlaybookCondition{Field: "customer.arr", Op: "eq", Value: []any{1}}), "conditions.rules[0].value"},
		{"second rule reported", func(p *onboardiq.Playbook) {
			p.Conditions.Rules = append(p.Conditions.Rules, onboardiq.PlaybookCondition{Field: "x", Op: "eq", Value: 1})
		}, "conditions.rules[1].field"},
		{"21 rules", func(p *onboardiq.Playbook) {
			for range 20 {
				p.Conditions.Rules = append(p.Conditions.Rules, p.Conditions.Rules[0])
			}
		}, "conditions.rules"},
		{"no actions", func(p *onboardiq.Playbook) { p.Actions = nil }, "actions"},
		{"21 actions", func(p *onboardiq.Playbook) {
			for range 19 {
				p.Actions = append(p.Actions, p.Actions[0])
			}
		}, "actions"},
		{"unknown type", act(onboardiq.PlaybookAction{Type: "sms"}), "actions[1].type"},
		{"webhook needs setup", act(onboardiq.PlaybookAction{Type: "webhook"}), ""},
		{"webhook relative url", act(onboardiq.PlaybookAction{Type: "webhook", URL: "/hook"}), "actions[1].url"},
		{"webhook ftp url", act(onboardiq.PlaybookAction{Type: "webhook", URL: "ftp://x.example/"}), "actions[1].url"},
		{"webhook", act(onboardiq.PlaybookAction{Type: "webhook", URL: "https://n8n.example/webhook/x", Format: "slack"}), ""},
		{"webhook bad format", act(onboardiq.PlaybookAction{Type: "webhook", URL: "https://n8n.example/", Format: "xml"}), "actions[1].format"},
		{"email bad to", act(onboardiq.PlaybookAction{Type: "email", To: []string{"csm", "boss"}, Subject: "s", Body: "b"}), "actions[1].to[1]"},
		{"email bad role", act(onboardiq.PlaybookAction{Type: "email", To: []string{"role:owner"}, Subject: "s", Body: "b"}), "actions[1].to[0]"},
		{"email bad user", act(onboardiq.PlaybookAction{Type: "email", To: []string{"user:nobody"}, Subject: "s", Body: "b"}), "actions[1].to[0]"},
		{"email user to set", act(onboardiq.PlaybookAction{Type: "email", To: []string{"user:"}, Subject: "s", Body: "b"}), ""},
		{"email no subject", act(onboardiq.PlaybookAction{Type: "email", To: []string{"csm"}, Body: "b"}), "actions[1].subject"},
		{"email no body", act(onboardiq.PlaybookAction{Type: "email", To: []string{"csm"}, Subject: "s"}), "actions[1].body"},
		{"email template", act(onboardiq.PlaybookAction{Type: "email", To: []string{"contacts"}, EmailTemplate: "reengagement"}), ""},
		{"email unknown template", act(onboardiq.PlaybookAction{Type: "email", To: []string{"contacts"}, EmailTemplate: "welcome"}), "actions[1].email_template"},
		{"notify contacts", act(onboardiq.PlaybookAction{Type: "notify", To: []string{"contacts"}, Subject: "s"}), "actions[1].to[0]"},
		{"notify nothing to say", act(onboardiq.PlaybookAction{Type: "notify", To: []string{"csm"}}), "actions[1].subject"},
		{"notify role", act(onboardiq.PlaybookAction{Type: "notify", To: []string{"role:sales_leader"}, Body: "b"}), ""},
		{"create_task", act(onboardiq.PlaybookAction{Type: "create_task", Task: "Call", Assignee: "contact:ann@globex.example", DueDays: 2}), ""},
		{"create_task no task", act(onboardiq.PlaybookAction{Type: "create_task"}), "actions[1].task"},
		{"create_task bad assignee", act(onboardiq.PlaybookAction{Type: "create_task", Task: "Call", Assignee: "sam"}), "actions[1].assignee"},
		{"create_task negative due", act(onboardiq.PlaybookAction{Type: "create_task", Task: "Call", DueDays: -1}), "actions[1].due_days"},
		{"start_project", act(onboardiq.PlaybookAction{Type: "start_project", Template: "Standard onboarding"}), ""},
		{"start_project none", act(onboardiq.PlaybookAction{Type: "start_project"}), "actions[1].template"},
		{"start_project unknown", act(onboardiq.PlaybookAction{Type: "start_project", Template: "Other"}), "actions[1].template"},
		{"set_stage", act(onboardiq.PlaybookAction{Type: "set_stage", Stage: "at_risk"}), ""},
		{"set_stage none", act(onboardiq.PlaybookAction{Type: "set_stage"}), "actions[1].stage"},
		{"set_stage unknown", act(onboardiq.PlaybookAction{Type: "set_stage", Stage: "churned"}), "actions[1].stage"},
		{"set_field", act(onboardiq.PlaybookAction{Type: "set_field", Field: "cf.plan", Value: "Pro"}), ""},
		{"set_field bad field", act(onboardiq.PlaybookAction{Type: "set_field", Field: "name", Value: "x"}), "actions[1].field"},
		{"set_field no value", act(onboardiq.PlaybookAction{Type: "set_field", Field: "segment"}), "actions[1].value"},
		{"escalate no ladder", act(onboardiq.PlaybookAction{Type: "escalate"}), "actions[1].ladder"},
		{"escalate contacts", act(onboardiq.PlaybookAction{Type: "escalate", Ladder: []onboardiq.EscalationStep{{To: "csm"}, {To: "contacts"}}}), "actions[1].ladder[1].to"},
		{"escalate bad first", act(onboardiq.PlaybookAction{Type: "escalate", Ladder: []onboardiq.EscalationStep{{To: "vp"}}}), "actions[1].ladder[0].to"},
		{"escalate negative delay", act(onboardiq.PlaybookAction{Type: "escalate", Ladder: []onboardiq.EscalationStep{{To: "csm", AfterMinutes: -1}}}), "actions[1].ladder[0].after_minutes"},
		{"survey", act(onboardiq.PlaybookAction{Type: "survey", Survey: "nps"}), ""},
		{"survey bad", act(onboardiq.PlaybookAction{Type: "survey", Survey: "ces"}), "actions[1].survey"},
		{"negative cooldown", func(p *onboardiq.Playbook) { p.CooldownMinutes = -1 }, "cooldown_minutes"},
		{"cooldown over a year", func(p *onboardiq.Playbook) { p.CooldownMinutes = 525601 }, "cooldown_minutes"},
		{"cooldown a year", func(p *onboardiq.Playbook) { p.CooldownMinutes = 525600 }, ""},
		{"negative cap", func(p *onboardiq.Playbook) { p.MaxRunsPerDay = -1 }, "max_runs_per_day"},
		{"cap too high", func(p *onboardiq.Playbook) { p.MaxRunsPerDay = 100001 }, "max_runs_per_day"},
		{"first problem only", func(p *onboardiq.Playbook) { p.Name = ""; p.CooldownMinutes = -1 }, "name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := valid()
			tc.edit(&p)
			playbook.Normalise(&p)
			err := playbook.Validate(&p, k)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var e *onboardiq.Error
			if !errors.As(err, &e) || e.Code != onboardiq.EINVALID || e.Field != tc.field {
				t.Fatalf("Validate = %v, want invalid %s", err, tc.field)
			}
		})
	}
}

func TestNormalise(t *testing.T) {
	t.Parallel()
	p := onboardiq.Playbook{
		Name:    "  Padded  ",
		Trigger: onboardiq.PlaybookTrigger{Event: " task.blocked "},
		Conditions: onboardiq.PlaybookConditions{Rules: []onboardiq.PlaybookCondition{
			{Field: "customer.arr", Op: "gt", Value: 40},
			{Field: "customer.arr", Op: "lt", Value: int64(50)},
			{Field: "customer.arr", Op: "lt", Value: float32(2.5)},
			{Field: "customer.arr", Op: "lt", Value: json.Number("7")},
			{Field: "customer.arr", Op: "lt", Value: uint(3)},
			{Field: "customer.stage", Op: "in", Value: []string{"a", "b"}},
			{Field: "project.progress", Op: "in", Value: []int{1, 2}},
			{Field: "project.progress", Op: "in", Value: []any{1, "x", true}},
			{Field: "customer.arr", Op: "is_set"},
			{Field: "event.kind", Op: "eq", Value: onboardiq.EventTaskBlocked},
			{Field: "project.progress", Op: "in", Value: [2]int8{1, 2}},
		}},
		Actions: []onboardiq.PlaybookAction{
			{Type: "webhook", URL: " https://n8n.example/x "},
			{Type: "notify", To: []string{" csm ", ""}},
			{Type: "notify", To: []string{}},
			{Type: "set_field", Field: "cf.seats", Value: 25},
		},
	}
	playbook.Normalise(&p)
	want := onboardiq.Playbook{
		Name:    "Padded",
		Subject: "customer",
		Trigger: onboardiq.PlaybookTrigger{Event: "task.blocked"},
		Conditions: onboardiq.PlaybookConditions{Match: "all", Rules: []onboardiq.PlaybookCondition{
			{Field: "customer.arr", Op: "gt", Value: 40.0},
			{Field: "customer.arr", Op: "lt", Value: 50.0},
			{Field: "customer.arr", Op: "lt", Value: 2.5},
			{Field: "customer.arr", Op: "lt", Value: 7.0},
			{Field: "customer.arr", Op: "lt", Value: 3.0},
			{Field: "customer.stage", Op: "in", Value: []any{"a", "b"}},
			{Field: "project.progress", Op: "in", Value: []any{1.0, 2.0}},
			{Field: "project.progress", Op: "in", Value: []any{1.0, "x", true}},
			{Field: "customer.arr", Op: "is_set"},
			{Field: "event.kind", Op: "eq", Value: "task.blocked"},
			{Field: "project.progress", Op: "in", Value: []any{1.0, 2.0}},
		}},
		Actions: []onboardiq.PlaybookAction{
			{Type: "webhook", URL: "https://n8n.example/x", Format: "standard"},
			{Type: "notify", To: []string{"csm"}},
			{Type: "notify"},
			{Type: "set_field", Field: "cf.seats", Value: 25.0},
		},
	}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("Normalise (-want +got):\n%s", d)
	}
	var empty onboardiq.Playbook
	playbook.Normalise(&empty)
	if empty.Conditions.Rules == nil || empty.Actions == nil || empty.Subject != "customer" || empty.Conditions.Match != "all" {
		t.Errorf("Normalise of nothing = %+v", empty)
	}
	project := onboardiq.Playbook{Subject: "project"}
	playbook.Normalise(&project)
	if project.Subject != "project" {
		t.Errorf("Normalise changed subject project to %q", project.Subject)
	}
}

func TestNeedsSetup(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		actions []onboardiq.PlaybookAction
		want    []string
	}{
		{"nothing", []onboardiq.PlaybookAction{{Type: "webhook", URL: "https://x.example/"}, {Type: "notify", To: []string{"csm"}}}, nil},
		{"webhook url", []onboardiq.PlaybookAction{{Type: "survey", Survey: "csat"}, {Type: "webhook"}}, []string{"actions[1].url"}},
		{"email without to", []onboardiq.PlaybookAction{{Type: "email", Subject: "s", Body: "b"}}, []string{"actions[0].to"}},
		{"email template without to", []onboardiq.PlaybookAction{{Type: "email", EmailTemplate: "reengagement"}}, nil},
		{"notify without to", []onboardiq.PlaybookAction{{Type: "notify", Subject: "s"}}, []string{"actions[0].to"}},
		{"user to set", []onboardiq.PlaybookAction{{Type: "notify", To: []string{"csm", "user:"}, Subject: "s"}}, []string{"actions[0].to[1]"}},
		{"ladder", []onboardiq.PlaybookAction{{Type: "escalate", Ladder: []onboardiq.EscalationStep{{To: "csm"}, {To: "user:"}, {To: "user:a@b.example"}, {To: "user:"}}}},
			[]string{"actions[0].ladder[1].to", "actions[0].ladder[3].to"}},
	}
	for _, tc := range cases {
		p := onboardiq.Playbook{Actions: tc.actions}
		playbook.Normalise(&p)
		got := playbook.NeedsSetup(&p)
		if !cmp.Equal(got, tc.want) {
			t.Errorf("%s: NeedsSetup = %#v, want %#v", tc.name, got, tc.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	ds := playbook.Defaults()
	type summary struct {
		Name, Subject, Event, Schedule string
		Days, Cooldown                 int
		Actions                        []string
		NeedsSetup                     []string
	}
	var got []summary
	for i := range ds {
		p := ds[i]
		if p.Enabled {
			t.Errorf("%s is enabled", p.Name)
		}
		if p.Description == "" {
			t.Errorf("%s has no description", p.Name)
		}
		if err := playbook.Validate(&p, playbook.Known{}); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		var types []string
		for _, a := range p.Actions {
			types = append(types, a.Type)
		}
		got = append(got, summary{p.Name, p.Subject, p.Trigger.Event, p.Trigger.Schedule, p.Trigger.Days, p.CooldownMinutes, types, playbook.NeedsSetup(&p)})
	}
	want := []summary{
		{"Health below 40", "customer", "customer.health_level_changed", "", 0, 60, []string{"webhook"}, []string{"actions[0].url"}},
		{"Moved to At risk", "customer", "customer.stage_changed", "", 0, 60, []string{"webhook"}, []string{"actions[0].url"}},
		{"Project overdue: escalate", "project", "project.overdue", "", 0, 0, []string{"escalate"}, []string{"actions[0].ladder[1].to", "actions[0].ladder[2].to"}},
		{"Task blocked for 3 days", "project", "", "task_blocked_days", 3, 0, []string{"notify"}, nil},
		{"Go-live reached: CSAT survey", "customer", "milestone.reached", "", 0, 0, []string{"survey"}, nil},
		{"No activity for 7 days: nudge", "customer", "", "no_activity_days", 7, 10080, []string{"email"}, nil},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Defaults (-want +got):\n%s", d)
	}
	// The seed's examples: health below 40 and the At risk stage, to n8n.
	f := globex()
	for i, field := range []string{"customer.health.score", "customer.stage"} {
		r := ds[i].Conditions.Rules
		if len(r) != 1 || r[0].Field != field || ds[i].Actions[0].Format != "n8n" {
			t.Errorf("%s: conditions %+v, action %+v", ds[i].Name, r, ds[i].Actions[0])
		}
		if ok, _ := playbook.Evaluate(ds[i].Conditions, f); !ok {
			t.Errorf("%s does not hold for a critical customer at risk", ds[i].Name)
		}
	}
	if l := ds[2].Actions[0].Ladder; len(l) != 3 || l[0].To != "csm" || l[1].AfterMinutes != 240 || l[2].AfterMinutes != 240 {
		t.Errorf("escalation ladder %+v", l)
	}
	if ok, _ := playbook.Evaluate(ds[4].Conditions, f); !ok {
		t.Errorf("go-live survey does not hold for a go_live milestone")
	}
	if a := ds[5].Actions[0]; a.EmailTemplate != "reengagement" || !cmp.Equal(a.To, []string{"contacts"}) {
		t.Errorf("nudge action %+v", a)
	}
	// Each call is a fresh copy.
	ds[0].Actions[0].URL = "https://changed.example/"
	if playbook.Defaults()[0].Actions[0].URL != "" {
		t.Error("Defaults shares its slices between calls")
	}
}
