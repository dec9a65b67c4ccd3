package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Playbooks in the console (docs/web.md, "Playbooks"): the list, a
// playbook's form (no JSON needed; a JSON view for those who want it), its
// executions, a run by hand, a dry run, and playbooks as code. Every
// decision is the store's: the pages show a control when the page type's
// CanManage or CanRun says the store would accept it.

func init() {
	// A condition's value or what a run saw, in words.
	funcs["pbValue"] = func(v any) string {
		if v == nil {
			return "nothing"
		}
		return valueText(v)
	}
}

// maxImportForm bounds the import form: a file of playbooks as code.
const maxImportForm = 1 << 20

// The condition operators and the action types, in the order the form
// offers them.
var (
	pbOps = []struct{ Op, Label string }{
		{"eq", "is"}, {"ne", "is not"}, {"gt", "is more than"}, {"gte", "is at least"},
		{"lt", "is less than"}, {"lte", "is at most"}, {"in", "is one of"}, {"not_in", "is none of"},
		{"contains", "contains"}, {"is_set", "is set"}, {"is_not_set", "is not set"},
	}
	pbActionTypes = []struct{ Type, Label string }{
		{"webhook", "Send a webhook"}, {"email", "Send an email"}, {"notify", "Notify in the console"},
		{"create_task", "Create a task"}, {"start_project", "Start a project"}, {"set_stage", "Set the journey stage"},
		{"set_field", "Set a field"}, {"escalate", "Escalate"}, {"survey", "Send a survey"},
	}
	pbSchedules = []struct{ Key, Label string }{
		{onboardiq.ScheduleRenewal, "Renewal in N days or fewer"},
		{onboardiq.ScheduleNoActivity, "No customer activity for N days"},
		{onboardiq.ScheduleUsageChange, "Usage changed by P% over N days"},
		{onboardiq.ScheduleHealthBelow, "Health below a score for N days"},
		{onboardiq.ScheduleTaskBlocked, "A task blocked for N days"},
		{onboardiq.ScheduleAtRisk, "A project at risk"},
	}
)

// errs are a form's errors by input id.
type errs map[string]string

// Aria marks the input id invalid and described by its error, when it has one.
func (e errs) Aria(id string) template.HTMLAttr {
	if e[id] == "" {
		return ""
	}
	// ids are made here, of names and digits only.
	return template.HTMLAttr(` aria-invalid="true" aria-describedby="error-` + id + `"`)
}

// E is the error of input id, for the "pb-error" template.
func (e errs) E(id string) fieldErr { return fieldErr{ID: id, Msg: e[id]} }

type fieldErr struct{ ID, Msg string }

// pbRule is a condition row of the form, as typed.
type pbRule struct {
	P                string // the ids' prefix: conditions-rules-0
	Field, Op, Value string
	errs             errs
}

func (r pbRule) ID(name string) string                { return r.P + "-" + name }
func (r pbRule) Aria(name string) template.HTMLAttr   { return r.errs.Aria(r.ID(name)) }
func (r pbRule) E(name string) fieldErr               { return r.errs.E(r.ID(name)) }
func (a pbAction) ID(name string) string              { return a.P + "-" + name }
func (a pbAction) Aria(name string) template.HTMLAttr { return a.errs.Aria(a.ID(name)) }
func (a pbAction) E(name string) fieldErr             { return a.errs.E(a.ID(name)) }
func (s pbStep) ID(name string) string                { return s.P + "-" + name }
func (s pbStep) Aria(name string) template.HTMLAttr   { return s.errs.Aria(s.ID(name)) }
func (s pbStep) E(name string) fieldErr               { return s.errs.E(s.ID(name)) }

// pbAction is an action fieldset of the form, as typed.
type pbAction struct {
	P                                   string // actions-0
	N                                   int    // its number, from 1
	Type, URL, Format, To, Subject      string
	Body, EmailTemplate, Task, Assignee string
	DueDays                             string
	Visible                             bool
	Template, Stage, Field, Value       string
	Survey                              string
	Ladder                              []pbStep
	errs                                errs
}

// pbStep is a rung of an escalation ladder, as typed.
type pbStep struct {
	P         string // actions-0-ladder-1
	N         int
	To, After string
	errs      errs
}

