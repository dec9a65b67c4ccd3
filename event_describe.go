package onboardiq

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Describe says what an event did, in words that follow its actor's name:
// the activity log shows "Dana Whitfield completed “Configure SSO”" or
// "Priya Shah moved the due date of “Import data” to 4 Mar". It names the
// task or project (TaskName and ProjectName, read back with the event, else
// the names the event recorded) and, for a change, what changed. A kind it
// does not know reads as its Label.
func (e *Event) Describe() string {
	d := describer{e}
	switch e.Kind {
	case EventTenantCreated:
		return "created the workspace" + d.quoted(d.data("name"))
	case EventTenantSuspended:
		if r := d.data("reason"); r != "" {
			return "suspended the workspace" + ": " + r
		}
		return "suspended the workspace"
	case EventTenantResumed:
		return "resumed the workspace"
	case EventTenantDeletionScheduled:
		if at, err := time.Parse(time.RFC3339, d.data("delete_after")); err == nil {
			return "scheduled the workspace’s deletion for " + at.UTC().Format("2 Jan 2006")
		}
		return "scheduled the workspace’s deletion"
	case EventTenantDeletionCancelled:
		return "cancelled the workspace’s deletion"
	case EventTenantQuotasChanged:
		if t := d.data("subscription_tier"); t != "" {
			return "set the workspace’s tier (" + t + ") and quotas"
		}
		return "set the workspace’s quotas (no tier)"
	case EventQuotaWarning:
		q := Quota(d.data("quota"))
		return "warned that the workspace used " + fmt.Sprint(QuotaWarnPercent) + "% of its quota of " + q.Noun()
	case EventUserCreated:
		return d.userCreated()
	case EventUserUpdated:
		return d.userUpdated()
	case EventSignedIn:
		return "signed in"
	case EventTokenCreated:
		return "created the API token" + d.quoted(d.data("name"))
	case EventTokenRevoked:
		return "revoked an API token"
	case EventCustomerCreated:
		return "added the customer" + d.quoted(d.data("name"))
	case EventCustomerUpdated:
		if to, ok := d.changedTo("name"); ok {
			return "renamed the customer “" + d.changedFrom("name") + "” to “" + to + "”"
		}
		return "changed the customer’s " + d.fields(map[string]string{"contact_info": "contact details"})
	case EventSupportMemberAssigned:
		if to, _ := d.changedTo("support_member_id"); to == "" {
			return "removed the customer’s CSM"
		}
		return "assigned the customer’s CSM"
	case EventCustomerArchived:
		return "archived the customer"
	case EventCustomerUnarchived:
		return "unarchived the customer"
	case EventCustomerStageChanged:
		if name := d.data("stage_name"); name != "" {
			return "moved the customer to the stage" + d.quoted(name)
		}
		return "moved the customer to another journey stage"
	case EventCustomerHealthLevelChanged:
		if name := d.data("level_name"); name != "" {
			return fmt.Sprintf("health is now%s (score %d, was %d)", d.quoted(name), d.number("score"), d.number("previous_score"))
		}
		return "the customer’s health reached another level"
	case EventCustomerHealthDropped:
		return fmt.Sprintf("health dropped from %d to %d", d.number("previous_score"), d.number("score"))
	case EventUserInvited:
		if r := d.data("role"); r != "" && r != string(RoleCustomer) {
			return "invited" + d.quoted(d.data("email")) + " to the workspace"
		}
		return "invited" + d.quoted(d.data("email")) + " to the portal"
	case EventCustomerDeleted:
		return "deleted the customer" + d.quoted(d.data("name"))

	case EventProjectCreated:
		return "created the project" + d.quoted(d.project())
	case EventProjectUpdated:
		return d.projectUpdated()
	case EventProjectDeleted:
		return "deleted the project" + d.quoted(d.project())
	case EventProjectStatusChanged:
		return "moved" + d.quoted(d.project()) + " from " + d.status(d.changedFrom("status")) + " to " + d.status(d.changedToValue("status"))
	case EventProjectCompleted:
		return "completed the project" + d.quoted(d.project())
	case EventProjectOverdue:
		s := "flagged" + d.quoted(d.project()) + " overdue"
		if t, ok := d.time(d.nested("project", "deadline")); ok {
			s += ": it was due " + day(t)
		}
		return s
	case EventProjectAtRisk:
		return "flagged" + d.quoted(d.project()) + " at risk" + d.reason()
	case EventProjectPutOnHold:
		return "put" + d.quoted(d.project()) + " on hold" + d.reason()
	case EventProjectResumed:
		s := "resumed" + d.quoted(d.project())
		if n := d.number("held_days"); n > 0 {
			s += ", moving its dates by " + Plural(n, "day")
		}
		return s
	case EventProjectCancelled:
		return "cancelled" + d.quoted(d.project()) + d.reason()
	case EventProjectReopened:
		return "reopened" + d.quoted(d.project())

	case EventTaskCreated:
		return "added the task" + d.quoted(d.task())
	case EventTaskUpdated:
		return d.taskUpdated()
	case EventTaskStatusChanged:
		return "set" + d.quoted(d.task()) + " to " + d.status(d.changedToValue("status"))
	case EventTaskCompleted:
		return "completed" + d.quoted(d.task())
	case EventTaskBlocked:
		s := "marked" + d.quoted(d.task()) + " blocked"
		if r := d.data("blocked_reason"); r != "" {
			s += ": " + r
		}
		return s
	case EventTaskReopened:
		return "reopened" + d.quoted(d.task())
	case EventTaskDeleted:
		return "deleted the task" + d.quoted(d.task())
	case EventTaskCommented:
		return "commented on" + d.quoted(d.task())

	case EventArticleCreated:
		return "wrote the article" + d.quoted(d.data("title"))
	case EventArticleUpdated:
		if to, ok := d.changedTo("title"); ok {
			return "renamed the article “" + d.changedFrom("title") + "” to “" + to + "”"
		}
		return "changed an article’s " + d.fields(nil)
	case EventArticleDeleted:
		return "deleted the article" + d.quoted(d.data("title"))
	case EventTemplateCreated:
		return "created the template" + d.quoted(d.data("name"))
	case EventTemplateUpdated:
		if to, ok := d.changedTo("name"); ok {
			return "renamed the template “" + d.changedFrom("name") + "” to “" + to + "”"
		}
		return "changed a template’s " + d.fields(map[string]string{"is_default": "default"})
	case EventTemplateDeleted:
		return "deleted the template" + d.quoted(d.data("name"))
	case EventWebhookCreated:
		return "registered a webhook for " + orElse(d.data("url"), "an endpoint")
	case EventWebhookUpdated:
		if to, ok := d.changedTo("disabled"); ok {
			if to == "true" {
				return "disabled a webhook"
			}
			return "enabled a webhook"
		}
		return "changed a webhook’s " + d.fields(map[string]string{"url": "URL", "allow_http": "plain http"})
	case EventWebhookDeleted:
		return "deleted a webhook"
	case EventWebhookSecretRotated:
		return "rotated a webhook’s signing secret"
	case EventWebhookDisabled:
		return "disabled a webhook" + d.reason()
	case EventNotificationSettingsChanged:
		return "changed the notification settings: " + d.fields(map[string]string{"time_zone": "time zone", "escalate_to_admins_after_days": "escalation"})
	case EventBrandingChanged:
		return "changed the portal’s " + d.fields(map[string]string{"portal_name": "name", "accent_color": "accent colour"})
	case EventHolidaysChanged:
		return "changed the holidays: " + Plural(d.number("count"), "day") + " off"
	case EventEmailTemplateChanged:
		if d.data("reset") == "true" {
			return "reset the email" + d.quoted(d.data("label")) + " to the default"
		}
		return "changed the email" + d.quoted(d.data("label")) + ": " + d.fields(nil)
	case EventCustomFieldsChanged:
		verb := map[string]string{"created": "added", "deleted": "deleted"}[d.data("action")]
		if verb == "" {
			verb = "changed"
		}
		return verb + " the " + orElse(d.data("entity"), "custom") + " field" + d.quoted(d.data("label"))
	case EventBudgetSet:
		return "set the AI budget to " + fmt.Sprintf("%d tokens a month", d.number("monthly_tokens"))
	case EventAssistantQuestion:
		return "asked the support team a question"
	case EventConversationOpened:
		return "asked the CSM" + d.quoted(d.data("subject"))
	case EventConversationReplied:
		return "replied to" + orElse(d.quoted(d.data("subject")), " a conversation")
	case EventConversationClosed:
		return "closed the conversation" + d.quoted(d.data("subject"))
	case EventConversationReopened:
		return "reopened the conversation" + d.quoted(d.data("subject"))
	case EventUsageIngested:
		s := "sent " + Plural(d.number("accepted"), "usage event")
		if n := d.number("duplicates"); n > 0 {
			s += fmt.Sprintf(" (%d already received)", n)
		}
		if n := d.number("rejected"); n > 0 {
			s += fmt.Sprintf(", %d refused", n)
		}
		return s
	case EventUsageSettingsChanged:
		return "changed the usage settings: " + d.fields(map[string]string{"core_features": "core features", "retention_days": "retention"})
	case EventMilestonesChanged:
		verb := map[string]string{"created": "added", "updated": "changed", "deleted": "deleted"}[d.data("action")]
		return orElse(verb, "changed") + " the milestone" + d.quoted(d.data("name"))
	case EventMilestoneReached:
		return "reached the milestone" + d.quoted(d.data("name"))
	case EventSurveyRequested:
		return "sent " + surveyName(d.data("kind")) + " survey" + d.quoted(d.data("subject"))
	case EventSurveyAnswered:
		if d.data("score") == "" {
			break
		}
		return "answered " + surveyName(d.data("kind")) + " survey with " + d.data("score")
	case EventSurveySettingsChanged:
		return "changed the survey settings: " + d.fields(map[string]string{"csat_on_completion": "CSAT at completion",
			"csat_on_milestones": "CSAT at milestones", "nps_interval_days": "NPS interval"})
	case EventPlaybookCreated, EventPlaybookUpdated, EventPlaybookDeleted:
		verb := map[EventKind]string{EventPlaybookCreated: "created", EventPlaybookUpdated: "changed", EventPlaybookDeleted: "deleted"}[e.Kind]
		if on := d.data("enabled"); e.Kind == EventPlaybookUpdated && on != "" {
			verb = map[string]string{"true": "enabled", "false": "disabled"}[on]
		}
		return verb + " the playbook" + d.quoted(d.data("name"))
	case EventEscalationAcknowledged:
		return "acknowledged the escalation" + d.quoted(d.data("title"))
	case EventCRMSettingsChanged:
		if d.data("area") == "crm_rules" {
			return "changed the CRM mapping rules"
		}
		if d.data("provider") != "" {
			return "changed the " + CRMProvider(d.data("provider")).Label() + " connection"
		}
	}
	return e.Kind.Label()
}

