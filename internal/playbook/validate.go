package playbook

import (
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/onboardiq/onboardiq"
)

// The action types.
var actionTypes = []string{"webhook", "email", "notify", "create_task", "start_project", "set_stage", "set_field", "escalate", "survey"}

var roles = []string{"admin", "csm", "sales_leader", "viewer"}

var schedules = []string{
	onboardiq.ScheduleRenewal, onboardiq.ScheduleNoActivity, onboardiq.ScheduleUsageChange,
	onboardiq.ScheduleHealthBelow, onboardiq.ScheduleTaskBlocked, onboardiq.ScheduleAtRisk,
}

func normalise(p *onboardiq.Playbook) {
	p.Name = strings.TrimSpace(p.Name)
	p.Subject = strings.TrimSpace(p.Subject)
	if p.Subject == "" {
		p.Subject = "customer"
	}
	p.Trigger.Event = strings.TrimSpace(p.Trigger.Event)
	p.Trigger.Schedule = strings.TrimSpace(p.Trigger.Schedule)
	if p.Conditions.Match == "" {
		p.Conditions.Match = "all"
	}
	if p.Conditions.Rules == nil {
		p.Conditions.Rules = []onboardiq.PlaybookCondition{}
	}
	for i := range p.Conditions.Rules {
		r := &p.Conditions.Rules[i]
		r.Field = strings.TrimSpace(r.Field)
		r.Op = strings.TrimSpace(r.Op)
		r.Value = scalar(r.Value)
	}
	if p.Actions == nil {
		p.Actions = []onboardiq.PlaybookAction{}
	}
	for i := range p.Actions {
		a := &p.Actions[i]
		a.Type = strings.TrimSpace(a.Type)
		a.URL = strings.TrimSpace(a.URL)
		if a.Type == "webhook" && a.Format == "" {
			a.Format = "standard"
		}
		var to []string
		for _, t := range a.To {
			if t = strings.TrimSpace(t); t != "" {
				to = append(to, t)
			}
		}
		a.To = to
		a.EmailTemplate = strings.TrimSpace(a.EmailTemplate)
		a.Task = strings.TrimSpace(a.Task)
		a.Assignee = strings.TrimSpace(a.Assignee)
		a.Template = strings.TrimSpace(a.Template)
		a.Stage = strings.TrimSpace(a.Stage)
		a.Field = strings.TrimSpace(a.Field)
		a.Value = scalar(a.Value)
		for j := range a.Ladder {
			a.Ladder[j].To = strings.TrimSpace(a.Ladder[j].To)
		}
	}
}

func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// recipient checks one "to": csm, contacts (when allowed), role:ROLE,
// user:EMAIL or user: (to be set).
func recipient(to string, contacts bool) string {
	switch {
	case to == "csm":
		return ""
	case to == "contacts":
		if contacts {
			return ""
		}
		return "the customer's contacts can only be emailed or surveyed"
	case strings.HasPrefix(to, "role:"):
		if slices.Contains(roles, strings.TrimPrefix(to, "role:")) {
			return ""
		}
		return "role must be one of admin, csm, sales_leader, viewer"
	case strings.HasPrefix(to, "user:"):
		if e := strings.TrimPrefix(to, "user:"); e == "" || isEmail(e) {
			return ""
		}
		return "user: must be followed by an email address"
	}
	return `must be "csm", "contacts", "role:ROLE" or "user:EMAIL"`
}

func inKnown(list []string, s string) bool { return list == nil || slices.Contains(list, s) }