// pbForm is the playbook form as typed: what it shows, and what a refused
// save shows again.
type pbForm struct {
	Name, Description, Subject string
	TriggerKind                string // event or schedule
	Event, Schedule            string
	Days, Percent, Score       string
	Match                      string
	Rules                      []pbRule
	Actions                    []pbAction
	Cooldown, MaxRuns          string
	Enabled                    bool
	JSON                       string
	JSONOpen                   bool // the JSON view was the one sent
	Errs                       errs
	Error                      string // an error no input of the form is about
	ruleRows, actionRows       []int  // the rows the playbook's rules and actions came from
	ladderRows                 map[int][]int
}

func (f *pbForm) Aria(id string) template.HTMLAttr { return f.Errs.Aria(id) }
func (f *pbForm) E(id string) fieldErr             { return f.Errs.E(id) }

// The blank rows a form offers for more.
const (
	pbBlankRules   = 2
	pbBlankActions = 1
	pbBlankSteps   = 1
)

func newRule(i int, e errs) pbRule {
	return pbRule{P: fmt.Sprintf("conditions-rules-%d", i), errs: e}
}

func newAction(i int, e errs) pbAction {
	return pbAction{P: fmt.Sprintf("actions-%d", i), N: i + 1, errs: e}
}

func newStep(a pbAction, j int) pbStep {
	return pbStep{P: fmt.Sprintf("%s-ladder-%d", a.P, j), N: j + 1, errs: a.errs}
}

// pbFormOf is the form showing p (nil: a new playbook), with blank rows.
func pbFormOf(p *onboardiq.Playbook) *pbForm {
	f := &pbForm{Subject: "customer", TriggerKind: "event", Match: "all", Errs: errs{}, ladderRows: map[int][]int{}}
	if p == nil {
		p = &onboardiq.Playbook{Subject: "customer", Conditions: onboardiq.PlaybookConditions{Match: "all"}}
	} else {
		f.Name, f.Description, f.Subject, f.Enabled = p.Name, p.Description, p.Subject, p.Enabled
		if p.Conditions.Match != "" {
			f.Match = p.Conditions.Match
		}
		f.Event, f.Schedule = p.Trigger.Event, p.Trigger.Schedule
		if p.Trigger.Schedule != "" {
			f.TriggerKind = "schedule"
		}
		f.Days, f.Percent, f.Score = numText(p.Trigger.Days), floatText(p.Trigger.Percent), numText(p.Trigger.Score)
		f.Cooldown, f.MaxRuns = numText(p.CooldownMinutes), numText(p.MaxRunsPerDay)
	}
	for i, c := range p.Conditions.Rules {
		r := newRule(i, f.Errs)
		r.Field, r.Op, r.Value = c.Field, c.Op, valueText(c.Value)
		f.Rules = append(f.Rules, r)
		f.ruleRows = append(f.ruleRows, i)
	}
	for range pbBlankRules {
		f.Rules = append(f.Rules, newRule(len(f.Rules), f.Errs))
	}
	for i, x := range p.Actions {
		a := newAction(i, f.Errs)
		a.Type, a.URL, a.Format, a.To, a.Subject, a.Body = x.Type, x.URL, x.Format, strings.Join(x.To, ", "), x.Subject, x.Body
		a.EmailTemplate, a.Task, a.Assignee, a.DueDays, a.Visible = x.EmailTemplate, x.Task, x.Assignee, numText(x.DueDays), x.VisibleToCustomer
		a.Template, a.Stage, a.Field, a.Value, a.Survey = x.Template, x.Stage, x.Field, valueText(x.Value), x.Survey
		for j, s := range x.Ladder {
			st := newStep(a, j)
			st.To, st.After = s.To, strconv.Itoa(s.AfterMinutes)
			a.Ladder = append(a.Ladder, st)
			f.ladderRows[i] = append(f.ladderRows[i], j)
		}
		for range pbBlankSteps {
			a.Ladder = append(a.Ladder, newStep(a, len(a.Ladder)))
		}
		f.Actions = append(f.Actions, a)
		f.actionRows = append(f.actionRows, i)
	}
	for range pbBlankActions {
		a := newAction(len(f.Actions), f.Errs)
		a.Ladder = []pbStep{newStep(a, 0), newStep(a, 1)}
		f.Actions = append(f.Actions, a)
	}
	f.JSON = definitionJSON(p)
	return f
}

