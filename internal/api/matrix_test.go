package api_test

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

type route struct {
	name   string
	method string
	path   func(e *env) string
	body   func(e *env) any
	// want is the status per caller, in the order of callers: admin, csm,
	// sales_leader, viewer, contact (of the owning customer), other_contact,
	// other_tenant, anonymous.
	want string
}

func fixed(s string) func(*env) string { return func(*env) string { return s } }

func tmplBody(*env) any {
	return map[string]any{"name": "Quick start", "tasks": []map[string]any{
		{"phase": "Kickoff", "description": "Kickoff call", "offset_days": 0, "duration_days": 1, "side": "vendor"},
	}}
}

var routes = []route{
	{"me", "GET", fixed("/me"), nil, "200 200 200 200 200 200 200 401"},
	{"my tasks", "GET", fixed("/me/tasks"), nil, "200 200 200 200 403 403 200 401"},

	{"create customer", "POST", fixed("/customers"), func(*env) any { return map[string]any{"name": "New customer"} }, "201 201 403 403 403 403 201 401"},
	{"list customers", "GET", fixed("/customers"), nil, "200 200 200 200 200 200 200 401"},
	{"get customer", "GET", func(e *env) string { return "/customers/" + e.c1.String() }, nil, "200 200 200 200 200 404 404 401"},
	{"update customer", "PATCH", func(e *env) string { return "/customers/" + e.c1.String() }, func(*env) any { return map[string]any{"name": "Renamed"} }, "200 200 403 403 403 404 404 401"},
	{"delete customer", "DELETE", func(e *env) string { return "/customers/" + e.c1.String() }, nil, "204 204 403 403 403 404 404 401"},
	{"assign support member", "PUT", func(e *env) string { return "/customers/" + e.c1.String() + "/support-member" },
		func(e *env) any { return map[string]any{"support_member_id": e.csm} }, "200 200 403 403 403 404 404 401"},
	{"archive customer", "POST", func(e *env) string { return "/customers/" + e.c1.String() + "/archive" }, nil, "200 200 403 403 403 404 404 401"},
	{"unarchive customer", "POST", func(e *env) string { return "/customers/" + e.c1.String() + "/unarchive" }, nil, "200 200 403 403 403 404 404 401"},
	{"add contact", "POST", func(e *env) string { return "/customers/" + e.c1.String() + "/contacts" },
		func(*env) any { return map[string]any{"name": "New Contact", "email": "new.contact@customer.test"} }, "201 201 403 403 403 404 404 401"},
	{"update contact", "PATCH", func(e *env) string { return "/contacts/" + e.contact.String() }, func(*env) any { return map[string]any{"name": "Renamed"} },
		"200 200 403 403 403 404 404 401"},
	{"invite contact", "POST", func(e *env) string { return "/contacts/" + e.contact.String() + "/invitation" }, nil, "200 200 403 403 403 404 404 401"},
	{"customer activity", "GET", func(e *env) string { return "/customers/" + e.c1.String() + "/activity" }, nil, "200 200 200 200 403 404 404 401"},

	{"create project", "POST", fixed("/projects"), func(e *env) any {
		return map[string]any{"customer_id": e.c1, "name": "Expansion", "template_id": e.tpl}
	}, "201 201 403 403 403 403 422 401"},
	{"list projects", "GET", fixed("/projects"), nil, "200 200 200 200 200 200 200 401"},
	{"get project", "GET", func(e *env) string { return "/projects/" + e.p1.String() }, nil, "200 200 200 200 200 404 404 401"},
	{"update project", "PATCH", func(e *env) string { return "/projects/" + e.p1.String() }, func(*env) any { return map[string]any{"name": "Renamed"} }, "200 200 403 403 403 404 404 401"},
	{"delete project", "DELETE", func(e *env) string { return "/projects/" + e.p1.String() }, nil, "204 204 403 403 403 404 404 401"},
	{"hold project", "POST", func(e *env) string { return "/projects/" + e.p1.String() + "/hold" }, func(*env) any { return map[string]any{"reason": "Customer re-org"} }, "200 200 403 403 403 404 404 401"},
	{"resume project", "POST", func(e *env) string { return "/projects/" + e.p1.String() + "/resume" }, nil, "200 200 403 403 403 404 404 401"},
	{"cancel project", "POST", func(e *env) string { return "/projects/" + e.p1.String() + "/cancel" }, func(*env) any { return map[string]any{"reason": "Churned"} }, "200 200 403 403 403 404 404 401"},
	{"reopen project", "POST", func(e *env) string { return "/projects/" + e.p1.String() + "/reopen" }, nil, "200 200 403 403 403 404 404 401"},
	{"project activity", "GET", func(e *env) string { return "/projects/" + e.p1.String() + "/activity" }, nil, "200 200 200 200 403 404 404 401"},

	{"create task", "POST", func(e *env) string { return "/projects/" + e.p1.String() + "/tasks" }, func(*env) any { return map[string]any{"description": "Extra step"} }, "201 201 403 403 403 404 404 401"},
	{"list tasks", "GET", func(e *env) string { return "/projects/" + e.p1.String() + "/tasks" }, nil, "200 200 200 200 200 404 404 401"},
	{"get task", "GET", func(e *env) string { return "/tasks/" + e.t1.String() }, nil, "200 200 200 200 200 404 404 401"},
	{"get internal task", "GET", func(e *env) string { return "/tasks/" + e.ti.String() }, nil, "200 200 200 200 404 404 404 401"},
	{"complete own task", "PATCH", func(e *env) string { return "/tasks/" + e.t1.String() }, func(*env) any { return map[string]any{"status": "completed"} }, "200 200 403 403 200 404 404 401"},
	{"complete vendor task", "PATCH", func(e *env) string { return "/tasks/" + e.tv.String() }, func(*env) any { return map[string]any{"status": "completed"} }, "200 200 403 403 403 404 404 401"},
	{"rename task", "PATCH", func(e *env) string { return "/tasks/" + e.t1.String() }, func(*env) any { return map[string]any{"description": "Renamed"} }, "200 200 403 403 403 404 404 401"},
	{"bulk change tasks", "POST", func(e *env) string { return "/projects/" + e.p1.String() + "/tasks/bulk" },
		func(e *env) any { return map[string]any{"task_ids": []any{e.t1, e.tv}, "shift_days": 2} }, "200 200 403 403 403 404 404 401"},
	{"move task", "POST", func(e *env) string { return "/tasks/" + e.t1.String() + "/move" }, func(*env) any { return map[string]any{"direction": "up"} }, "200 200 403 403 403 404 404 401"},
	{"delete task", "DELETE", func(e *env) string { return "/tasks/" + e.t1.String() }, nil, "204 204 403 403 403 404 404 401"},
	{"set predecessors", "PATCH", func(e *env) string { return "/tasks/" + e.t1.String() }, func(e *env) any { return map[string]any{"depends_on": []uuid.UUID{e.tv}} },
		"200 200 403 403 403 404 404 401"},
	{"move with dependents", "PATCH", func(e *env) string { return "/tasks/" + e.tv.String() }, func(e *env) any {
		return map[string]any{"due_at": "2030-01-07T09:00:00Z", "shift_dependents": true}
	}, "200 200 403 403 403 404 404 401"},
	{"comment", "POST", func(e *env) string { return "/tasks/" + e.t1.String() + "/comments" }, func(*env) any { return map[string]any{"body": "Done on our side."} }, "201 201 403 403 201 404 404 401"},
	{"list comments", "GET", func(e *env) string { return "/tasks/" + e.t1.String() + "/comments" }, nil, "200 200 200 200 200 404 404 401"},

	{"list templates", "GET", fixed("/templates"), nil, "200 200 200 200 403 403 200 401"},
	{"get template", "GET", func(e *env) string { return "/templates/" + e.tpl.String() }, nil, "200 200 200 200 403 403 404 401"},
	{"create template", "POST", fixed("/templates"), tmplBody, "201 403 403 403 403 403 201 401"},
	{"replace template", "PUT", func(e *env) string { return "/templates/" + e.tpl.String() }, tmplBody, "200 403 403 403 403 403 404 401"},
	// The default template cannot be deleted (409); once another is the
	// default (setups), it can.
	{"delete template", "DELETE", func(e *env) string { return "/templates/" + e.tpl.String() }, nil, "204 403 403 403 403 403 404 401"},
	{"delete default template", "DELETE", func(e *env) string { return "/templates/" + e.tpl.String() }, nil, "409 403 403 403 403 403 404 401"},
	{"duplicate template", "POST", func(e *env) string { return "/templates/" + e.tpl.String() + "/duplicate" }, nil, "201 403 403 403 403 403 404 401"},
	{"template from project", "POST", fixed("/templates/from-project"), func(e *env) any {
		return map[string]any{"project_id": e.p1, "name": "From a project"}
	}, "201 403 403 403 403 403 404 401"},

	{"list users", "GET", fixed("/users"), nil, "200 200 200 200 403 403 200 401"},
	{"create user", "POST", fixed("/users"), func(*env) any { return map[string]any{"email": "new@acme.test", "name": "New", "role": "viewer"} }, "201 403 403 403 403 403 201 401"},
	{"get user", "GET", func(e *env) string { return "/users/" + e.csm.String() }, nil, "200 200 200 200 403 403 404 401"},
	// Users are for staff: a contact may not read even their own record
	// here (they have /me).
	{"get contact user", "GET", func(e *env) string { return "/users/" + e.contact.String() }, nil, "200 200 200 200 403 403 404 401"},
	{"invite staff", "POST", fixed("/users/invitations"), func(*env) any { return map[string]any{"email": "invited@acme.test", "name": "Invited", "role": "csm"} },
		"201 403 403 403 403 403 201 401"},
	{"resend staff invitation", "POST", func(e *env) string { return "/users/" + e.csm.String() + "/invitation" }, nil, "202 403 403 403 403 403 404 401"},
	{"setup checklist", "GET", fixed("/setup"), nil, "200 403 403 403 403 403 200 401"},
	{"update user", "PATCH", func(e *env) string { return "/users/" + e.csm.String() }, func(*env) any { return map[string]any{"name": "Renamed"} }, "200 403 403 403 403 403 404 401"},

	{"create article", "POST", fixed("/kb/articles"), func(*env) any { return map[string]any{"title": "New", "visibility": "public"} }, "201 201 403 403 403 403 201 401"},
	{"list articles", "GET", fixed("/kb/articles"), nil, "200 200 200 200 200 200 200 401"},
	{"get public article", "GET", func(e *env) string { return "/kb/articles/" + e.pub.String() }, nil, "200 200 200 200 200 200 404 401"},
	{"get internal article", "GET", func(e *env) string { return "/kb/articles/" + e.internal.String() }, nil, "200 200 200 200 404 404 404 401"},
	{"update article", "PATCH", func(e *env) string { return "/kb/articles/" + e.pub.String() }, func(*env) any { return map[string]any{"title": "Renamed"} }, "200 200 403 403 403 403 404 401"},
	{"delete article", "DELETE", func(e *env) string { return "/kb/articles/" + e.pub.String() }, nil, "204 204 403 403 403 403 404 401"},
	{"search", "GET", fixed("/kb/search?q=sso"), nil, "200 200 200 200 200 200 200 401"},

	{"ai status", "GET", fixed("/ai/status"), nil, "200 403 403 403 403 403 200 401"},
	{"similar projects", "GET", func(e *env) string { return "/projects/" + e.p1.String() + "/similar" }, nil, "200 200 200 200 403 404 404 401"},
	{"similar tasks", "GET", func(e *env) string { return "/tasks/" + e.t1.String() + "/similar" }, nil, "200 200 200 200 403 404 404 401"},

	{"ask", "POST", fixed("/assistant/ask"), func(*env) any { return map[string]any{"question": "How do I set up SSO?"} }, "200 200 200 200 200 200 200 401"},
	{"ask about a task", "POST", fixed("/assistant/ask"), func(e *env) any { return map[string]any{"question": "How?", "task_id": e.t1} }, "200 200 200 200 200 422 422 401"},
	{"summary", "POST", func(e *env) string { return "/customers/" + e.c1.String() + "/summary" }, func(*env) any { return map[string]any{} }, "200 200 200 200 403 404 404 401"},
	{"troubleshoot", "POST", func(e *env) string { return "/tasks/" + e.t1.String() + "/troubleshoot" }, nil, "200 200 200 200 403 404 404 401"},
	{"unblock", "POST", func(e *env) string { return "/projects/" + e.p1.String() + "/unblock" }, nil, "200 200 200 200 403 404 404 401"},
	{"ai calls", "GET", fixed("/ai/calls"), nil, "200 403 403 403 403 403 200 401"},
	{"set ai budget", "PUT", fixed("/ai/budget"), func(*env) any { return map[string]any{"monthly_tokens": 1000} }, "200 403 403 403 403 403 200 401"},
	{"get ai budget", "GET", fixed("/ai/budget"), nil, "200 403 403 403 403 403 200 401"},
	// Only the asker may pass their conversation on.
	{"escalate contact's question", "POST", fixed("/assistant/escalate"), func(e *env) any { return map[string]any{"conversation_id": e.conv} }, "404 404 404 404 201 404 404 401"},
	{"escalate csm's question", "POST", fixed("/assistant/escalate"), func(e *env) any { return map[string]any{"conversation_id": e.staffConv} }, "404 201 404 404 404 404 404 401"},
	// Only the asker rates their answer; every staff member reads the
	// knowledge gaps, contacts do not.
	{"rate contact's answer", "POST", fixed("/assistant/feedback"), func(e *env) any {
		return map[string]any{"conversation_id": e.conv, "helpful": false, "comment": "Missing the Okta steps"}
	}, "404 404 404 404 200 404 404 401"},
	{"rate csm's answer", "POST", fixed("/assistant/feedback"), func(e *env) any { return map[string]any{"conversation_id": e.staffConv, "helpful": true} },
		"404 200 404 404 404 404 404 401"},
	{"knowledge gaps", "GET", fixed("/knowledge-gaps"), nil, "200 200 200 200 403 403 200 401"},

	// Ask my CSM: contacts ask, the CSM and the admins answer, every staff
	// member reads; e.thread is the contact's, to the CSM.
	{"list conversations", "GET", fixed("/conversations?status=open"), nil, "200 200 200 200 200 200 200 401"},
	{"open conversation", "POST", fixed("/conversations"), func(*env) any { return map[string]any{"subject": "SSO", "body": "Which IdPs?"} },
		"403 403 403 403 201 201 403 401"},
	{"ask the CSM about a task", "POST", fixed("/conversations"), func(e *env) any { return map[string]any{"subject": "About it", "body": "How?", "task_id": e.t1} },
		"403 403 403 403 201 422 403 401"},
	{"pass on the assistant's answer", "POST", fixed("/conversations"), func(e *env) any { return map[string]any{"assistant_conversation_id": e.conv} },
		"403 403 403 403 201 422 403 401"},
	{"get conversation", "GET", func(e *env) string { return "/conversations/" + e.thread.String() }, nil, "200 200 200 200 200 404 404 401"},
	{"reply to conversation", "POST", func(e *env) string { return "/conversations/" + e.thread.String() + "/messages" },
		func(*env) any { return map[string]any{"body": "Okta and Entra ID."} }, "201 201 403 403 201 404 404 401"},
	{"close conversation", "POST", func(e *env) string { return "/conversations/" + e.thread.String() + "/close" }, nil, "200 200 403 403 403 404 404 401"},
	{"reopen conversation", "POST", func(e *env) string { return "/conversations/" + e.thread.String() + "/reopen" }, nil, "200 200 403 403 403 404 404 401"},

	{"list notifications", "GET", fixed("/notifications?unread=true"), nil, "200 200 200 200 200 200 200 401"},
	{"unread count", "GET", fixed("/notifications/unread-count"), nil, "200 200 200 200 200 200 200 401"},
	{"mark all read", "POST", fixed("/notifications/read-all"), nil, "200 200 200 200 200 200 200 401"},
	// e.note is the contact's: only they may mark it read; admins may also
	// see how it was delivered.
	{"mark read", "POST", func(e *env) string { return "/notifications/" + e.note.String() + "/read" }, nil, "404 404 404 404 200 404 404 401"},
	{"notification deliveries", "GET", func(e *env) string { return "/notifications/" + e.note.String() + "/deliveries" }, nil, "200 404 404 404 200 404 404 401"},
	{"get preferences", "GET", fixed("/notification-preferences"), nil, "200 200 200 200 200 200 200 401"},
	{"set preferences", "PUT", fixed("/notification-preferences"), func(*env) any {
		return map[string]any{"preferences": []map[string]any{{"kind": "project_overdue", "in_app": true, "email": "digest"}}}
	}, "200 200 200 200 200 200 200 401"},
	{"get notification settings", "GET", fixed("/settings/notifications"), nil, "200 200 200 200 403 403 200 401"},
	{"set notification settings", "PUT", fixed("/settings/notifications"), func(*env) any {
		return map[string]any{"time_zone": "Europe/Berlin", "quiet_hours_start": 22, "quiet_hours_end": 7, "digest_hour": 8, "cooldown_hours": 24, "escalate_to_admins_after_days": 3}
	}, "200 403 403 403 403 403 200 401"},
	{"get branding", "GET", fixed("/settings/branding"), nil, "200 200 200 200 403 403 200 401"},
	{"set branding", "PUT", fixed("/settings/branding"), func(*env) any {
		return map[string]any{"portal_name": "Acme customer hub", "accent_color": "#aa3300"}
	}, "200 403 403 403 403 403 200 401"},
	{"list email templates", "GET", fixed("/email-templates"), nil, "200 200 200 200 403 403 200 401"},
	{"get email template", "GET", fixed("/email-templates/task_due_soon"), nil, "200 200 200 200 403 403 200 401"},
	{"get unknown email template", "GET", fixed("/email-templates/nope"), nil, "404 404 404 404 404 404 404 401"},
	{"set email template", "PUT", fixed("/email-templates/task_due_soon"), func(*env) any {
		return map[string]any{"subject": "Due soon: {{task_title}}", "body": "Hello {{contact_first_name}}, {{task_title}} is due {{task_due}}."}
	}, "200 403 403 403 403 403 200 401"},
	// Reset after the admin saved their own version (setups).
	{"reset email template", "DELETE", fixed("/email-templates/task_due_soon"), nil, "200 403 403 403 403 403 200 401"},
	{"preview email template", "POST", fixed("/email-templates/task_due_soon/preview"), func(*env) any {
		return map[string]any{"subject": "Preview of {{task_title}}"}
	}, "200 200 200 200 403 403 200 401"},
	{"test email template", "POST", fixed("/email-templates/task_due_soon/test"), nil, "202 403 403 403 403 403 202 401"},
	{"get my email preferences", "GET", fixed("/me/email-preferences"), nil, "403 403 403 403 200 200 403 401"},
	{"set my email preferences", "PUT", fixed("/me/email-preferences"), func(*env) any {
		return map[string]any{"preferences": []map[string]any{{"kind": "task_due_soon", "on": false}}, "time_zone": "Europe/Berlin"}
	}, "403 403 403 403 200 200 403 401"},
	{"list custom fields", "GET", fixed("/custom-fields"), nil, "200 200 200 200 403 403 200 401"},
	{"create custom field", "POST", fixed("/custom-fields"), func(*env) any {
		return map[string]any{"entity": "project", "key": "region", "label": "Region", "type": "text"}
	}, "201 403 403 403 403 403 201 401"},
	{"update custom field", "PATCH", fixed("/custom-fields/" + matrixField), func(*env) any { return map[string]any{"label": "Subscription"} },
		"200 403 403 403 403 403 404 401"},
	{"delete custom field", "DELETE", fixed("/custom-fields/" + matrixField), nil, "204 403 403 403 403 403 404 401"},
	{"list holidays", "GET", fixed("/holidays"), nil, "200 200 200 200 403 403 200 401"},
	{"set holidays", "PUT", fixed("/holidays"), func(*env) any {
		return map[string]any{"holidays": []map[string]any{{"day": "2026-12-25", "name": "Christmas"}, {"day": "2027-01-01"}}}
	}, "200 403 403 403 403 403 200 401"},
	{"customer stages", "GET", func(e *env) string { return "/customers/" + e.c1.String() + "/stages" }, nil, "200 200 200 200 403 404 404 401"},
	{"set customer stage", "PUT", func(e *env) string { return "/customers/" + e.c1.String() + "/stage" }, func(*env) any {
		return map[string]any{"stage": "adoption", "reason": "Live since Monday"}
	}, "200 200 403 403 403 404 404 401"},
	{"customer health", "GET", func(e *env) string { return "/customers/" + e.c1.String() + "/health" }, nil, "200 200 200 200 403 404 404 401"},
	{"customer health history", "GET", func(e *env) string { return "/customers/" + e.c1.String() + "/health/history" }, nil, "200 200 200 200 403 404 404 401"},
	{"health overview", "GET", fixed("/health"), nil, "200 200 200 200 403 403 200 401"},
	{"health settings", "GET", fixed("/settings/health"), nil, "200 200 200 200 403 403 200 401"},
	{"set health settings", "PUT", fixed("/settings/health"), func(*env) any {
		return map[string]any{"weights": map[string]any{"usage": 50, "engagement": 50}, "drop_points": 15,
			"levels": []map[string]any{{"key": "good", "name": "Good", "min": 50}, {"key": "bad", "name": "Bad", "min": 0}}}
	}, "200 403 403 403 403 403 200 401"},
	{"journey settings", "GET", fixed("/settings/journey"), nil, "200 200 200 200 403 403 200 401"},
	{"set journey settings", "PUT", fixed("/settings/journey"), func(*env) any {
		return map[string]any{"stages": []map[string]any{{"key": "onboarding", "name": "Onboarding"}, {"key": "live", "name": "Live"}},
			"rules": []map[string]any{{"on": "project.completed", "to": "live"}}}
	}, "200 403 403 403 403 403 200 401"},
	{"create webhook", "POST", fixed("/webhooks"), func(*env) any {
		return map[string]any{"url": "https://93.184.215.14/hook", "events": []string{"project.overdue"}}
	}, "201 403 403 403 403 403 201 401"},
	{"list webhooks", "GET", fixed("/webhooks"), nil, "200 403 403 403 403 403 200 401"},
	{"get webhook", "GET", func(e *env) string { return "/webhooks/" + e.hook.String() }, nil, "200 403 403 403 403 403 404 401"},
	{"replace webhook", "PUT", func(e *env) string { return "/webhooks/" + e.hook.String() }, func(*env) any {
		return map[string]any{"url": "https://93.184.215.14/other", "events": []string{"task.completed"}, "disabled": true}
	}, "200 403 403 403 403 403 404 401"},
	{"delete webhook", "DELETE", func(e *env) string { return "/webhooks/" + e.hook.String() }, nil, "204 403 403 403 403 403 404 401"},
	{"rotate webhook secret", "POST", func(e *env) string { return "/webhooks/" + e.hook.String() + "/rotate-secret" }, nil, "200 403 403 403 403 403 404 401"},
	{"test webhook", "POST", func(e *env) string { return "/webhooks/" + e.hook.String() + "/test" }, nil, "202 403 403 403 403 403 404 401"},
	{"webhook deliveries", "GET", func(e *env) string { return "/webhooks/" + e.hook.String() + "/deliveries" }, nil, "200 403 403 403 403 403 404 401"},
	{"delivery log", "GET", fixed("/deliveries"), nil, "200 403 403 403 403 403 200 401"},
	{"inbound messages", "GET", fixed("/inbound-messages"), nil, "200 403 403 403 403 403 200 401"},

	// CRM connections, mapping rules and the inbound log: admins only;
	// seedMatrix gives acme a generic connection to rotate.
	{"list crm connections", "GET", fixed("/crm/connections"), nil, "200 403 403 403 403 403 200 401"},
	{"set crm connection", "PUT", fixed("/crm/connections/salesforce"), func(*env) any { return map[string]any{"enabled": true} },
		"200 403 403 403 403 403 200 401"},
	{"rotate crm secret", "POST", fixed("/crm/connections/generic/rotate-secret"), nil, "200 403 403 403 403 403 404 401"},
	{"list crm rules", "GET", fixed("/crm/rules"), nil, "200 403 403 403 403 403 200 401"},
	{"set crm rules", "PUT", fixed("/crm/rules"), func(e *env) any { return map[string]any{"rules": []map[string]any{{"template_id": e.tpl}}} },
		"200 403 403 403 403 403 422 401"},
	{"crm log", "GET", fixed("/crm/log"), nil, "200 403 403 403 403 403 200 401"},

	// Another workspace's admin may send usage (200) but naming acme's
	// customer is refused in the answer as not found, and nothing is stored.
	{"send usage events", "POST", fixed("/usage-events"), func(e *env) any {
		return map[string]any{"events": []map[string]any{{"id": "evt-matrix", "customer_id": e.c1, "name": "login",
			"user_email": "contact1@customer.test", "occurred_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}}}
	}, "200 403 403 403 403 403 200 401"},
	{"customer usage", "GET", func(e *env) string { return "/customers/" + e.c1.String() + "/usage" }, nil, "200 200 200 200 403 403 404 401"},
	{"get core features", "GET", fixed("/usage/core-features"), nil, "200 200 200 200 403 403 200 401"},
	{"set core features", "PUT", fixed("/usage/core-features"), func(*env) any {
		return map[string]any{"core_features": []string{"login", "report_exported"}, "retention_days": 90}
	}, "200 403 403 403 403 403 200 401"},

	{"list milestones", "GET", fixed("/milestones"), nil, "200 200 200 200 403 403 200 401"},
	{"create milestone", "POST", fixed("/milestones"), func(*env) any {
		return map[string]any{"name": "Three users in a week", "event": "login", "distinct_users": 3, "within_days": 7, "activation": true}
	}, "201 403 403 403 403 403 201 401"},
	{"update milestone", "PATCH", fixed("/milestones/" + matrixMilestone), func(*env) any { return map[string]any{"name": "First report", "first_value": false} },
		"200 403 403 403 403 403 404 401"},
	{"delete milestone", "DELETE", fixed("/milestones/" + matrixMilestone), nil, "204 403 403 403 403 403 404 401"},
	{"customer milestones", "GET", func(e *env) string { return "/customers/" + e.c1.String() + "/milestones" }, nil, "200 200 200 200 403 404 404 401"},
	{"onboarding metrics", "GET", fixed("/metrics/onboarding?group_by=template&period=month"), nil, "200 200 200 200 403 403 200 401"},
	{"list survey responses", "GET", fixed("/surveys/responses"), nil, "200 200 200 200 403 403 200 401"},
	{"get survey settings", "GET", fixed("/settings/surveys"), nil, "200 200 200 200 403 403 200 401"},
	{"set survey settings", "PUT", fixed("/settings/surveys"), func(*env) any {
		return map[string]any{"csat_on_completion": true, "csat_on_milestones": false, "nps_interval_days": 60}
	}, "200 403 403 403 403 403 200 401"},

	// Playbooks: admins manage them; CSMs read them, run them by hand,
	// dry-run them and acknowledge escalations; e.playbook() is acme's
	// (seedPlaybooks), with a run and its escalation.
	{"list playbooks", "GET", fixed("/playbooks"), nil, "200 200 403 403 403 403 200 401"},
	{"create playbook", "POST", fixed("/playbooks"), func(*env) any { return matrixPlaybookBody("New playbook") }, "201 403 403 403 403 403 201 401"},
	{"get playbook", "GET", func(e *env) string { return "/playbooks/" + e.playbook().String() }, nil, "200 200 403 403 403 403 404 401"},
	{"replace playbook", "PUT", func(e *env) string { return "/playbooks/" + e.playbook().String() }, func(*env) any { return matrixPlaybookBody("Renamed playbook") },
		"200 403 403 403 403 403 404 401"},
	{"delete playbook", "DELETE", func(e *env) string { return "/playbooks/" + e.playbook().String() }, nil, "204 403 403 403 403 403 404 401"},
	{"enable playbook", "POST", func(e *env) string { return "/playbooks/" + e.playbook().String() + "/enable" }, nil, "200 403 403 403 403 403 404 401"},
	{"disable playbook", "POST", func(e *env) string { return "/playbooks/" + e.playbook().String() + "/disable" }, nil, "200 403 403 403 403 403 404 401"},
	{"playbook executions", "GET", func(e *env) string { return "/playbooks/" + e.playbook().String() + "/executions" }, nil, "200 200 403 403 403 403 404 401"},
	{"run playbook", "POST", func(e *env) string { return "/playbooks/" + e.playbook().String() + "/run" }, func(e *env) any { return map[string]any{"customer_id": e.c1} },
		"201 201 403 403 403 403 404 401"},
	{"dry-run playbook", "POST", func(e *env) string { return "/playbooks/" + e.playbook().String() + "/dry-run" }, nil, "200 200 403 403 403 403 404 401"},
	{"export playbooks", "GET", fixed("/playbooks/export?format=json"), nil, "200 403 403 403 403 403 200 401"},
	{"import playbooks", "POST", fixed("/playbooks/import"), func(*env) any {
		return []byte(`{"version": 1, "playbooks": [{"name": "Imported playbook", "trigger": {"event": "task.blocked"}, "actions": [{"type": "notify", "to": ["csm"], "subject": "Blocked", "body": "A task is blocked."}]}]}`)
	}, "200 403 403 403 403 403 200 401"},
	{"playbook fields", "GET", fixed("/playbooks/fields"), nil, "200 200 403 403 403 403 200 401"},
	{"export the workspace", "GET", fixed("/export"), nil, "200 403 403 403 403 403 200 401"},
	// CSV imports: admins only. The file is the body as it is.
	{"dry-run import", "POST", fixed("/imports?kind=customers&dry_run=true"), func(*env) any { return []byte("Company,Account ID\nMatrix Co,M-1\n") },
		"200 403 403 403 403 403 200 401"},
	{"start import", "POST", fixed("/imports?kind=customers"), func(*env) any { return []byte("Company,Account ID\nMatrix Co,M-1\n") },
		"202 403 403 403 403 403 202 401"},
	{"list imports", "GET", fixed("/imports"), nil, "200 403 403 403 403 403 200 401"},
	{"get import", "GET", fixed("/imports/" + matrixImport), nil, "200 403 403 403 403 403 404 401"},
	{"acknowledge escalation", "POST", fixed("/escalations/" + matrixEscalation + "/acknowledge"), nil, "200 200 403 403 403 403 404 401"},

	// Operators' routes (operators.go) take an operator token only: every
	// workspace caller is 401; operators_test.go tests them with one.
	{"provision tenant", "POST", fixed("/admin/tenants/provision"), func(*env) any {
		return map[string]any{"organization_name": "Matrix Corp", "admin_email": "it@matrix.test"}
	}, "401 401 401 401 401 401 401 401"},
	{"list tenants", "GET", fixed("/admin/tenants"), nil, "401 401 401 401 401 401 401 401"},
	{"get tenant", "GET", func(e *env) string { return "/admin/tenants/" + e.acme.String() }, nil, "401 401 401 401 401 401 401 401"},
	{"suspend tenant", "POST", func(e *env) string { return "/admin/tenants/" + e.acme.String() + "/suspend" }, func(*env) any {
		return map[string]any{"reason": "matrix"}
	}, "401 401 401 401 401 401 401 401"},
	{"resume tenant", "POST", func(e *env) string { return "/admin/tenants/" + e.acme.String() + "/resume" }, nil, "401 401 401 401 401 401 401 401"},
	{"delete tenant", "DELETE", func(e *env) string { return "/admin/tenants/" + e.acme.String() }, nil, "401 401 401 401 401 401 401 401"},
	{"restore tenant", "POST", func(e *env) string { return "/admin/tenants/" + e.acme.String() + "/restore" }, nil, "401 401 401 401 401 401 401 401"},
	{"set tenant quotas", "PUT", func(e *env) string { return "/admin/tenants/" + e.acme.String() + "/quotas" }, func(*env) any {
		return map[string]any{"subscription_tier": "starter", "overrides": map[string]any{"users": 50}}
	}, "401 401 401 401 401 401 401 401"},
	// The workspace's own quotas (quotas.go): admins.
	{"get quotas", "GET", fixed("/quotas"), nil, "200 403 403 403 403 403 200 401"},

	{"create token", "POST", fixed("/tokens"), func(*env) any { return map[string]any{"name": "script"} }, "201 201 201 201 201 201 201 401"},
	{"list tokens", "GET", fixed("/tokens"), nil, "200 200 200 200 200 200 200 401"},
	{"revoke admin's token", "DELETE", func(e *env) string { return "/tokens/" + e.tokenID["admin"].String() }, nil, "204 404 404 404 404 404 404 401"},
}

// setups put the fixture in the state a route needs to succeed, by route
// name, before the matrix sends it (and before its snapshot).
var setups = map[string]func(t *testing.T, e *env){
	"resume project": func(t *testing.T, e *env) { e.lifecycle(t, e.p1.String(), "hold", "Customer re-org") },
	"reopen project": func(t *testing.T, e *env) { e.lifecycle(t, e.p1.String(), "cancel", "Churned") },
	"reopen conversation": func(t *testing.T, e *env) {
		if st, out := e.do(t, "admin", "POST", "/conversations/"+e.thread.String()+"/close", nil); st != http.StatusOK {
			t.Fatalf("close: %d %s", st, out)
		}
	},
	"unarchive customer": func(t *testing.T, e *env) {
		if st, out := e.do(t, "admin", "POST", "/customers/"+e.c1.String()+"/archive", nil); st != http.StatusOK {
			t.Fatalf("archive: %d %s", st, out)
		}
	},
	"delete template": func(t *testing.T, e *env) {
		t.Helper()
		if st, out := e.do(t, "admin", "POST", "/templates", map[string]any{"name": "New default", "is_default": true,
			"tasks": []map[string]any{{"phase": "Kickoff", "description": "Kickoff call", "offset_days": 0, "duration_days": 1, "side": "vendor"}}}); st != http.StatusCreated {
			t.Fatalf("a new default: %d %s", st, out)
		}
	},
	"reset email template": func(t *testing.T, e *env) {
		if st, out := e.do(t, "admin", "PUT", "/email-templates/task_due_soon", map[string]any{"subject": "Ours", "body": "Our own text."}); st != http.StatusOK {
			t.Fatalf("save a template: %d %s", st, out)
		}
	},
	// t1 waits on tv, so moving tv moves t1.
	"move with dependents": func(t *testing.T, e *env) {
		if st, out := e.do(t, "admin", "PATCH", "/tasks/"+e.t1.String(), map[string]any{"depends_on": []uuid.UUID{e.tv}}); st != 200 {
			t.Fatalf("t1 after tv: %d %s", st, out)
		}
	},
}

// TestAuthorizationMatrix sends every route as every caller, each on a
// fresh copy of the fixture, and checks the status; a refused request must
// change nothing, and no response may show a caller what is not theirs.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	for name := range setups {
		if !slices.ContainsFunc(routes, func(r route) bool { return r.name == name }) {
			t.Errorf("setups names %q, which is no route", name)
		}
	}
	for _, r := range routes {
		want := strings.Fields(r.want)
		if len(want) != len(callers) {
			t.Fatalf("%s: %d statuses for %d callers", r.name, len(want), len(callers))
		}
		for i, caller := range callers {
			t.Run(r.name+"/"+caller, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				seedMatrix(t, e)
				if setup := setups[r.name]; setup != nil {
					setup(t, e)
				}
				var body any
				if r.body != nil {
					body = r.body(e)
				}
				before := e.snapshot(t)
				status, out := e.do(t, caller, r.method, r.path(e), body)
				if strconv.Itoa(status) != want[i] {
					t.Fatalf("%s %s as %s: %d, want %s: %s", r.method, r.path(e), caller, status, want[i], out)
				}
				if status >= 400 {
					if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
						t.Errorf("a refused request changed data (-before +after):\n%s", diff)
					}
					if !strings.Contains(string(out), `"status":`+want[i]) {
						t.Errorf("not a problem document: %s", out)
					}
				}
				// Nothing of the owning customer reaches another customer's
				// contact or another tenant; nothing internal or of the
				// other customer reaches the contact; no one but admins
				// sees a webhook, and no one but the contact (and admins)
				// the contact's notification.
				hidden := map[string][]string{
					"other_contact": {e.c1.String(), e.p1.String(), e.t1.String(), e.internal.String(), e.note.String(), e.hook.String(), e.thread.String()},
					"other_tenant": {e.c1.String(), e.c2.String(), e.p1.String(), e.t1.String(), e.csm.String(), e.pub.String(), e.internal.String(),
						e.note.String(), e.hook.String(), e.thread.String()},
					"contact":      {e.c2.String(), e.p2.String(), e.ti.String(), e.internal.String(), e.hook.String()},
					"csm":          {e.note.String(), e.hook.String()},
					"sales_leader": {e.note.String(), e.hook.String()},
					"viewer":       {e.note.String(), e.hook.String()},
				}[caller]
				// A webhook's signing secret is shown when it is made or
				// rotated, never again.
				hidden = append(hidden, e.hookSecret)
				if secret := e.playbookSecret(); caller != "admin" && secret != "" {
					// A playbook's signing secret is for admins only.
					hidden = append(hidden, secret)
				}
				for _, id := range hidden {
					if strings.Contains(string(out), id) {
						t.Errorf("the response shows %s to %s: %s", id, caller, out)
					}
				}
			})
		}
	}
}

