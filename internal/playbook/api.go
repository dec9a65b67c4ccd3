package playbook

import (
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// This file fixes the package's API; the bodies are filled in by the
// package's own files (match.go, evaluate.go, validate.go, defaults.go,
// body.go, vars.go, code.go).

// MatchEvent reports whether e triggers p: p is enabled, its trigger is
// e's kind, e names a customer (and a project, for a project subject), and
// e was not caused by a run of p itself (an event a playbook's action
// causes carries the run's playbook_id in its data: no playbook triggers
// itself).
func MatchEvent(p *onboardiq.Playbook, e *onboardiq.Event) bool { return matchEvent(p, e) }

// Evaluate checks the conditions against f: ok when all (or any) hold, or
// there are none; each condition with the value it saw, in order.
func Evaluate(c onboardiq.PlaybookConditions, f *Facts) (ok bool, seen []onboardiq.Condition) {
	return evaluate(c, f)
}

// Due reports whether a schedule trigger holds for f at f.Now, with the
// evidence in words ("renewal in 42 days (2027-01-08)").
func Due(t onboardiq.PlaybookTrigger, f *Facts) (ok bool, evidence []string) { return due(t, f) }

// Lookup is the value of a condition field for f, and whether f has one
// (customer.arr of a customer without ARR has none).
func (f *Facts) Lookup(field string) (any, bool) { return lookup(f, field) }

// Field describes a condition field, for the console's form and the docs.
type Field struct {
	Name string `json:"name"` // customer.arr; a prefix ends in "." (customer.cf., event.)
	Kind string `json:"kind"` // text, number, bool, date
	Doc  string `json:"doc"`
}

// Fields lists the condition fields.
func Fields() []Field { return fields() }

// Known is what validation checks names against: the event kinds, the
// workspace's journey stages, templates and email kinds (nil: not
// checked, as when importing into a workspace that lacks them yet).
type Known struct {
	Stages     []string
	Templates  []string
	EmailKinds []string
}

// Normalise fills defaults (subject customer, match all, format standard)
// and gives values one form (numbers float64, lists []any) so that what
// is stored, exported and compared is the same whatever the source.
func Normalise(p *onboardiq.Playbook) { normalise(p) }

// Validate reports the first thing wrong with p (normalised), naming its
// field as a path: "trigger.event", "conditions.rules[0].op",
// "actions[1].url".
func Validate(p *onboardiq.Playbook, k Known) error { return validate(p, k) }

// NeedsSetup names what must be set before p can do anything (an empty
// webhook URL, no recipient, an escalation ladder without people), as
// field paths; an enabled playbook must need none.
func NeedsSetup(p *onboardiq.Playbook) []string { return needsSetup(p) }

// Defaults are the playbooks a new workspace starts with, all disabled:
// health below 40 → webhook (60-minute cooldown), stage changed to At risk
// → webhook, a project overdue → escalate, a task blocked for 3 days →
// tell the CSM, go-live reached → CSAT survey email, no customer activity
// for 7 days → nudge the contacts.
func Defaults() []onboardiq.Playbook { return defaults() }

// Run is what a webhook body and a message's variables describe.
type Run struct {
	ID           uuid.UUID
	PlaybookID   uuid.UUID
	PlaybookName string
	Trigger      string // the event kind, schedule:KIND or manual
	EventID      *int64
	At           time.Time
	Evidence     []string
	Facts        *Facts
}

// Body is a webhook action's JSON body in format standard, n8n or slack
// (docs/playbook-webhook.schema.json describes standard's).
func Body(format string, r Run) ([]byte, error) { return body(format, r) }

// Vars are the {{name}} values of a message about r.
func Vars(r Run) map[string]string { return vars(r) }

// Fill replaces {{name}} (spaces allowed inside the braces) with vars;
// unknown names are left as they are.
func Fill(text string, vars map[string]string) string { return fill(text, vars) }

// Describe says in words what action a would do for f ("POST the n8n body
// to https://…", "email the CSM Sam Carter: …").
func Describe(a onboardiq.PlaybookAction, f *Facts) string { return describe(a, f) }

// Formats of playbooks as code.
const (
	YAML = "yaml"
	JSON = "json"
)

// Marshal writes playbooks as code: {"version": 1, "playbooks": [...]} in
// their definition fields only, in the given order, so that importing
// the file and exporting again gives the same bytes.
func Marshal(ps []onboardiq.Playbook, format string) ([]byte, error) { return marshal(ps, format) }

// Unmarshal reads playbooks as code (format "" detects JSON or YAML),
// normalised; errors name the playbook and field ("playbooks[2].trigger").
func Unmarshal(data []byte, format string) ([]onboardiq.Playbook, error) {
	return unmarshal(data, format)
}