// pbFormFrom reads the form as typed.
func pbFormFrom(v url.Values) *pbForm {
	f := &pbForm{Errs: errs{}, ladderRows: map[int][]int{}}
	g := func(name string) string { return strings.TrimSpace(v.Get(name)) }
	// A browser sends a textarea's lines ending in CRLF.
	text := func(name string) string { return strings.TrimSpace(strings.ReplaceAll(v.Get(name), "\r\n", "\n")) }
	f.Name, f.Description, f.Subject = g("name"), text("description"), g("subject")
	f.TriggerKind, f.Event, f.Schedule = g("trigger-kind"), g("trigger-event"), g("trigger-schedule")
	f.Days, f.Percent, f.Score = g("trigger-days"), g("trigger-percent"), g("trigger-score")
	f.Match, f.Cooldown, f.MaxRuns = g("conditions-match"), g("cooldown_minutes"), g("max_runs_per_day")
	for i := 0; ; i++ {
		r := newRule(i, f.Errs)
		if _, ok := v[r.ID("field")]; !ok {
			break
		}
		r.Field, r.Op, r.Value = g(r.ID("field")), g(r.ID("op")), g(r.ID("value"))
		f.Rules = append(f.Rules, r)
	}
	for i := 0; ; i++ {
		a := newAction(i, f.Errs)
		if _, ok := v[a.ID("type")]; !ok {
			break
		}
		a.Type, a.URL, a.Format, a.To, a.Subject = g(a.ID("type")), g(a.ID("url")), g(a.ID("format")), g(a.ID("to")), g(a.ID("subject"))
		a.Body, a.EmailTemplate, a.Task, a.Assignee = text(a.ID("body")), g(a.ID("email_template")), g(a.ID("task")), g(a.ID("assignee"))
		a.DueDays, a.Visible = g(a.ID("due_days")), v.Get(a.ID("visible_to_customer")) != ""
		a.Template, a.Stage, a.Field, a.Value, a.Survey = g(a.ID("template")), g(a.ID("stage")), g(a.ID("field")), g(a.ID("value")), g(a.ID("survey"))
		for j := 0; ; j++ {
			s := newStep(a, j)
			if _, ok := v[s.ID("to")]; !ok {
				break
			}
			s.To, s.After = g(s.ID("to")), g(s.ID("after_minutes"))
			a.Ladder = append(a.Ladder, s)
		}
		f.Actions = append(f.Actions, a)
	}
	return f
}