// TestRefusedFields: fields a client may not write answer 422 naming the
// field, and change nothing.
func TestRefusedFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		method, path string
		body         any
		field        string
	}{
		{"PATCH", "/projects/" + e.p1.String(), map[string]any{"progress": 100}, "body.progress"},
		{"PATCH", "/projects/" + e.p1.String(), map[string]any{"status": "completed"}, "body.status"},
		{"PATCH", "/projects/" + e.p1.String(), map[string]any{"tenant_id": e.bolt}, "body.tenant_id"},
		{"POST", "/customers", map[string]any{"name": "X", "tenant_id": e.bolt}, "body.tenant_id"},
		{"PATCH", "/users/" + e.csm.String(), map[string]any{"email": "x@y.test"}, "body.email"},
		{"POST", "/users", map[string]any{"email": "x@acme.test", "name": "X", "role": "root"}, "body.role"},
		{"PATCH", "/tasks/" + e.t1.String(), map[string]any{"completed_at": "2020-01-01T00:00:00Z"}, "body.completed_at"},
		{"PATCH", "/tasks/" + e.t1.String(), map[string]any{"status": "blocked"}, "body.blocked_reason"},
		{"PATCH", "/tasks/" + e.t1.String(), map[string]any{"assigned_to": e.c2}, "body.assigned_to"},
		{"PATCH", "/tasks/" + e.t1.String(), map[string]any{"description": strings.Repeat("x", 501)}, "body.description"},
		{"PATCH", "/tasks/" + e.t1.String(), map[string]any{"depends_on": []uuid.UUID{e.p1}}, "body.depends_on"},
		{"PATCH", "/tasks/" + e.t1.String(), map[string]any{"depends_on": []uuid.UUID{e.t1}}, "body.depends_on"},
		{"PATCH", "/tasks/" + e.t1.String(), map[string]any{"start_at": "2100-01-01T00:00:00Z"}, "body.start_at"},
		{"POST", "/projects/" + e.p1.String() + "/tasks", map[string]any{"description": "X", "depends_on": []uuid.UUID{e.c1}}, "body.depends_on"},
		{"PUT", "/holidays", map[string]any{"holidays": []map[string]any{{"day": "2026-12-25"}, {"day": "2026-12-25"}}}, "body.holidays[1].day"},
		{"PUT", "/holidays", map[string]any{"holidays": []map[string]any{{"day": "25/12/2026"}}}, "body.holidays[0].day"},
		{"POST", "/usage-events", map[string]any{"events": make([]map[string]any, 1001)}, "body.events"},
		{"PUT", "/usage/core-features", map[string]any{"core_features": []string{"Login"}}, "body.core_features[0]"},
		{"PUT", "/usage/core-features", map[string]any{"core_features": []string{}, "retention_days": 5}, "body.retention_days"},
		{"GET", "/customers/" + e.c1.String() + "/usage?from=yesterday", nil, "query.from"},
		{"PUT", "/settings/surveys", map[string]any{"csat_on_completion": true, "csat_on_milestones": true, "nps_interval_days": 10}, "body.nps_interval_days"},
		{"GET", "/surveys/responses?from=yesterday", nil, "query.from"},
		{"GET", "/surveys/responses?kind=ces", nil, "query.kind"},
		{"POST", "/customers", map[string]any{"name": strings.Repeat("n", 201)}, "body.name"},
		{"POST", "/customers", map[string]any{"name": "X", "contact_info": "not an object"}, "body.contact_info"},
		{"POST", "/customers", map[string]any{"name": "X", "contact_info": map[string]any{"email": "nope"}}, "body.contact_info.email"},
		{"POST", "/customers", map[string]any{"name": "X", "contact_info": map[string]any{"website": "ftp://x.example"}}, "body.contact_info.website"},
		{"PATCH", "/customers/" + e.c1.String(), map[string]any{"contact_info": map[string]any{"phone": "call me"}}, "body.contact_info.phone"},
		{"PATCH", "/customers/" + e.c1.String(), map[string]any{"segment": strings.Repeat("s", 101)}, "body.segment"},
		{"GET", "/customers?archived=maybe", nil, "query.archived"},
		{"GET", "/projects?support_member_id=nope", nil, "query.support_member_id"},
		{"POST", "/customers/" + e.c1.String() + "/contacts", map[string]any{"name": "X", "email": "not an address"}, "body.email"},
		{"PATCH", "/contacts/" + e.contact.String(), map[string]any{"name": ""}, "body.name"},
		{"GET", "/me/tasks?cursor=bm9wZQ", nil, "query.cursor"},
		{"POST", "/projects", map[string]any{"customer_id": e.c1, "name": "X", "deadline": "2000-01-01T00:00:00Z", "start_date": "2001-01-01T00:00:00Z"}, "body.deadline"},
		{"GET", "/projects?limit=201", nil, "query.limit"},
		{"GET", "/projects?sort=tenant_id", nil, "query.sort"},
		{"GET", "/projects?cursor=bm9wZQ", nil, "query.cursor"},
		{"PUT", "/customers/" + e.c1.String() + "/support-member", map[string]any{"support_member_id": e.c2}, "body.support_member_id"},
		{"POST", "/webhooks", map[string]any{"url": "https://169.254.169.254/latest/meta-data"}, "body.url"},
		{"POST", "/webhooks", map[string]any{"url": "https://127.0.0.1:8080/hook"}, "body.url"},
		{"POST", "/webhooks", map[string]any{"url": "http://93.184.215.14/hook"}, "body.url"},
		{"POST", "/webhooks", map[string]any{"url": "https://93.184.215.14/hook", "events": []string{"everything"}}, "body.events[0]"},
		{"PUT", "/settings/notifications", map[string]any{"time_zone": "Mars/Olympus", "digest_hour": 8, "cooldown_hours": 24, "escalate_to_admins_after_days": 3}, "body.time_zone"},
		{"PUT", "/email-templates/task_due_soon", map[string]any{"subject": "Due", "body": "Hello {{contact_nmae}}"}, "body.body"},
		{"PUT", "/email-templates/task_due_soon", map[string]any{"subject": "{{open_tasks}}", "body": "Hello"}, "body.subject"},
		{"POST", "/email-templates/milestone/preview", map[string]any{"body": "{{task_title}}"}, "body.body"},
		{"POST", "/email-templates/milestone/test", map[string]any{"subject": ""}, "body.subject"},
		{"PUT", "/settings/branding", map[string]any{"accent_color": "red"}, "body.accent_color"},
		{"PUT", "/settings/branding", map[string]any{"accent_color": "#000000;}body{display:none"}, "body.accent_color"},
		{"PUT", "/settings/branding", map[string]any{"logo": base64.StdEncoding.EncodeToString([]byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`))}, "body.logo"},
	}
	for _, c := range cases {
		before := e.snapshot(t)
		status, out := e.do(t, "admin", c.method, c.path, c.body)
		if status != http.StatusUnprocessableEntity || !strings.Contains(string(out), `"location":"`+c.field+`"`) {
			t.Errorf("%s %s %v: %d %s; want 422 naming %s", c.method, c.path, c.body, status, out, c.field)
		}
		if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
			t.Errorf("%s %s changed data:\n%s", c.method, c.path, diff)
		}
	}
}
