package journey_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/journey"
)

func TestValidateStages(t *testing.T) {
	t.Parallel()
	d := journey.DefaultStages
	with := func(f func([]journey.Stage) []journey.Stage) []journey.Stage { return f(d()) }
	cases := []struct {
		name   string
		stages []journey.Stage
		field  string
	}{
		{"defaults", d(), ""},
		{"one stage", []journey.Stage{{Key: "live", Name: "Live"}}, ""},
		{"none", nil, "stages"},
		{"duplicate key", with(func(s []journey.Stage) []journey.Stage { s[1].Key = s[0].Key; return s }), "stages.key"},
		{"bad key", with(func(s []journey.Stage) []journey.Stage { s[1].Key = "Value Realisation"; return s }), "stages.key"},
		{"empty key", with(func(s []journey.Stage) []journey.Stage { s[1].Key = ""; return s }), "stages.key"},
		{"duplicate name", with(func(s []journey.Stage) []journey.Stage { s[2].Name = s[0].Name; return s }), "stages.name"},
		{"empty name", with(func(s []journey.Stage) []journey.Stage { s[2].Name = ""; return s }), "stages.name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := journey.ValidateStages(tc.stages)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *onboardiq.Error
			if !errors.As(err, &e) || e.Field != tc.field {
				t.Fatalf("ValidateStages = %v, want invalid %s", err, tc.field)
			}
		})
	}
}

func TestValidateRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		rules []journey.Rule
		field string
	}{
		{"defaults", journey.DefaultRules(), ""},
		{"none", nil, ""},
		{"unknown trigger", []journey.Rule{{On: "task.done", To: "adoption"}}, "rules.on"},
		{"unknown stage", []journey.Rule{{On: "project.completed", To: "live"}}, "rules.to"},
		{"unknown from", []journey.Rule{{On: "project.completed", From: "trial", To: "adoption"}}, "rules.from"},
		{"level on a project trigger", []journey.Rule{{On: "project.completed", Level: "critical", To: "adoption"}}, "rules.level"},
		{"health rule without level", []journey.Rule{{On: "health.level", To: "at_risk"}}, "rules.level"},
	}
	for _, tc := range cases {
		err := journey.ValidateRules(tc.rules, journey.DefaultStages())
		var e *onboardiq.Error
		if tc.field == "" && err != nil || tc.field != "" && (!errors.As(err, &e) || e.Field != tc.field) {
			t.Errorf("%s: ValidateRules = %v, want field %q", tc.name, err, tc.field)
		}
	}
}

func TestNext(t *testing.T) {
	t.Parallel()
	rules := journey.DefaultRules()
	stages := journey.DefaultStages()
	cases := []struct {
		name    string
		current string
		trigger journey.Trigger
		to      string
		ok      bool
	}{
		{"project completed → adoption", "onboarding", journey.Trigger{On: "project.completed"}, "adoption", true},
		{"critical → at risk", "value_realisation", journey.Trigger{On: "health.level", Level: "critical"}, "at_risk", true},
		{"moderate moves nothing", "value_realisation", journey.Trigger{On: "health.level", Level: "moderate"}, "", false},
		{"already there: no move", "at_risk", journey.Trigger{On: "health.level", Level: "critical"}, "", false},
		{"healthy again from at risk → adoption", "at_risk", journey.Trigger{On: "health.level", Level: "healthy"}, "adoption", true},
		{"healthy elsewhere moves nothing (from)", "expansion", journey.Trigger{On: "health.level", Level: "healthy"}, "", false},
		{"a new customer gets a stage", "", journey.Trigger{On: "project.started"}, "onboarding", true},
		{"churned is final", "churned", journey.Trigger{On: "health.level", Level: "critical"}, "", false},
		{"unknown trigger", "onboarding", journey.Trigger{On: "task.completed"}, "", false},
	}
	for _, tc := range cases {
		to, ok := journey.Next(tc.current, tc.trigger, rules, stages)
		if to != tc.to || ok != tc.ok {
			t.Errorf("%s: Next = %q, %v; want %q, %v", tc.name, to, ok, tc.to, tc.ok)
		}
	}
	// The first matching rule wins.
	first := []journey.Rule{{On: "project.completed", To: "value_realisation"}, {On: "project.completed", To: "adoption"}}
	if to, _ := journey.Next("onboarding", journey.Trigger{On: "project.completed"}, first, stages); to != "value_realisation" {
		t.Errorf("first rule: %q", to)
	}
}

func TestDurations(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		history []journey.Transition
		now     time.Time
		want    []journey.StageTime
	}{
		{"no history", nil, t0, nil},
		{"one stage, running", []journey.Transition{{To: "onboarding", At: t0}}, t0.Add(3 * day),
			[]journey.StageTime{{Stage: "onboarding", Duration: 3 * day, Visits: 1, Current: true, Since: t0}}},
		{"two stages", []journey.Transition{{To: "onboarding", At: t0}, {To: "adoption", At: t0.Add(10 * day)}}, t0.Add(15 * day),
			[]journey.StageTime{
				{Stage: "onboarding", Duration: 10 * day, Visits: 1},
				{Stage: "adoption", Duration: 5 * day, Visits: 1, Current: true, Since: t0.Add(10 * day)},
			}},
		{"visits summed, order of first visit, unsorted input", []journey.Transition{
			{To: "at_risk", At: t0.Add(4 * day)},
			{To: "adoption", At: t0},
			{To: "adoption", At: t0.Add(6 * day)},
		}, t0.Add(9 * day),
			[]journey.StageTime{
				{Stage: "adoption", Duration: 7 * day, Visits: 2, Current: true, Since: t0.Add(6 * day)},
				{Stage: "at_risk", Duration: 2 * day, Visits: 1},
			}},
		{"instants in different zones", []journey.Transition{
			{To: "onboarding", At: time.Date(2026, 3, 1, 23, 30, 0, 0, paris)}, // 22:30 UTC
			{To: "adoption", At: time.Date(2026, 3, 2, 7, 30, 0, 0, tokyo)},    // 22:30 UTC the day before
		}, time.Date(2026, 3, 2, 22, 30, 0, 0, time.UTC),
			[]journey.StageTime{
				{Stage: "onboarding", Duration: 0, Visits: 1},
				{Stage: "adoption", Duration: day, Visits: 1, Current: true, Since: time.Date(2026, 3, 2, 7, 30, 0, 0, tokyo)},
			}},
		{"a day across the spring change in Paris is 23 hours", []journey.Transition{
			{To: "renewal", At: time.Date(2026, 3, 29, 0, 0, 0, 0, paris)},
		}, time.Date(2026, 3, 30, 0, 0, 0, 0, paris),
			[]journey.StageTime{{Stage: "renewal", Duration: 23 * time.Hour, Visits: 1, Current: true, Since: time.Date(2026, 3, 29, 0, 0, 0, 0, paris)}}},
		{"a transition after now counts nothing", []journey.Transition{{To: "onboarding", At: t0}, {To: "adoption", At: t0.Add(5 * day)}}, t0.Add(2 * day),
			[]journey.StageTime{
				{Stage: "onboarding", Duration: 2 * day, Visits: 1},
				{Stage: "adoption", Duration: 0, Visits: 1, Current: true, Since: t0.Add(5 * day)},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := journey.Durations(tc.history, tc.now)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Durations (-want +got):\n%s", diff)
			}
		})
	}
	if journey.Days(47*time.Hour) != 1 || journey.Days(48*time.Hour) != 2 {
		t.Error("Days")
	}
}