// playbook is the definition the form describes: blank rows are left
// out, numbers typed as values become numbers, lists are comma-separated.
// A number that does not read as one is refused here, naming its input.
func (f *pbForm) playbook() (onboardiq.Playbook, error) {
	p := onboardiq.Playbook{Name: f.Name, Description: f.Description, Subject: f.Subject, Enabled: f.Enabled}
	f.ruleRows, f.actionRows, f.ladderRows = nil, nil, map[int][]int{}
	var err error
	num := func(s, path string) int {
		if s == "" || err != nil {
			return 0
		}
		n, e := strconv.Atoi(s)
		if e != nil {
			err = onboardiq.Invalid(path, "must be a whole number")
		}
		return n
	}
	switch f.TriggerKind {
	case "schedule":
		p.Trigger.Schedule = f.Schedule
		p.Trigger.Days = num(f.Days, "trigger.days")
		p.Trigger.Score = num(f.Score, "trigger.score")
		if f.Percent != "" && err == nil {
			x, e := strconv.ParseFloat(f.Percent, 64)
			if e != nil {
				err = onboardiq.Invalid("trigger.percent", "must be a number")
			}
			p.Trigger.Percent = x
		}
	default:
		p.Trigger.Event = f.Event
	}
	p.Conditions.Match = f.Match
	for i, r := range f.Rules {
		if r.Field == "" && r.Value == "" {
			continue // a blank row
		}
		c := onboardiq.PlaybookCondition{Field: r.Field, Op: r.Op}
		switch r.Op {
		case "is_set", "is_not_set":
		case "in", "not_in":
			list := []any{}
			for _, s := range strings.Split(r.Value, ",") {
				if s = strings.TrimSpace(s); s != "" {
					list = append(list, typed(s))
				}
			}
			c.Value = list
		default:
			if r.Value != "" {
				c.Value = typed(r.Value)
			}
		}
		p.Conditions.Rules = append(p.Conditions.Rules, c)
		f.ruleRows = append(f.ruleRows, i)
	}
	for i, a := range f.Actions {
		if a.Type == "" {
			continue // a blank action
		}
		n := len(p.Actions)
		// Only the inputs of the action's type: the others show (without
		// script) but do not apply.
		x := onboardiq.PlaybookAction{Type: a.Type}
		switch a.Type {
		case "webhook":
			x.URL, x.Format = a.URL, a.Format
		case "email":
			x.To, x.Subject, x.Body, x.EmailTemplate = splitList(a.To), a.Subject, a.Body, a.EmailTemplate
		case "notify":
			x.To, x.Subject, x.Body = splitList(a.To), a.Subject, a.Body
		case "create_task":
			x.Task, x.Assignee, x.VisibleToCustomer = a.Task, a.Assignee, a.Visible
			x.DueDays = num(a.DueDays, fmt.Sprintf("actions[%d].due_days", n))
		case "start_project":
			x.Template = a.Template
		case "set_stage":
			x.Stage = a.Stage
		case "set_field":
			x.Field = a.Field
			if a.Value != "" {
				x.Value = typed(a.Value)
			}
		case "survey":
			x.Survey = a.Survey
		case "escalate":
			x.Subject, x.Body = a.Subject, a.Body
		default: // an unknown type: everything, for the store to judge
			x = onboardiq.PlaybookAction{Type: a.Type, URL: a.URL, Format: a.Format, To: splitList(a.To), Subject: a.Subject, Body: a.Body,
				EmailTemplate: a.EmailTemplate, Task: a.Task, Assignee: a.Assignee, Template: a.Template, Stage: a.Stage, Field: a.Field}
		}
		for j, s := range a.Ladder {
			if a.Type != "escalate" {
				break
			}
			if s.To == "" && s.After == "" {
				continue
			}
			x.Ladder = append(x.Ladder, onboardiq.EscalationStep{To: s.To, AfterMinutes: num(s.After, fmt.Sprintf("actions[%d].ladder[%d].after_minutes", n, len(x.Ladder)))})
			f.ladderRows[i] = append(f.ladderRows[i], j)
		}
		p.Actions = append(p.Actions, x)
		f.actionRows = append(f.actionRows, i)
	}
	p.CooldownMinutes = num(f.Cooldown, "cooldown_minutes")
	p.MaxRunsPerDay = num(f.MaxRuns, "max_runs_per_day")
	return p, err
}

// typed is a value as typed: a number when it reads as one, true and
// false booleans, anything else text.
func typed(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		return x
	}
	return s
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func numText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func floatText(x float64) string {
	if x == 0 {
		return ""
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// valueText is a condition's or a field's value as the form shows it.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = valueText(e)
		}
		return strings.Join(parts, ", ")
	case []string:
		return strings.Join(x, ", ")
	}
	return fmt.Sprint(v)
}

func definitionJSON(p *onboardiq.Playbook) string {
	d := p.Definition()
	if d.Conditions.Rules == nil {
		d.Conditions.Rules = []onboardiq.PlaybookCondition{}
	}
	if d.Actions == nil {
		d.Actions = []onboardiq.PlaybookAction{}
	}
	b, _ := json.MarshalIndent(d, "", "  ")
	return string(b)
}

// fromJSON reads the JSON view's definition.
func fromJSON(s string) (onboardiq.Playbook, error) {
	var d onboardiq.PlaybookDefinition
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return onboardiq.Playbook{}, onboardiq.Invalid("json", "is not a playbook's definition: %v", err)
	}
	if dec.More() {
		return onboardiq.Playbook{}, onboardiq.Invalid("json", "holds more than one definition")
	}
	return d.Playbook(), nil
}

var pathPart = regexp.MustCompile(`^([a-z_]+)(?:\[(\d+)\])?$`)