// describer reads an event's recorded facts, as they come back from the
// log (JSON: numbers as float64, times as RFC 3339 text) or as emitted.
type describer struct{ e *Event }

func (d describer) data(key string) string { return text(d.e.Data[key]) }

func (d describer) nested(keys ...string) string {
	var v any = d.e.Data
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	return text(v)
}

func (d describer) number(key string) int {
	switch v := d.e.Data[key].(type) {
	case float64:
		return int(math.Round(v))
	case int:
		return v
	case int64:
		return int(v)
	}
	return 0
}

// change is the {"from", "to"} of a changed field, and whether it changed.
func (d describer) change(field string) (from, to any, ok bool) {
	c, ok := d.e.Changes[field].(map[string]any)
	if !ok {
		return nil, nil, false
	}
	return c["from"], c["to"], true
}

func (d describer) changedTo(field string) (string, bool) {
	_, to, ok := d.change(field)
	return text(to), ok
}

// changedToValue is what field changed to, or "".
func (d describer) changedToValue(field string) string {
	to, _ := d.changedTo(field)
	return to
}

func (d describer) changedFrom(field string) string {
	from, _, _ := d.change(field)
	return text(from)
}

// fields names the fields that changed ("name and contact details"), with
// names for those whose key does not read well, or "details" when none
// were recorded.
func (d describer) fields(names map[string]string) string {
	keys := make([]string, 0, len(d.e.Changes))
	for k := range d.e.Changes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if n, ok := names[k]; ok {
			keys[i] = n
		} else {
			keys[i] = strings.ReplaceAll(k, "_", " ")
		}
	}
	if len(keys) == 0 {
		return "details"
	}
	return list(keys)
}