func projectKind(k string) bool {
	for _, p := range []string{"project.", "task.", "milestone.", "survey."} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func validate(p *onboardiq.Playbook, k Known) error {
	if n := utf8.RuneCountInString(p.Name); n == 0 {
		return onboardiq.Invalid("name", "a playbook needs a name")
	} else if n > 200 {
		return onboardiq.Invalid("name", "at most 200 characters")
	}
	if utf8.RuneCountInString(p.Description) > 2000 {
		return onboardiq.Invalid("description", "at most 2000 characters")
	}
	if p.Subject != "customer" && p.Subject != "project" {
		return onboardiq.Invalid("subject", "must be customer or project")
	}
	if err := validateTrigger(p); err != nil {
		return err
	}
	c := p.Conditions
	if c.Match != "all" && c.Match != "any" {
		return onboardiq.Invalid("conditions.match", "must be all or any")
	}
	if len(c.Rules) > 20 {
		return onboardiq.Invalid("conditions.rules", "at most 20 conditions")
	}
	for i, r := range c.Rules {
		at := fmt.Sprintf("conditions.rules[%d].", i)
		if !knownField(r.Field) {
			return onboardiq.Invalid(at+"field", "unknown field %q (docs/playbooks.md lists them)", r.Field)
		}
		if !slices.Contains(ops, r.Op) {
			return onboardiq.Invalid(at+"op", "must be one of %s", strings.Join(ops, ", "))
		}
		switch r.Op {
		case "in", "not_in":
			list, ok := r.Value.([]any)
			if !ok || len(list) == 0 {
				return onboardiq.Invalid(at+"value", "%s needs a list of values", r.Op)
			}
			for _, v := range list {
				if !isScalar(v) {
					return onboardiq.Invalid(at+"value", "each value must be a string, a number or a boolean")
				}
			}
		case "is_set", "is_not_set":
			if r.Value != nil {
				return onboardiq.Invalid(at+"value", "%s takes no value", r.Op)
			}
		default:
			if !isScalar(r.Value) {
				return onboardiq.Invalid(at+"value", "%s needs one string, number or boolean", r.Op)
			}
		}
	}
	if len(p.Actions) == 0 {
		return onboardiq.Invalid("actions", "a playbook needs at least one action")
	}
	if len(p.Actions) > 20 {
		return onboardiq.Invalid("actions", "at most 20 actions")
	}
	for i, a := range p.Actions {
		if err := validateAction(fmt.Sprintf("actions[%d].", i), a, k); err != nil {
			return err
		}
	}
	if p.CooldownMinutes < 0 || p.CooldownMinutes > 525600 {
		return onboardiq.Invalid("cooldown_minutes", "must be between 0 and 525600 (a year)")
	}
	if p.MaxRunsPerDay < 0 || p.MaxRunsPerDay > 100000 {
		return onboardiq.Invalid("max_runs_per_day", "must be between 0 and 100000")
	}
	return nil
}

func validateTrigger(p *onboardiq.Playbook) error {
	t := p.Trigger
	switch {
	case t.Event == "" && t.Schedule == "":
		return onboardiq.Invalid("trigger", "set an event or a schedule")
	case t.Event != "" && t.Schedule != "":
		return onboardiq.Invalid("trigger", "set an event or a schedule, not both")
	case t.Event != "":
		if !slices.Contains(onboardiq.EventKinds, onboardiq.EventKind(t.Event)) {
			return onboardiq.Invalid("trigger.event", "unknown event kind %q", t.Event)
		}
		if p.Subject == "project" && !projectKind(t.Event) {
			return onboardiq.Invalid("trigger.event", "a project playbook needs a project, task, milestone or survey event")
		}
		return nil
	}
	if !slices.Contains(schedules, t.Schedule) {
		return onboardiq.Invalid("trigger.schedule", "must be one of %s", strings.Join(schedules, ", "))
	}
	if t.Days < 0 || t.Days > 3650 {
		return onboardiq.Invalid("trigger.days", "must be between 0 and 3650")
	}
	switch t.Schedule {
	case onboardiq.ScheduleRenewal, onboardiq.ScheduleNoActivity, onboardiq.ScheduleTaskBlocked, onboardiq.ScheduleUsageChange:
		if t.Days < 1 {
			return onboardiq.Invalid("trigger.days", "%s needs days of at least 1", t.Schedule)
		}
	}
	if t.Schedule == onboardiq.ScheduleUsageChange && !(t.Percent != 0 && t.Percent >= -100 && t.Percent <= 10000) {
		return onboardiq.Invalid("trigger.percent", "usage_change needs a percent other than 0, from -100 to 10000 (-30: fell by 30%%)")
	}
	if t.Schedule == onboardiq.ScheduleHealthBelow && (t.Score < 1 || t.Score > 100) {
		return onboardiq.Invalid("trigger.score", "health_below needs a score from 1 to 100")
	}
	if t.Schedule == onboardiq.ScheduleAtRisk && p.Subject != "project" {
		return onboardiq.Invalid("subject", "project_at_risk needs subject project")
	}
	return nil
}

func validateAction(at string, a onboardiq.PlaybookAction, k Known) error {
	if !slices.Contains(actionTypes, a.Type) {
		return onboardiq.Invalid(at+"type", "must be one of %s", strings.Join(actionTypes, ", "))
	}
	checkTo := func(contacts bool) error {
		if len(a.To) > 20 {
			return onboardiq.Invalid(at+"to", "at most 20 recipients")
		}
		for j, to := range a.To {
			if msg := recipient(to, contacts); msg != "" {
				return onboardiq.Invalid(fmt.Sprintf("%sto[%d]", at, j), "%s", msg)
			}
		}
		return nil
	}
	if utf8.RuneCountInString(a.Subject) > 300 {
		return onboardiq.Invalid(at+"subject", "at most 300 characters")
	}
	if utf8.RuneCountInString(a.Body) > 20000 {
		return onboardiq.Invalid(at+"body", "at most 20000 characters")
	}
	switch a.Type {
	case "webhook":
		if a.URL != "" {
			u, err := url.Parse(a.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(a.URL) > 2000 {
				return onboardiq.Invalid(at+"url", "must be an http or https URL")
			}
		}
		if a.Format != "standard" && a.Format != "n8n" && a.Format != "slack" {
			return onboardiq.Invalid(at+"format", "must be standard, n8n or slack")
		}
	case "email":
		if err := checkTo(true); err != nil {
			return err
		}
		if a.EmailTemplate != "" {
			if k.EmailKinds != nil && !slices.Contains(k.EmailKinds, a.EmailTemplate) {
				return onboardiq.Invalid(at+"email_template", "no email template %q", a.EmailTemplate)
			}
		} else {
			if strings.TrimSpace(a.Subject) == "" {
				return onboardiq.Invalid(at+"subject", "an email needs a subject, or an email template")
			}
			if strings.TrimSpace(a.Body) == "" {
				return onboardiq.Invalid(at+"body", "an email needs a body, or an email template")
			}
		}
	case "notify":
		if err := checkTo(false); err != nil {
			return err
		}
		if strings.TrimSpace(a.Subject) == "" && strings.TrimSpace(a.Body) == "" {
			return onboardiq.Invalid(at+"subject", "a notification needs a subject or a body")
		}
	case "create_task":
		if a.Task == "" {
			return onboardiq.Invalid(at+"task", "name the task")
		}
		if utf8.RuneCountInString(a.Task) > 500 {
			return onboardiq.Invalid(at+"task", "at most 500 characters")
		}
		switch {
		case a.Assignee == "", a.Assignee == "csm":
		case strings.HasPrefix(a.Assignee, "user:") && isEmail(strings.TrimPrefix(a.Assignee, "user:")):
		case strings.HasPrefix(a.Assignee, "contact:") && isEmail(strings.TrimPrefix(a.Assignee, "contact:")):
		default:
			return onboardiq.Invalid(at+"assignee", `must be "csm", "user:EMAIL" or "contact:EMAIL"`)
		}
		if a.DueDays < 0 || a.DueDays > 3650 {
			return onboardiq.Invalid(at+"due_days", "must be between 0 and 3650")
		}
	case "start_project":
		if a.Template == "" {
			return onboardiq.Invalid(at+"template", "name the template")
		}
		if !inKnown(k.Templates, a.Template) {
			return onboardiq.Invalid(at+"template", "no template %q", a.Template)
		}
	case "set_stage":
		if a.Stage == "" {
			return onboardiq.Invalid(at+"stage", "name the stage")
		}
		if !inKnown(k.Stages, a.Stage) {
			return onboardiq.Invalid(at+"stage", "no journey stage %q", a.Stage)
		}
	case "set_field":
		if key, ok := strings.CutPrefix(a.Field, "cf."); !(a.Field == "segment" || a.Field == "lifecycle" || ok && keyRE.MatchString(key)) {
			return onboardiq.Invalid(at+"field", `must be "segment", "lifecycle" or "cf.KEY"`)
		}
		if !isScalar(a.Value) {
			return onboardiq.Invalid(at+"value", "must be a string, a number or a boolean")
		}
	case "escalate":
		if len(a.Ladder) == 0 || len(a.Ladder) > 10 {
			return onboardiq.Invalid(at+"ladder", "an escalation needs 1 to 10 steps")
		}
		for j, s := range a.Ladder {
			if msg := recipient(s.To, false); msg != "" {
				return onboardiq.Invalid(fmt.Sprintf("%sladder[%d].to", at, j), "%s", msg)
			}
			if s.AfterMinutes < 0 || s.AfterMinutes > 43200 {
				return onboardiq.Invalid(fmt.Sprintf("%sladder[%d].after_minutes", at, j), "must be between 0 and 43200")
			}
		}
	case "survey":
		if a.Survey != "csat" && a.Survey != "nps" {
			return onboardiq.Invalid(at+"survey", "must be csat or nps")
		}
	}
	return nil
}

func needsSetup(p *onboardiq.Playbook) []string {
	var need []string
	for i, a := range p.Actions {
		at := fmt.Sprintf("actions[%d].", i)
		switch a.Type {
		case "webhook":
			if a.URL == "" {
				need = append(need, at+"url")
			}
		case "email", "notify":
			if len(a.To) == 0 && (a.Type == "notify" || a.EmailTemplate == "") {
				need = append(need, at+"to")
			}
		}
		for j, to := range a.To {
			if to == "user:" {
				need = append(need, fmt.Sprintf("%sto[%d]", at, j))
			}
		}
		for j, s := range a.Ladder {
			if s.To == "user:" {
				need = append(need, fmt.Sprintf("%sladder[%d].to", at, j))
			}
		}
	}
	return need
}