// idFor is the id of the input a store error's path ("actions[1].url",
// "conditions.rules[0].op", "trigger.days") is about, through the rows
// the playbook's rules, actions and steps came from; "" when none.
func (f *pbForm) idFor(field string) string {
	if field == "" {
		return ""
	}
	if field == "json" {
		return "json"
	}
	var parts []string
	action := -1
	for _, seg := range strings.Split(field, ".") {
		m := pathPart.FindStringSubmatch(seg)
		if m == nil {
			return ""
		}
		name, idx := m[1], -1
		if m[2] != "" {
			idx, _ = strconv.Atoi(m[2])
		}
		switch {
		case name == "rules" && idx >= 0:
			if idx >= len(f.ruleRows) {
				return ""
			}
			parts = append(parts, "rules", strconv.Itoa(f.ruleRows[idx]))
		case name == "actions" && idx >= 0:
			if idx >= len(f.actionRows) {
				return ""
			}
			action = f.actionRows[idx]
			parts = append(parts, "actions", strconv.Itoa(action))
		case name == "ladder" && idx >= 0 && action >= 0:
			rows := f.ladderRows[action]
			if idx >= len(rows) {
				parts = append(parts, "ladder", "0")
			} else {
				parts = append(parts, "ladder", strconv.Itoa(rows[idx]))
			}
		default:
			parts = append(parts, name) // to[2] is the to input
		}
	}
	id := strings.Join(parts, "-")
	switch {
	case id == "trigger":
		if f.TriggerKind == "schedule" {
			return "trigger-schedule"
		}
		return "trigger-event"
	case id == "actions":
		return "actions-0-type"
	case id == "conditions" || id == "conditions-rules":
		return "conditions-match"
	case regexp.MustCompile(`^conditions-rules-\d+$`).MatchString(id):
		return id + "-field"
	case regexp.MustCompile(`^actions-\d+-ladder-\d+$`).MatchString(id):
		return id + "-to"
	case regexp.MustCompile(`^actions-\d+$`).MatchString(id):
		return id + "-type"
	}
	return id
}

// knows reports whether the form has an input id.
func (f *pbForm) knows(id string) bool {
	switch id {
	case "name", "description", "subject", "trigger-event", "trigger-schedule", "trigger-days", "trigger-percent", "trigger-score",
		"conditions-match", "cooldown_minutes", "max_runs_per_day", "json":
		return true
	}
	for _, r := range f.Rules {
		if strings.HasPrefix(id, r.P+"-") {
			return true
		}
	}
	for _, a := range f.Actions {
		if strings.HasPrefix(id, a.P+"-") {
			for _, s := range a.Ladder {
				if strings.HasPrefix(id, s.P+"-") {
					return true
				}
			}
			return !strings.Contains(strings.TrimPrefix(id, a.P+"-"), "ladder")
		}
	}
	return false
}

// refuse places err beside the input it names, or above the form.
func (f *pbForm) refuse(err error) {
	if id := f.idFor(onboardiq.ErrorField(err)); id != "" && f.knows(id) {
		f.Errs[id] = onboardiq.ErrorMessage(err)
		return
	}
	f.Error = errText(err)
}

// Words for the pages.

// triggerWords says what starts p.
func triggerWords(t onboardiq.PlaybookTrigger) string {
	if t.Event != "" {
		return "Event: " + onboardiq.EventKind(t.Event).Label()
	}
	d := plural(t.Days, "day")
	switch t.Schedule {
	case onboardiq.ScheduleRenewal:
		return "Renewal in " + d + " or fewer"
	case onboardiq.ScheduleNoActivity:
		return "No customer activity for " + d
	case onboardiq.ScheduleUsageChange:
		return fmt.Sprintf("Usage changed by %s%% or more over %s", strconv.FormatFloat(t.Percent, 'f', -1, 64), d)
	case onboardiq.ScheduleHealthBelow:
		return fmt.Sprintf("Health below %d for %s", t.Score, d)
	case onboardiq.ScheduleTaskBlocked:
		return "A task blocked for " + d
	case onboardiq.ScheduleAtRisk:
		return "A project at risk"
	}
	return t.Schedule
}

func opWords(op string) string {
	for _, o := range pbOps {
		if o.Op == op {
			return o.Label
		}
	}
	return op
}

func actionTypeWords(t string) string {
	for _, a := range pbActionTypes {
		if a.Type == t {
			return a.Label
		}
	}
	return t
}

// actionWords says what an action does, without a subject.
func actionWords(a onboardiq.PlaybookAction) string {
	switch a.Type {
	case "webhook":
		if a.URL == "" {
			return "Send a webhook (" + a.Format + ") — no URL yet"
		}
		return "POST the " + a.Format + " body to " + a.URL
	case "email":
		if a.EmailTemplate != "" {
			return "Email the " + a.EmailTemplate + " template to " + strings.Join(a.To, ", ")
		}
		return "Email " + strings.Join(a.To, ", ") + ": " + a.Subject
	case "notify":
		return "Notify " + strings.Join(a.To, ", ") + ": " + a.Subject
	case "create_task":
		return "Create the task “" + a.Task + "” for " + a.Assignee + ", due in " + plural(a.DueDays, "day")
	case "start_project":
		return "Start a project from the template " + a.Template
	case "set_stage":
		return "Set the journey stage to " + a.Stage
	case "set_field":
		return "Set " + a.Field + " to " + valueText(a.Value)
	case "escalate":
		var steps []string
		for _, s := range a.Ladder {
			steps = append(steps, fmt.Sprintf("%s after %d min", s.To, s.AfterMinutes))
		}
		return "Escalate: " + strings.Join(steps, ", then ")
	case "survey":
		return "Send the " + strings.ToUpper(a.Survey) + " survey to the contacts"
	}
	return a.Type
}

