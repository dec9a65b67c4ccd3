// Package journey holds a tenant's journey stages, the rules that move a
// customer between them, and the time a customer spent in each. It is pure:
// the store keeps the stages, rules and history, applies Next when a
// trigger arrives and records the transition as an event.
package journey

import (
	"regexp"
	"slices"
	"time"

	"github.com/onboardiq/onboardiq"
)

// Stage is one journey stage. Final stages (Churned) are left only by hand:
// no rule moves a customer out of one.
type Stage struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Final bool   `json:"final,omitempty"`
}

// The default stages' keys.
const (
	Onboarding = "onboarding"
	Adoption   = "adoption"
	Value      = "value_realisation"
	Expansion  = "expansion"
	Renewal    = "renewal"
	AtRisk     = "at_risk"
	Churned    = "churned"
)

// DefaultStages are the stages of a tenant that has not set its own:
// Onboarding → Adoption → Value realisation → Expansion → Renewal, plus At
// risk and Churned.
func DefaultStages() []Stage {
	return []Stage{
		{Key: Onboarding, Name: "Onboarding"},
		{Key: Adoption, Name: "Adoption"},
		{Key: Value, Name: "Value realisation"},
		{Key: Expansion, Name: "Expansion"},
		{Key: Renewal, Name: "Renewal"},
		{Key: AtRisk, Name: "At risk"},
		{Key: Churned, Name: "Churned", Final: true},
	}
}

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ValidateStages reports the first thing wrong with a stage list, naming
// its field: at least one stage, keys of lower-case letters, digits and
// underscores, unique keys and names.
func ValidateStages(stages []Stage) error {
	if len(stages) == 0 {
		return onboardiq.Invalid("stages", "at least one stage is required")
	}
	keys, names := map[string]bool{}, map[string]bool{}
	for i, s := range stages {
		switch {
		case !keyPattern.MatchString(s.Key):
			return onboardiq.Invalid("stages.key", "stage %d: the key must be 1 to 40 lower-case letters, digits or underscores, starting with a letter", i+1)
		case keys[s.Key]:
			return onboardiq.Invalid("stages.key", "%q is used twice", s.Key)
		case s.Name == "":
			return onboardiq.Invalid("stages.name", "stage %q has no name", s.Key)
		case len(s.Name) > 80:
			return onboardiq.Invalid("stages.name", "stage %q: the name is longer than 80 characters", s.Key)
		case names[s.Name]:
			return onboardiq.Invalid("stages.name", "%q is used twice", s.Name)
		}
		keys[s.Key], names[s.Name] = true, true
	}
	return nil
}

// The triggers rules react to.
const (
	// ProjectStarted and ProjectCompleted: an onboarding project of the
	// customer started or completed.
	ProjectStarted   = "project.started"
	ProjectCompleted = "project.completed"
	// HealthLevel: the customer's health level changed (Trigger.Level is
	// the new one).
	HealthLevel = "health.level"
	// Renewal date near: the customer's renewal is due within the tenant's
	// notice period.
	RenewalDue = "renewal.due"
)

var triggers = []string{ProjectStarted, ProjectCompleted, HealthLevel, RenewalDue}

// Trigger is something that happened to a customer.
type Trigger struct {
	On string
	// Level is the new health level of a HealthLevel trigger.
	Level string
}

// Rule moves a customer to stage To when trigger On happens (with health
// level Level, when set) and the customer is in stage From (any stage that
// is not final, when empty).
type Rule struct {
	On    string `json:"on"`
	Level string `json:"level,omitempty"`
	From  string `json:"from,omitempty"`
	To    string `json:"to"`
}

// DefaultRules: a started project means Onboarding, a completed one
// Adoption, Critical health At risk, and a customer back to Healthy from At
// risk returns to Adoption.
func DefaultRules() []Rule {
	return []Rule{
		{On: ProjectStarted, To: Onboarding},
		{On: ProjectCompleted, To: Adoption},
		{On: HealthLevel, Level: "critical", To: AtRisk},
		{On: HealthLevel, Level: "healthy", From: AtRisk, To: Adoption},
	}
}

// ValidateRules reports the first rule that names an unknown trigger or
// stage.
func ValidateRules(rules []Rule, stages []Stage) error {
	known := func(key string) bool {
		return slices.ContainsFunc(stages, func(s Stage) bool { return s.Key == key })
	}
	for i, r := range rules {
		switch {
		case !slices.Contains(triggers, r.On):
			return onboardiq.Invalid("rules.on", "rule %d: unknown trigger %q", i+1, r.On)
		case r.Level != "" && r.On != HealthLevel:
			return onboardiq.Invalid("rules.level", "rule %d: a level applies only to %s", i+1, HealthLevel)
		case r.On == HealthLevel && r.Level == "":
			return onboardiq.Invalid("rules.level", "rule %d: name the health level", i+1)
		case !known(r.To):
			return onboardiq.Invalid("rules.to", "rule %d: unknown stage %q", i+1, r.To)
		case r.From != "" && !known(r.From):
			return onboardiq.Invalid("rules.from", "rule %d: unknown stage %q", i+1, r.From)
		}
	}
	return nil
}

// Next applies the first rule that matches the trigger and the current
// stage. ok is false when no rule matches, the matching rule would leave
// the customer where it is, or the current stage is final; the caller then
// records nothing. A customer with no stage yet ("") matches rules without
// From.
func Next(current string, t Trigger, rules []Rule, stages []Stage) (to string, ok bool) {
	for _, s := range stages {
		if s.Key == current && s.Final {
			return "", false
		}
	}
	for _, r := range rules {
		if r.On != t.On || (r.Level != "" && r.Level != t.Level) || (r.From != "" && r.From != current) {
			continue
		}
		if r.To == current {
			return "", false
		}
		return r.To, true
	}
	return "", false
}

// Transition is one move into a stage.
type Transition struct {
	To string
	At time.Time
}

// StageTime is how long a customer spent in one stage.
type StageTime struct {
	Stage string
	// Duration sums every visit, the current one up to now.
	Duration time.Duration
	Visits   int
	// Current tells the stage the customer is in; Since is when it entered
	// it this time.
	Current bool
	Since   time.Time
}

// Durations sums the time in each stage from a customer's history, in the
// order the stages were first entered. Each visit lasts until the next
// transition; the last until now. Transitions are instants, so their time
// zones do not matter; a transition dated after now counts nothing.
func Durations(history []Transition, now time.Time) []StageTime {
	h := slices.Clone(history)
	slices.SortStableFunc(h, func(a, b Transition) int { return a.At.Compare(b.At) })
	var out []StageTime
	index := map[string]int{}
	for i, tr := range h {
		end := now
		if i+1 < len(h) {
			end = h[i+1].At
		}
		if end.After(now) {
			end = now
		}
		j, seen := index[tr.To]
		if !seen {
			j = len(out)
			index[tr.To] = j
			out = append(out, StageTime{Stage: tr.To})
		}
		if d := end.Sub(tr.At); d > 0 {
			out[j].Duration += d
		}
		out[j].Visits++
		if i == len(h)-1 {
			out[j].Current, out[j].Since = true, tr.At
		}
	}
	return out
}

// Days is a duration in whole days, rounded down, as a board shows time in
// stage.
func Days(d time.Duration) int {
	return int(d / (24 * time.Hour))
}
