package playbook_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/health"
	"github.com/onboardiq/onboardiq/internal/playbook"
)

var now = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func day(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// globex is a customer with every fact set, its onboarding project and a
// blocked task, triggered by a task.blocked event.
func globex() *playbook.Facts {
	return &playbook.Facts{
		Now: now,
		Customer: playbook.CustomerFacts{
			ID: uuid.MustParse("11111111-1111-4111-8111-111111111111"), Name: "Globex", ExternalID: "crm-42",
			Segment: "Enterprise", Lifecycle: "onboarding", Stage: "at_risk", StageName: "At risk",
			ARR: ptr(120000.0), RenewalDate: day("2027-01-08"),
			CSM: &playbook.Person{ID: uuid.MustParse("22222222-2222-4222-8222-222222222222"), Name: "Sam Carter", Email: "sam@onboardiq.example"},
			Health: &playbook.Health{
				Score: 35, PreviousScore: ptr(52), Level: "critical", LevelName: "Critical",
				Components: []health.Component{{Name: "usage", Score: 20, Weight: 0.5, Evidence: []health.Evidence{{Signal: "active_users", Value: 3}}}},
				ComputedAt: now.Add(-time.Hour),
			},
			Custom: map[string]any{"plan": "Pro", "seats": 25, "tags": []any{"beta", "EU"}},
		},
		Project: &playbook.ProjectFacts{
			ID: uuid.MustParse("33333333-3333-4333-8333-333333333333"), Name: "Globex onboarding", Status: "active",
			Template: "Standard onboarding", Progress: 40, DaysLate: 3, Deadline: day("2026-11-20"),
			Custom: map[string]any{"tier": "gold"},
		},
		Task: &playbook.TaskFacts{
			ID: uuid.MustParse("44444444-4444-4444-8444-444444444444"), Title: "Connect SSO", Status: "blocked",
			Phase: "Setup", VisibleToCustomer: true, BlockedReason: "waiting for IT",
		},
		Event: &onboardiq.Event{
			ID: 7, Kind: onboardiq.EventTaskBlocked,
			Data:    map[string]any{"key": "go_live", "count": 3, "nothing": nil},
			Changes: map[string]any{"status": map[string]any{"from": "open", "to": "blocked"}, "key": map[string]any{"to": "ignored"}, "plain": "x"},
		},
		LastActivityAt: ptr(now.Add(-9*24*time.Hour - time.Hour)),
	}
}

func TestMatchEvent(t *testing.T) {
	t.Parallel()
	self := uuid.MustParse("55555555-5555-4555-8555-555555555555")
	cust, proj := uuid.New(), uuid.New()
	base := func() (*onboardiq.Playbook, *onboardiq.Event) {
		return &onboardiq.Playbook{ID: self, Enabled: true, Subject: "customer", Trigger: onboardiq.PlaybookTrigger{Event: "task.blocked"}},
			&onboardiq.Event{Kind: onboardiq.EventTaskBlocked, CustomerID: &cust, ProjectID: &proj, Data: map[string]any{}}
	}
	cases := []struct {
		name   string
		change func(*onboardiq.Playbook, *onboardiq.Event)
		want   bool
	}{
		{"matches", func(*onboardiq.Playbook, *onboardiq.Event) {}, true},
		{"other kind", func(_ *onboardiq.Playbook, e *onboardiq.Event) { e.Kind = onboardiq.EventTaskCompleted }, false},
		{"disabled", func(p *onboardiq.Playbook, _ *onboardiq.Event) { p.Enabled = false }, false},
		{"schedule trigger", func(p *onboardiq.Playbook, _ *onboardiq.Event) {
			p.Trigger = onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleAtRisk}
		}, false},
		{"no customer", func(_ *onboardiq.Playbook, e *onboardiq.Event) { e.CustomerID = nil }, false},
		{"project subject with project", func(p *onboardiq.Playbook, _ *onboardiq.Event) { p.Subject = "project" }, true},
		{"project subject without project", func(p *onboardiq.Playbook, e *onboardiq.Event) { p.Subject = "project"; e.ProjectID = nil }, false},
		{"customer subject without project", func(_ *onboardiq.Playbook, e *onboardiq.Event) { e.ProjectID = nil }, true},
		{"caused by itself", func(_ *onboardiq.Playbook, e *onboardiq.Event) { e.Data["playbook_id"] = self.String() }, false},
		{"caused by another playbook", func(_ *onboardiq.Playbook, e *onboardiq.Event) { e.Data["playbook_id"] = uuid.NewString() }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, e := base()
			tc.change(p, e)
			if got := playbook.MatchEvent(p, e); got != tc.want {
				t.Errorf("MatchEvent = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	cases := []struct {
		field string
		want  any // nil: no value
	}{
		{"customer.name", "Globex"},
		{"customer.external_id", "crm-42"},
		{"customer.segment", "Enterprise"},
		{"customer.lifecycle", "onboarding"},
		{"customer.stage", "at_risk"},
		{"customer.arr", 120000.0},
		{"customer.renewal_date", "2027-01-08"},
		{"customer.renewal_days", 42.0},
		{"customer.csm", "sam@onboardiq.example"},
		{"customer.health.score", 35.0},
		{"customer.health.previous_score", 52.0},
		{"customer.health.drop", 17.0},
		{"customer.health.level", "critical"},
		{"customer.days_inactive", 9.0},
		{"customer.cf.plan", "Pro"},
		{"customer.cf.seats", 25.0},
		{"customer.cf.tags", []any{"beta", "EU"}},
		{"customer.cf.missing", nil},
		{"project.name", "Globex onboarding"},
		{"project.status", "active"},
		{"project.progress", 40.0},
		{"project.days_late", 3.0},
		{"project.template", "Standard onboarding"},
		{"project.deadline", "2026-11-20"},
		{"project.cf.tier", "gold"},
		{"project.cf.other", nil},
		{"task.title", "Connect SSO"},
		{"task.status", "blocked"},
		{"task.phase", "Setup"},
		{"task.visible_to_customer", true},
		{"task.blocked_reason", "waiting for IT"},
		{"event.kind", "task.blocked"},
		{"event.key", "go_live"}, // data wins over changes
		{"event.count", 3.0},
		{"event.nothing", nil},
		{"event.status", "blocked"}, // a change's "to"
		{"event.plain", "x"},
		{"event.absent", nil},
		{"nonsense", nil},
	}
	f := globex()
	for _, tc := range cases {
		got, ok := f.Lookup(tc.field)
		if ok != (tc.want != nil) || !cmp.Equal(got, tc.want) && tc.want != nil {
			t.Errorf("Lookup(%s) = %#v, %v; want %#v", tc.field, got, ok, tc.want)
		}
	}
	// A customer with nothing set, and no project, task or event.
	bare := &playbook.Facts{Now: now, Customer: playbook.CustomerFacts{Name: "Initech"}}
	for _, field := range []string{"customer.arr", "customer.renewal_date", "customer.renewal_days", "customer.csm",
		"customer.health.score", "customer.health.previous_score", "customer.health.drop", "customer.health.level",
		"customer.days_inactive", "customer.segment", "customer.cf.plan", "project.name", "project.progress",
		"project.cf.tier", "task.title", "task.visible_to_customer", "event.kind", "event.key"} {
		if v, ok := bare.Lookup(field); ok {
			t.Errorf("bare Lookup(%s) = %#v, want none", field, v)
		}
	}
	past := &playbook.Facts{Now: now, Customer: playbook.CustomerFacts{RenewalDate: day("2026-11-20")}}
	if v, _ := past.Lookup("customer.renewal_days"); v != -7.0 {
		t.Errorf("renewal_days a week ago = %v, want -7", v)
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	fs := playbook.Fields()
	f := globex()
	for _, fd := range fs {
		if fd.Doc == "" || !slices.Contains([]string{"text", "number", "bool", "date"}, fd.Kind) {
			t.Errorf("field %s: kind %q doc %q", fd.Name, fd.Kind, fd.Doc)
		}
		name := fd.Name
		if strings.HasSuffix(name, ".") {
			name += map[string]string{"customer.cf.": "plan", "project.cf.": "tier", "event.": "key"}[fd.Name]
		}
		if _, ok := f.Lookup(name); !ok {
			t.Errorf("field %s has no value for a customer with every fact", name)
		}
	}
	if len(fs) < 29 {
		t.Errorf("Fields() lists %d fields", len(fs))
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	rule := func(field, op string, v any) onboardiq.PlaybookCondition {
		return onboardiq.PlaybookCondition{Field: field, Op: op, Value: v}
	}
	cases := []struct {
		name string
		r    onboardiq.PlaybookCondition
		want bool
	}{
		{"eq", rule("customer.segment", "eq", "Enterprise"), true},
		{"eq any case", rule("customer.segment", "eq", "enterprise"), true},
		{"eq other", rule("customer.segment", "eq", "SMB"), false},
		{"ne", rule("customer.segment", "ne", "SMB"), true},
		{"ne same, other case", rule("customer.segment", "ne", "ENTERPRISE"), false},
		{"eq number", rule("customer.health.score", "eq", 35), true},
		{"eq number as string", rule("customer.health.score", "eq", "35"), true},
		{"eq numeric string fact", rule("customer.external_id", "eq", 42), false},
		{"gt", rule("customer.arr", "gt", 100000), true},
		{"gt equal", rule("customer.arr", "gt", 120000), false},
		{"gte equal", rule("customer.arr", "gte", 120000.0), true},
		{"lt", rule("customer.health.score", "lt", 40), true},
		{"lt at", rule("customer.health.score", "lt", 35), false},
		{"lte at", rule("customer.health.score", "lte", 35), true},
		{"lt numeric string value", rule("customer.health.score", "lt", "40"), true},
		{"gt numeric custom string", rule("customer.cf.seats", "gt", 20), true},
		{"gt text never", rule("customer.name", "gt", "A"), false},
		{"date lt", rule("customer.renewal_date", "lt", "2027-02-01"), true},
		{"date gt", rule("customer.renewal_date", "gt", "2027-02-01"), false},
		{"date gte same", rule("project.deadline", "gte", "2026-11-20"), true},
		{"in", rule("customer.stage", "in", []any{"onboarding", "AT_RISK"}), true},
		{"in strings", rule("customer.stage", "in", []string{"adoption"}), false},
		{"in numbers", rule("project.progress", "in", []int{10, 40}), true},
		{"not_in", rule("customer.stage", "not_in", []any{"adoption"}), true},
		{"not_in listed", rule("customer.stage", "not_in", []any{"at_risk"}), false},
		{"in list fact", rule("customer.cf.tags", "in", []any{"eu", "us"}), true},
		{"not_in list fact", rule("customer.cf.tags", "not_in", []any{"us"}), true},
		{"not_in list fact, one listed", rule("customer.cf.tags", "not_in", []any{"BETA"}), false},
		{"contains substring", rule("customer.name", "contains", "LOB"), true},
		{"contains not", rule("customer.name", "contains", "Acme"), false},
		{"contains list fact", rule("customer.cf.tags", "contains", "eu"), true},
		{"contains list fact, substring only", rule("customer.cf.tags", "contains", "bet"), false},
		{"bool eq", rule("task.visible_to_customer", "eq", true), true},
		{"bool eq false", rule("task.visible_to_customer", "eq", false), false},
		{"is_set", rule("customer.arr", "is_set", nil), true},
		{"is_not_set", rule("customer.arr", "is_not_set", nil), false},
		{"missing is_set", rule("customer.cf.none", "is_set", nil), false},
		{"missing is_not_set", rule("customer.cf.none", "is_not_set", nil), true},
		{"missing eq", rule("customer.cf.none", "eq", "x"), false},
		{"missing ne", rule("customer.cf.none", "ne", "x"), false},
		{"missing not_in", rule("customer.cf.none", "not_in", []any{"x"}), false},
		{"missing lt", rule("customer.cf.none", "lt", 5), false},
		{"event data", rule("event.key", "eq", "go_live"), true},
		{"event change", rule("event.status", "eq", "blocked"), true},
	}
	f := globex()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, seen := playbook.Evaluate(onboardiq.PlaybookConditions{Rules: []onboardiq.PlaybookCondition{tc.r}}, f)
			if ok != tc.want || len(seen) != 1 || seen[0].OK != tc.want {
				t.Errorf("Evaluate(%s %s %v) = %v %+v, want %v", tc.r.Field, tc.r.Op, tc.r.Value, ok, seen, tc.want)
			}
		})
	}
}

func TestEvaluateAllAny(t *testing.T) {
	t.Parallel()
	yes := onboardiq.PlaybookCondition{Field: "customer.health.score", Op: "lt", Value: 40.0}
	no := onboardiq.PlaybookCondition{Field: "customer.cf.plan", Op: "eq", Value: "Free"}
	missing := onboardiq.PlaybookCondition{Field: "customer.cf.none", Op: "ne", Value: "x"}
	f := globex()
	cases := []struct {
		match string
		rules []onboardiq.PlaybookCondition
		want  bool
	}{
		{"", nil, true},
		{"any", nil, true},
		{"", []onboardiq.PlaybookCondition{yes}, true},
		{"", []onboardiq.PlaybookCondition{yes, no}, false},
		{"all", []onboardiq.PlaybookCondition{yes, no}, false},
		{"any", []onboardiq.PlaybookCondition{yes, no}, true},
		{"any", []onboardiq.PlaybookCondition{no, missing}, false},
		{"any", []onboardiq.PlaybookCondition{no, yes}, true},
	}
	for i, tc := range cases {
		ok, seen := playbook.Evaluate(onboardiq.PlaybookConditions{Match: tc.match, Rules: tc.rules}, f)
		if ok != tc.want || seen == nil || len(seen) != len(tc.rules) {
			t.Errorf("%d: Evaluate %s = %v, %v; want %v", i, tc.match, ok, seen, tc.want)
		}
	}
	_, seen := playbook.Evaluate(onboardiq.PlaybookConditions{Rules: []onboardiq.PlaybookCondition{yes, no, missing}}, f)
	want := []onboardiq.Condition{
		{Field: "customer.health.score", Op: "lt", Value: 40.0, Saw: 35.0, OK: true},
		{Field: "customer.cf.plan", Op: "eq", Value: "Free", Saw: "Pro", OK: false},
		{Field: "customer.cf.none", Op: "ne", Value: "x", Saw: nil, OK: false},
	}
	if d := cmp.Diff(want, seen); d != "" {
		t.Errorf("seen (-want +got):\n%s", d)
	}
}

func TestDue(t *testing.T) {
	t.Parallel()
	hours := func(h float64) *time.Time { return ptr(now.Add(-time.Duration(h * float64(time.Hour)))) }
	usage := func(recent, previous float64) func(*playbook.Facts) {
		return func(f *playbook.Facts) { f.UsageRecent, f.UsagePrevious = &recent, &previous }
	}
	renewal := func(d string) func(*playbook.Facts) {
		return func(f *playbook.Facts) { f.Customer.RenewalDate = day(d) }
	}
	tr := func(s string, days int) onboardiq.PlaybookTrigger {
		return onboardiq.PlaybookTrigger{Schedule: s, Days: days}
	}
	cases := []struct {
		name     string
		t        onboardiq.PlaybookTrigger
		facts    func(*playbook.Facts)
		want     bool
		evidence string
	}{
		{"event trigger never", onboardiq.PlaybookTrigger{Event: "task.blocked"}, nil, false, ""},
		{"renewal at the threshold", tr(onboardiq.ScheduleRenewal, 42), nil, true, "renewal in 42 days (2027-01-08)"},
		{"renewal one day past the window", tr(onboardiq.ScheduleRenewal, 41), nil, false, ""},
		{"renewal today", tr(onboardiq.ScheduleRenewal, 30), renewal("2026-11-27"), true, "renewal in 0 days (2026-11-27)"},
		{"renewal passed", tr(onboardiq.ScheduleRenewal, 30), renewal("2026-11-26"), false, ""},
		{"renewal unknown", tr(onboardiq.ScheduleRenewal, 30), func(f *playbook.Facts) { f.Customer.RenewalDate = nil }, false, ""},
		{"no activity at the threshold", tr(onboardiq.ScheduleNoActivity, 7), func(f *playbook.Facts) { f.LastActivityAt = hours(7 * 24) }, true, "no activity for 7 days"},
		{"no activity an hour short", tr(onboardiq.ScheduleNoActivity, 7), func(f *playbook.Facts) { f.LastActivityAt = hours(7*24 - 1) }, false, ""},
		{"no activity ever", tr(onboardiq.ScheduleNoActivity, 7), func(f *playbook.Facts) { f.LastActivityAt = nil }, true, "no activity recorded"},
		{"usage fell past", onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleUsageChange, Days: 7, Percent: -30}, usage(60, 100), true, "usage fell by 40%"},
		{"usage fell exactly", onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleUsageChange, Days: 7, Percent: -30}, usage(70, 100), true, "usage fell by 30%"},
		{"usage fell less", onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleUsageChange, Days: 7, Percent: -30}, usage(71, 100), false, ""},
		{"usage rose", onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleUsageChange, Days: 7, Percent: 50}, usage(150, 100), true, "usage rose by 50%"},
		{"usage rose less", onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleUsageChange, Days: 7, Percent: 50}, usage(149, 100), false, ""},
		{"usage no baseline", onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleUsageChange, Days: 7, Percent: -30}, usage(0, 0), false, ""},
		{"usage unknown", onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleUsageChange, Days: 7, Percent: -30}, nil, false, ""},
		{"health below long enough", onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleHealthBelow, Days: 3, Score: 40}, func(f *playbook.Facts) { f.HealthBelowSince = hours(72) }, true, "health below 40 for 3 days (now 35)"},
		{"health below not long enough", onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleHealthBelow, Days: 3, Score: 40}, func(f *playbook.Facts) { f.HealthBelowSince = hours(71) }, false, ""},
		{"health below at once", onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleHealthBelow, Score: 40}, func(f *playbook.Facts) { f.HealthBelowSince = hours(0) }, true, "health below 40 for 0 days"},
		{"health not below", onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleHealthBelow, Score: 40}, nil, false, ""},
		{"task blocked long enough", tr(onboardiq.ScheduleTaskBlocked, 3), func(f *playbook.Facts) {
			f.Blocked = []playbook.BlockedTask{{Title: "Connect SSO", Since: *hours(80)}, {Title: "Import users", Since: *hours(10)}}
		}, true, `task "Connect SSO" blocked for 3 days`},
		{"task blocked not long enough", tr(onboardiq.ScheduleTaskBlocked, 3), func(f *playbook.Facts) {
			f.Blocked = []playbook.BlockedTask{{Title: "Connect SSO", Since: *hours(71)}}
		}, false, ""},
		{"at risk", tr(onboardiq.ScheduleAtRisk, 0), func(f *playbook.Facts) {
			f.AtRisk, f.AtRiskReason = true, "forecast finishes 2026-12-15, 5 days after the deadline"
		}, true, "forecast finishes 2026-12-15"},
		{"not at risk", tr(onboardiq.ScheduleAtRisk, 0), nil, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := globex()
			if tc.facts != nil {
				tc.facts(f)
			}
			ok, ev := playbook.Due(tc.t, f)
			if ok != tc.want {
				t.Fatalf("Due = %v %q, want %v", ok, ev, tc.want)
			}
			all := strings.Join(ev, " | ")
			if tc.want && !strings.Contains(all, tc.evidence) {
				t.Errorf("evidence %q, want it to say %q", all, tc.evidence)
			}
			if tc.name == "task blocked long enough" && len(ev) != 1 {
				t.Errorf("evidence %q names a task blocked for less than 3 days", ev)
			}
		})
	}
}

func Example() {
	f := globex()
	ok, seen := playbook.Evaluate(playbook.Defaults()[0].Conditions, f)
	fmt.Println(ok, seen[0].Saw)
	// Output: true 35
}

// TestDocsListEveryField keeps docs/playbooks.md in step with Fields and
// Defaults.
func TestDocsListEveryField(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docs/playbooks.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, f := range playbook.Fields() {
		name := f.Name
		if strings.HasSuffix(name, ".") {
			name += "KEY"
		}
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/playbooks.md does not list the field %s", name)
		}
	}
	for _, p := range playbook.Defaults() {
		if !strings.Contains(doc, p.Name) {
			t.Errorf("docs/playbooks.md does not list the default playbook %q", p.Name)
		}
	}
	for _, s := range []string{"renewal_in_days", "no_activity_days", "usage_change", "health_below", "task_blocked_days", "project_at_risk",
		"webhook-id", "webhook-timestamp", "webhook-signature", "## Runs and the execution audit", "## API"} {
		if !strings.Contains(doc, s) {
			t.Errorf("docs/playbooks.md does not mention %s", s)
		}
	}
}