// The pages.

type playbooksData struct {
	*postgres.PlaybooksPage
	ImportError string
	RowErrors   map[uuid.UUID]string
}

// Trigger says what starts a playbook, in words.
func (playbooksData) Trigger(t onboardiq.PlaybookTrigger) string { return triggerWords(t) }

type playbookData struct {
	*postgres.PlaybookPage
	Form        *pbForm
	DryRun      *onboardiq.DryRun
	RunCustomer string
	RunError    string
	EnableError string
	DeleteError string
}

func (playbookData) Ops() any         { return pbOps }
func (playbookData) ActionTypes() any { return pbActionTypes }
func (playbookData) Schedules() any   { return pbSchedules }

func (playbookData) Trigger(t onboardiq.PlaybookTrigger) string { return triggerWords(t) }
func (playbookData) OpWords(op string) string                   { return opWords(op) }
func (playbookData) ValueText(v any) string                     { return valueText(v) }
func (playbookData) ActionWords(a onboardiq.PlaybookAction) string {
	return actionWords(a)
}
func (playbookData) TypeWords(t string) string { return actionTypeWords(t) }

// RunTrigger says what started a run: an event kind's label, a
// schedule's, or by hand.
func (playbookData) RunTrigger(s string) string {
	if s == "manual" {
		return "by hand"
	}
	if l := onboardiq.EventKind(s).Label(); l != s {
		return l
	}
	k := strings.TrimPrefix(s, "schedule:")
	for _, x := range pbSchedules {
		if x.Key == k {
			return x.Label
		}
	}
	return s
}

// Action is the URL the form posts to.
func (d playbookData) Action() string {
	if d.Playbook == nil {
		return "/app/playbooks"
	}
	return "/app/playbooks/" + d.Playbook.ID.String()
}

func (h *Handler) playbooks(w http.ResponseWriter, r *http.Request) error {
	return h.renderPlaybooks(w, r, http.StatusOK, playbooksData{})
}

func (h *Handler) renderPlaybooks(w http.ResponseWriter, r *http.Request, status int, d playbooksData) error {
	pg, err := h.DB.LoadPlaybooksPage(r.Context())
	if err != nil {
		return err
	}
	d.PlaybooksPage = pg
	return h.render(w, r, status, "playbooks.html", view{Title: "Playbooks", Data: d, Unread: pg.Unread, counted: true})
}

// renderPlaybook shows a playbook's page (id nil: the new-playbook form),
// with d's form, dry run and errors.
func (h *Handler) renderPlaybook(w http.ResponseWriter, r *http.Request, status int, id *uuid.UUID, d playbookData) error {
	pg, err := h.DB.LoadPlaybookPage(r.Context(), id)
	if err != nil {
		return err
	}
	d.PlaybookPage = pg
	if d.Form == nil {
		d.Form = pbFormOf(pg.Playbook)
	}
	title := "New playbook"
	if pg.Playbook != nil {
		title = pg.Playbook.Name
	}
	return h.render(w, r, status, "playbook.html", view{Title: title, Data: d, Unread: pg.Unread, counted: true})
}

func (h *Handler) playbookNew(w http.ResponseWriter, r *http.Request) error {
	return h.renderPlaybook(w, r, http.StatusOK, nil, playbookData{})
}

func (h *Handler) playbookPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return h.renderPlaybook(w, r, http.StatusOK, &id, playbookData{})
}

// playbookForm reads a sent playbook: the JSON view's definition when its
// button was used, the form's fields otherwise.
func playbookForm(r *http.Request) (*pbForm, onboardiq.Playbook, error) {
	if r.Form.Has("json") && r.FormValue("view") == "json" {
		s := r.FormValue("json")
		p, err := fromJSON(s)
		f := pbFormOf(&p)
		if err != nil {
			f = pbFormOf(nil)
		}
		f.JSON, f.JSONOpen = s, true
		return f, p, err
	}
	f := pbFormFrom(r.Form)
	p, err := f.playbook()
	f.JSON = definitionJSON(&p)
	return f, p, err
}