func (d describer) task() string {
	return orElse(d.e.TaskName, d.data("description"))
}

func (d describer) project() string {
	return orElse(d.e.ProjectName, orElse(d.data("name"), d.nested("project", "name")))
}

func (d describer) reason() string {
	if r := d.data("reason"); r != "" {
		return ": " + r
	}
	return ""
}

// quoted is " “name”", or "" for no name.
func (describer) quoted(name string) string {
	if name == "" {
		return ""
	}
	return " “" + name + "”"
}

func (describer) status(s string) string {
	if s == "" {
		return "another status"
	}
	return strings.ReplaceAll(s, "_", " ")
}

func (describer) time(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

func (d describer) userCreated() string {
	s := "added " + orElse(d.data("email"), "a user")
	if r := d.data("role"); r != "" {
		s += " as " + article(strings.ReplaceAll(r, "_", " "))
	}
	return s
}

func (d describer) userUpdated() string {
	if to, ok := d.changedTo("disabled"); ok && len(d.e.Changes) == 1 {
		if to == "true" {
			return "disabled a user"
		}
		return "enabled a user"
	}
	if to, ok := d.changedTo("role"); ok && len(d.e.Changes) == 1 {
		return "made a user " + article(strings.ReplaceAll(to, "_", " "))
	}
	return "changed a user’s " + d.fields(nil)
}

func (d describer) projectUpdated() string {
	name := d.quoted(d.project())
	if len(d.e.Changes) == 1 {
		switch {
		case d.has("name"):
			return "renamed the project “" + d.changedFrom("name") + "” to “" + d.changedToValue("name") + "”"
		case d.has("deadline"):
			if t, ok := d.time(d.changedToValue("deadline")); ok {
				return "moved the deadline of" + name + " to " + day(t)
			}
			return "removed the deadline of" + name
		case d.has("description"):
			return "changed the description of" + name
		}
	}
	return "changed the " + d.fields(nil) + " of" + name
}

func (d describer) taskUpdated() string {
	name := d.quoted(d.task())
	if len(d.e.Changes) == 1 {
		switch {
		case d.has("description"):
			return "renamed the task “" + d.changedFrom("description") + "” to “" + d.changedToValue("description") + "”"
		case d.has("due_at"):
			if t, ok := d.time(d.changedToValue("due_at")); ok {
				return "moved the due date of" + name + " to " + day(t)
			}
			return "removed the due date of" + name
		case d.has("assigned_to"):
			if d.changedToValue("assigned_to") == "" {
				return "unassigned" + name
			}
			return "reassigned" + name
		case d.has("visibility"):
			if d.changedToValue("visibility") == string(VisibilityInternal) {
				return "made" + name + " internal"
			}
			return "made" + name + " visible to the customer"
		case d.has("phase"):
			return "moved" + name + " to the phase “" + d.changedToValue("phase") + "”"
		case d.has("position"):
			return "reordered" + name
		case d.has("details"):
			return "changed the details of" + name
		}
	}
	return "changed the " + d.fields(map[string]string{"due_at": "due date", "assigned_to": "assignee", "description": "title"}) + " of" + name
}

func (d describer) has(field string) bool {
	_, _, ok := d.change(field)
	return ok
}

// text is a recorded value as text: "" for nothing.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case *string:
		if x == nil {
			return ""
		}
		return *x
	case time.Time:
		return x.Format(time.RFC3339)
	case *time.Time:
		if x == nil {
			return ""
		}
		return x.Format(time.RFC3339)
	case fmt.Stringer:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return "" // a nil *uuid.UUID, say
		}
		return x.String()
	}
	return fmt.Sprint(v)
}

func orElse(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// day is a date as the activity log shows it: "4 Mar".
func day(t time.Time) string { return t.UTC().Format("2 Jan") }

// list joins words as a sentence does: "a", "a and b", "a, b and c".
func list(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// article puts "a" or "an" before a role's name.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// Plural is a count with its noun, singular or plural as the count asks:
// Plural(1, "day") is "1 day", Plural(3, "day") "3 days", and
// Plural(2, "person", "people") "2 people". Pages show every count
// through it (the template function plural).
func Plural(n int, singular string, plural ...string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, singular)
	}
	if len(plural) > 0 {
		return fmt.Sprintf("%d %s", n, plural[0])
	}
	return fmt.Sprintf("%d %ss", n, singular)
}

// surveyName is "a CSAT", "an NPS" or "a satisfaction", for a survey's kind.
func surveyName(kind string) string {
	switch kind {
	case "csat":
		return "a CSAT"
	case "nps":
		return "an NPS"
	}
	return "a satisfaction"
}