// refusePlaybook shows the form again with err beside its input; the JSON
// view's error is shown beside the JSON too.
func (h *Handler) refusePlaybook(w http.ResponseWriter, r *http.Request, id *uuid.UUID, f *pbForm, err error) error {
	f.refuse(err)
	if f.JSONOpen && f.Errs["json"] == "" {
		f.Errs["json"] = errText(err)
	}
	return h.renderPlaybook(w, r, http.StatusUnprocessableEntity, id, playbookData{Form: f})
}

func (h *Handler) playbookCreate(w http.ResponseWriter, r *http.Request) error {
	f, in, err := playbookForm(r)
	if err == nil {
		in.Enabled = false // enabled with its own button, once it needs no setup
		var p *onboardiq.Playbook
		if p, err = h.DB.CreatePlaybook(r.Context(), in); err == nil {
			h.redirectFlash(w, r, "/app/playbooks/"+p.ID.String(), "Created the playbook "+p.Name+". It is disabled until you enable it.")
			return nil
		}
	}
	if !aboutInput(err) {
		return err
	}
	return h.refusePlaybook(w, r, nil, f, err)
}

func (h *Handler) playbookSave(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, in, err := playbookForm(r)
	if err == nil {
		if !f.JSONOpen {
			// The form does not enable or disable: the playbook stays as it is.
			var cur *onboardiq.Playbook
			if cur, err = h.DB.GetPlaybook(r.Context(), id); err != nil {
				return err
			}
			in.Enabled = cur.Enabled
		}
		var p *onboardiq.Playbook
		if p, err = h.DB.UpdatePlaybook(r.Context(), id, in); err == nil {
			h.redirectFlash(w, r, "/app/playbooks/"+p.ID.String(), "Saved the playbook "+p.Name+".")
			return nil
		}
	}
	if !aboutInput(err) {
		return err
	}
	return h.refusePlaybook(w, r, &id, f, err)
}

// playbookEnable enables or disables a playbook, from the list (back=list)
// or its page; a refusal (it needs setup) is shown beside the button.
func (h *Handler) playbookEnable(enabled bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		fromList := r.FormValue("back") == "list"
		p, err := h.DB.SetPlaybookEnabled(r.Context(), id, enabled)
		if err != nil && !aboutInput(err) {
			return err
		}
		if err != nil {
			if fromList {
				return h.renderPlaybooks(w, r, http.StatusUnprocessableEntity, playbooksData{RowErrors: map[uuid.UUID]string{id: errText(err)}})
			}
			return h.renderPlaybook(w, r, http.StatusUnprocessableEntity, &id, playbookData{EnableError: errText(err)})
		}
		to, msg := "/app/playbooks/"+id.String(), "Enabled "+p.Name+"."
		if !enabled {
			msg = "Disabled " + p.Name + "."
		}
		if fromList {
			to = "/app/playbooks"
		}
		h.redirectFlash(w, r, to, msg)
		return nil
	}
}

// playbookDelete deletes a playbook once the confirmation box is ticked.
func (h *Handler) playbookDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if r.FormValue("confirm") == "" {
		// Asked of the store first, so that who may not delete is refused as such.
		pg, err := h.DB.LoadPlaybookPage(r.Context(), &id)
		if err != nil {
			return err
		}
		if !pg.CanManage {
			return onboardiq.Errorf(onboardiq.EFORBIDDEN, "you may not manage playbooks")
		}
		return h.renderPlaybook(w, r, http.StatusUnprocessableEntity, &id, playbookData{DeleteError: "Tick the box to confirm: the playbook and its executions are deleted."})
	}
	p, err := h.DB.GetPlaybook(r.Context(), id)
	if err != nil {
		return err
	}
	if err := h.DB.DeletePlaybook(r.Context(), id); err != nil {
		if aboutInput(err) {
			return h.renderPlaybook(w, r, http.StatusUnprocessableEntity, &id, playbookData{DeleteError: errText(err)})
		}
		return err
	}
	h.redirectFlash(w, r, "/app/playbooks", "Deleted the playbook "+p.Name+" and its executions.")
	return nil
}

// playbookRun runs a playbook by hand on the chosen customer.
func (h *Handler) playbookRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	customer := r.FormValue("customer_id")
	cid, perr := uuid.Parse(customer)
	var run *onboardiq.PlaybookRun
	if perr != nil {
		err = onboardiq.Invalid("customer_id", "choose a customer")
	} else {
		run, err = h.DB.RunPlaybook(r.Context(), id, postgres.RunInput{CustomerID: cid})
	}
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		return h.renderPlaybook(w, r, http.StatusUnprocessableEntity, &id, playbookData{RunCustomer: customer, RunError: onboardiq.ErrorMessage(err)})
	}
	msg := "Ran on " + run.CustomerName + ": " + run.Status
	if run.Reason != "" {
		msg += " (" + run.Reason + ")"
	}
	h.redirectFlash(w, r, "/app/playbooks/"+id.String()+"#runs", msg+".")
	return nil
}

// playbookDryRun shows the page with what the playbook would do now.
func (h *Handler) playbookDryRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	dr, err := h.DB.DryRunPlaybook(r.Context(), id)
	if err != nil {
		return err
	}
	return h.renderPlaybook(w, r, http.StatusOK, &id, playbookData{DryRun: dr})
}

// playbooksExport downloads every playbook as code.
func (h *Handler) playbooksExport(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "yaml"
	}
	if format != "yaml" && format != "json" {
		return onboardiq.Invalid("format", "is yaml or json")
	}
	b, err := h.DB.ExportPlaybooks(r.Context(), format)
	if err != nil {
		return err
	}
	ct := "application/yaml"
	if format == "json" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct+"; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="playbooks.`+format+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
	return nil
}

// playbooksImport reads an uploaded file of playbooks as code.
func (h *Handler) playbooksImport(w http.ResponseWriter, r *http.Request) error {
	var data []byte
	format := ""
	file, hdr, err := r.FormFile("file")
	if err == nil {
		defer file.Close()
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, file); err != nil {
			return err
		}
		data = buf.Bytes()
		switch strings.ToLower(path.Ext(hdr.Filename)) {
		case ".json":
			format = "json"
		case ".yaml", ".yml":
			format = "yaml"
		}
	}
	var res *postgres.ImportResult
	if len(bytes.TrimSpace(data)) == 0 {
		err = onboardiq.Invalid("file", "choose a YAML or JSON file of playbooks")
	} else {
		res, err = h.DB.ImportPlaybooks(r.Context(), data, format)
	}
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		return h.renderPlaybooks(w, r, http.StatusUnprocessableEntity, playbooksData{ImportError: errText(err)})
	}
	h.redirectFlash(w, r, "/app/playbooks", fmt.Sprintf("Imported: %d created, %d updated.", res.Created, res.Updated))
	return nil
}

// escalationAcknowledge stops an escalation ladder, and goes back to the
// notifications or to next (a console path).
func (h *Handler) escalationAcknowledge(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	e, err := h.DB.AcknowledgeEscalation(r.Context(), id)
	if err != nil {
		return err
	}
	to := "/app/notifications"
	if next, ok := safeNext(r.FormValue("next"), "/app"); ok {
		to = next
	}
	msg := "Acknowledged: nobody else is told."
	if e != nil && e.PlaybookName != "" {
		msg = "Acknowledged the escalation of " + e.PlaybookName + ": nobody else is told."
	}
	h.redirectFlash(w, r, to, msg)
	return nil
}

// setupPath reads a needs-setup path: actions[I].FIELD or
// actions[I].ladder[J].to.
var setupPath = regexp.MustCompile(`^actions\[(\d+)\]\.(url|to|to\[(\d+)\]|ladder\[(\d+)\]\.to)$`)

// setupWords says in words what a playbook needs set (playbook.NeedsSetup's
// paths): "action 1: the webhook URL".
func setupWords(path string) string {
	m := setupPath.FindStringSubmatch(path)
	if m == nil {
		return path
	}
	n, _ := strconv.Atoi(m[1])
	what := "recipients"
	switch {
	case m[2] == "url":
		what = "the webhook URL"
	case m[3] != "":
		j, _ := strconv.Atoi(m[3])
		what = fmt.Sprintf("recipient %d (a user's email)", j+1)
	case m[4] != "":
		j, _ := strconv.Atoi(m[4])
		what = fmt.Sprintf("who escalation step %d goes to", j+1)
	}
	return fmt.Sprintf("action %d: %s", n+1, what)
}
