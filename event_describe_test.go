package onboardiq

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestDescribeEveryKind: the activity log names the task or project and
// what changed, for every kind of event, from the event as the log gives
// it back (its JSON). A kind added without a line here fails.
func TestDescribeEveryKind(t *testing.T) {
	t.Parallel()
	ch := func(field string, from, to any) map[string]any {
		return map[string]any{field: map[string]any{"from": from, "to": to}}
	}
	march4 := time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC)
	user := uuid.MustParse("00000000-0000-0000-0000-0000000000aa")
	cases := []struct {
		name string
		e    Event
		want string
	}{
		{"", Event{Kind: EventTenantCreated, Data: map[string]any{"name": "Acme", "slug": "acme"}}, "created the workspace “Acme”"},
		{"", Event{Kind: EventTenantSuspended, Data: map[string]any{"reason": "Invoice overdue"}}, "suspended the workspace: Invoice overdue"},
		{"no reason", Event{Kind: EventTenantSuspended}, "suspended the workspace"},
		{"", Event{Kind: EventTenantResumed}, "resumed the workspace"},
		{"", Event{Kind: EventTenantDeletionScheduled, Data: map[string]any{"delete_after": "2026-12-27T05:00:00Z"}}, "scheduled the workspace’s deletion for 27 Dec 2026"},
		{"", Event{Kind: EventTenantDeletionCancelled}, "cancelled the workspace’s deletion"},
		{"", Event{Kind: EventTenantQuotasChanged, Data: map[string]any{"subscription_tier": "starter"}}, "set the workspace’s tier (starter) and quotas"},
		{"no tier", Event{Kind: EventTenantQuotasChanged, Data: map[string]any{"subscription_tier": ""}}, "set the workspace’s quotas (no tier)"},
		{"", Event{Kind: EventQuotaWarning, Data: map[string]any{"quota": "users", "limit": 5, "usage": 4}}, "warned that the workspace used 80% of its quota of staff users"},
		{"", Event{Kind: EventUserCreated, Data: map[string]any{"user_id": user, "email": "dana@acme.example", "role": RoleAdmin}}, "added dana@acme.example as an admin"},
		{"disabled", Event{Kind: EventUserUpdated, Changes: ch("disabled", false, true)}, "disabled a user"},
		{"role", Event{Kind: EventUserUpdated, Changes: ch("role", "viewer", "sales_leader")}, "made a user a sales leader"},
		{"name", Event{Kind: EventUserUpdated, Changes: ch("name", "Pat", "Pat Lee")}, "changed a user’s name"},
		{"", Event{Kind: EventSignedIn}, "signed in"},
		{"", Event{Kind: EventTokenCreated, Data: map[string]any{"name": "CI"}}, "created the API token “CI”"},
		{"", Event{Kind: EventTokenRevoked}, "revoked an API token"},
		{"", Event{Kind: EventCustomerCreated, Data: map[string]any{"name": "Globex", "support_member_id": (*uuid.UUID)(nil)}}, "added the customer “Globex”"},
		{"assigned, as emitted", Event{Kind: EventSupportMemberAssigned, Changes: ch("support_member_id", (*uuid.UUID)(nil), &user)}, "assigned the customer’s CSM"},
		{"renamed", Event{Kind: EventCustomerUpdated, Changes: ch("name", "Globex", "Globex Logistics")}, "renamed the customer “Globex” to “Globex Logistics”"},
		{"details", Event{Kind: EventCustomerUpdated, Changes: ch("contact_info", nil, map[string]any{"website": "x"})}, "changed the customer’s contact details"},
		{"assigned", Event{Kind: EventSupportMemberAssigned, Changes: ch("support_member_id", nil, user.String())}, "assigned the customer’s CSM"},
		{"removed", Event{Kind: EventSupportMemberAssigned, Changes: ch("support_member_id", user.String(), nil)}, "removed the customer’s CSM"},
		{"", Event{Kind: EventCustomerDeleted, Data: map[string]any{"name": "Hooli"}}, "deleted the customer “Hooli”"},

		{"", Event{Kind: EventProjectCreated, ProjectName: "Globex rollout", Data: map[string]any{"name": "Rollout"}}, "created the project “Globex rollout”"},
		{"deadline", Event{Kind: EventProjectUpdated, ProjectName: "Rollout", Changes: ch("deadline", nil, march4)}, "moved the deadline of “Rollout” to 4 Mar"},
		{"renamed", Event{Kind: EventProjectUpdated, ProjectName: "B", Changes: ch("name", "A", "B")}, "renamed the project “A” to “B”"},
		{"two fields", Event{Kind: EventProjectUpdated, ProjectName: "Rollout", Changes: map[string]any{"description": map[string]any{}, "deadline": map[string]any{}}}, "changed the deadline and description of “Rollout”"},
		{"", Event{Kind: EventProjectDeleted, Data: map[string]any{"name": "Scrapped"}}, "deleted the project “Scrapped”"},
		{"", Event{Kind: EventProjectStatusChanged, ProjectName: "Rollout", Changes: ch("status", StatusNotStarted, StatusInProgress)}, "moved “Rollout” from not started to in progress"},
		{"", Event{Kind: EventProjectCompleted, Data: map[string]any{"name": "Rollout"}}, "completed the project “Rollout”"},
		{"", Event{Kind: EventProjectOverdue, Data: map[string]any{"project": map[string]any{"name": "Rollout", "deadline": "2026-03-04T17:00:00Z"}}}, "flagged “Rollout” overdue: it was due 4 Mar"},
		{"", Event{Kind: EventProjectAtRisk, Data: map[string]any{"project": map[string]any{"name": "Rollout"}, "reason": "3 tasks late"}}, "flagged “Rollout” at risk: 3 tasks late"},
		{"", Event{Kind: EventProjectPutOnHold, ProjectName: "Rollout", Data: map[string]any{"reason": "Budget freeze"}}, "put “Rollout” on hold: Budget freeze"},
		{"", Event{Kind: EventProjectResumed, ProjectName: "Rollout", Data: map[string]any{"held_days": 1}}, "resumed “Rollout”, moving its dates by 1 day"},
		{"", Event{Kind: EventProjectCancelled, ProjectName: "Rollout", Data: map[string]any{"reason": "Churned"}}, "cancelled “Rollout”: Churned"},
		{"", Event{Kind: EventProjectReopened, ProjectName: "Rollout"}, "reopened “Rollout”"},

		{"", Event{Kind: EventTaskCreated, TaskName: "Configure SSO"}, "added the task “Configure SSO”"},
		{"due date", Event{Kind: EventTaskUpdated, TaskName: "Import data", Changes: ch("due_at", nil, march4)}, "moved the due date of “Import data” to 4 Mar"},
		{"no due date", Event{Kind: EventTaskUpdated, TaskName: "Import data", Changes: ch("due_at", march4, nil)}, "removed the due date of “Import data”"},
		{"renamed", Event{Kind: EventTaskUpdated, TaskName: "B", Changes: ch("description", "A", "B")}, "renamed the task “A” to “B”"},
		{"reassigned", Event{Kind: EventTaskUpdated, TaskName: "Import data", Changes: ch("assigned_to", nil, user.String())}, "reassigned “Import data”"},
		{"internal", Event{Kind: EventTaskUpdated, TaskName: "Import data", Changes: ch("visibility", "customer", "internal")}, "made “Import data” internal"},
		{"phase", Event{Kind: EventTaskUpdated, TaskName: "Import data", Changes: ch("phase", "Kickoff", "Go-live")}, "moved “Import data” to the phase “Go-live”"},
		{"details", Event{Kind: EventTaskUpdated, TaskName: "Import data", Changes: ch("details", "", "Use the sandbox.")}, "changed the details of “Import data”"},
		{"several", Event{Kind: EventTaskUpdated, TaskName: "Import data", Changes: map[string]any{"due_at": map[string]any{}, "assigned_to": map[string]any{}}}, "changed the assignee and due date of “Import data”"},
		{"", Event{Kind: EventTaskStatusChanged, TaskName: "Import data", Changes: ch("status", StatusNotStarted, StatusInProgress)}, "set “Import data” to in progress"},
		{"", Event{Kind: EventTaskCompleted, TaskName: "Configure SSO"}, "completed “Configure SSO”"},
		{"deleted since", Event{Kind: EventTaskCompleted, Data: map[string]any{"description": "Old name"}}, "completed “Old name”"},
		{"", Event{Kind: EventTaskBlocked, TaskName: "Import data", Data: map[string]any{"blocked_reason": "No credentials"}}, "marked “Import data” blocked: No credentials"},
		{"", Event{Kind: EventTaskReopened, TaskName: "Configure SSO"}, "reopened “Configure SSO”"},
		{"", Event{Kind: EventTaskDeleted, Data: map[string]any{"description": "Not needed"}}, "deleted the task “Not needed”"},
		{"", Event{Kind: EventTaskCommented, TaskName: "Configure SSO", Data: map[string]any{"body": "Done on our side."}}, "commented on “Configure SSO”"},

		{"", Event{Kind: EventArticleCreated, Data: map[string]any{"title": "SSO"}}, "wrote the article “SSO”"},
		{"tags", Event{Kind: EventArticleUpdated, Changes: ch("tags", nil, []any{"sso"})}, "changed an article’s tags"},
		{"", Event{Kind: EventArticleDeleted, Data: map[string]any{"title": "SSO"}}, "deleted the article “SSO”"},
		{"", Event{Kind: EventTemplateCreated, Data: map[string]any{"name": "Quick start"}}, "created the template “Quick start”"},
		{"", Event{Kind: EventTemplateUpdated, Changes: map[string]any{"tasks": map[string]any{}, "is_default": map[string]any{}}}, "changed a template’s default and tasks"},
		{"", Event{Kind: EventTemplateDeleted, Data: map[string]any{"name": "Quick start"}}, "deleted the template “Quick start”"},
		{"", Event{Kind: EventWebhookCreated, Data: map[string]any{"url": "https://hooks.example/x"}}, "registered a webhook for https://hooks.example/x"},
		{"", Event{Kind: EventWebhookUpdated, Changes: ch("disabled", false, true)}, "disabled a webhook"},
		{"", Event{Kind: EventWebhookDeleted}, "deleted a webhook"},
		{"", Event{Kind: EventWebhookSecretRotated}, "rotated a webhook’s signing secret"},
		{"", Event{Kind: EventWebhookDisabled, Data: map[string]any{"reason": "410 Gone"}}, "disabled a webhook: 410 Gone"},
		{"", Event{Kind: EventNotificationSettingsChanged, Changes: ch("time_zone", "UTC", "Europe/Berlin")}, "changed the notification settings: time zone"},
		{"", Event{Kind: EventBrandingChanged, Changes: map[string]any{"accent_color": map[string]any{}, "logo": map[string]any{}}}, "changed the portal’s accent colour and logo"},
		{"", Event{Kind: EventHolidaysChanged, Data: map[string]any{"count": 3.0}}, "changed the holidays: 3 days off"},
		{"", Event{Kind: EventHolidaysChanged, Data: map[string]any{"count": 1}}, "changed the holidays: 1 day off"},
		{"", Event{Kind: EventCustomerArchived}, "archived the customer"},
		{"", Event{Kind: EventCustomerUnarchived}, "unarchived the customer"},
		{"", Event{Kind: EventCustomerStageChanged, Data: map[string]any{"stage": "adoption", "stage_name": "Adoption"}}, "moved the customer to the stage “Adoption”"},
		{"no name", Event{Kind: EventCustomerStageChanged}, "moved the customer to another journey stage"},
		{"", Event{Kind: EventCustomerHealthLevelChanged, Data: map[string]any{"level_name": "Critical", "score": 31.0, "previous_score": 44.0}}, "health is now “Critical” (score 31, was 44)"},
		{"no name", Event{Kind: EventCustomerHealthLevelChanged}, "the customer’s health reached another level"},
		{"", Event{Kind: EventCustomerHealthDropped, Data: map[string]any{"score": 52, "previous_score": 75}}, "health dropped from 75 to 52"},
		{"", Event{Kind: EventUserInvited, Data: map[string]any{"email": "rosa@umbrella.example"}}, "invited “rosa@umbrella.example” to the portal"},
		{"", Event{Kind: EventBudgetSet, Data: map[string]any{"monthly_tokens": 100000}}, "set the AI budget to 100000 tokens a month"},
		{"", Event{Kind: EventAssistantQuestion}, "asked the support team a question"},
		{"", Event{Kind: EventConversationOpened, Data: map[string]any{"subject": "How do I set up SSO?", "by_staff": false}}, "asked the CSM “How do I set up SSO?”"},
		{"", Event{Kind: EventConversationReplied, Data: map[string]any{"subject": "About: Configure SSO", "by_staff": true}}, "replied to “About: Configure SSO”"},
		{"no subject", Event{Kind: EventConversationReplied}, "replied to a conversation"},
		{"", Event{Kind: EventConversationClosed, Data: map[string]any{"subject": "SSO"}}, "closed the conversation “SSO”"},
		{"", Event{Kind: EventConversationReopened, Data: map[string]any{"subject": "SSO"}}, "reopened the conversation “SSO”"},
		{"", Event{Kind: EventEmailTemplateChanged, Data: map[string]any{"kind": "task_due_soon", "label": "Task due soon"},
			Changes: map[string]any{"subject": map[string]any{}, "body": map[string]any{}}}, "changed the email “Task due soon”: body and subject"},
		{"reset", Event{Kind: EventEmailTemplateChanged, Data: map[string]any{"kind": "task_due_soon", "label": "Task due soon", "reset": true}},
			"reset the email “Task due soon” to the default"},
		{"", Event{Kind: EventUsageIngested, Data: map[string]any{"accepted": 998, "duplicates": 1, "rejected": 1}}, "sent 998 usage events (1 already received), 1 refused"},
		{"one", Event{Kind: EventUsageIngested, Data: map[string]any{"accepted": 1.0, "duplicates": 0.0, "rejected": 0.0}}, "sent 1 usage event"},
		{"", Event{Kind: EventUsageSettingsChanged, Changes: map[string]any{"core_features": map[string]any{}, "retention_days": map[string]any{}}},
			"changed the usage settings: core features and retention"},
		{"", Event{Kind: EventCustomFieldsChanged, Data: map[string]any{"action": "created", "entity": "customer", "label": "Plan"}}, "added the customer field “Plan”"},
		{"changed", Event{Kind: EventCustomFieldsChanged, Data: map[string]any{"action": "updated", "entity": "project", "label": "Region"}}, "changed the project field “Region”"},
		{"deleted", Event{Kind: EventCustomFieldsChanged, Data: map[string]any{"action": "deleted", "entity": "customer", "label": "Plan"}}, "deleted the customer field “Plan”"},
		{"", Event{Kind: EventMilestonesChanged, Data: map[string]any{"action": "created", "key": "first_api_call", "name": "First API call"}}, "added the milestone “First API call”"},
		{"deleted", Event{Kind: EventMilestonesChanged, Data: map[string]any{"action": "deleted", "name": "First API call"}}, "deleted the milestone “First API call”"},
		{"", Event{Kind: EventMilestoneReached, Data: map[string]any{"key": "first_api_call", "name": "First API call", "event_ids": []any{"evt_1"}}}, "reached the milestone “First API call”"},
		{"", Event{Kind: EventSurveyRequested, Data: map[string]any{"kind": "csat", "subject": "Kickoff"}}, "sent a CSAT survey “Kickoff”"},
		{"", Event{Kind: EventSurveyAnswered, Data: map[string]any{"kind": "nps", "score": 0, "detractor": true}}, "answered an NPS survey with 0"},
		{"no score", Event{Kind: EventSurveyAnswered, Data: map[string]any{"kind": "csat"}}, "answered a satisfaction survey"},
		{"", Event{Kind: EventSurveySettingsChanged, Changes: map[string]any{"nps_interval_days": map[string]any{}}}, "changed the survey settings: NPS interval"},
		{"", Event{Kind: EventPlaybookCreated, Data: map[string]any{"name": "Health below 40"}}, "created the playbook “Health below 40”"},
		{"", Event{Kind: EventPlaybookUpdated, Data: map[string]any{"name": "Health below 40", "enabled": true}}, "enabled the playbook “Health below 40”"},
		{"", Event{Kind: EventPlaybookUpdated, Data: map[string]any{"name": "Health below 40"}}, "changed the playbook “Health below 40”"},
		{"", Event{Kind: EventPlaybookDeleted, Data: map[string]any{"name": "Nudge"}}, "deleted the playbook “Nudge”"},
		{"", Event{Kind: EventEscalationAcknowledged, Data: map[string]any{"title": "Globex onboarding is overdue"}}, "acknowledged the escalation “Globex onboarding is overdue”"},
		{"connection", Event{Kind: EventCRMSettingsChanged, Data: map[string]any{"area": "crm", "provider": "hubspot"}}, "changed the HubSpot connection"},
		{"rules", Event{Kind: EventCRMSettingsChanged, Data: map[string]any{"area": "crm_rules", "rules": 2}}, "changed the CRM mapping rules"},
	}
	covered := map[EventKind]bool{}
	for _, tc := range cases {
		covered[tc.e.Kind] = true
		// As the log gives it back: through JSON.
		raw, err := json.Marshal(map[string]any{"changes": tc.e.Changes, "data": tc.e.Data})
		if err != nil {
			t.Fatal(err)
		}
		back := tc.e
		back.Changes, back.Data = nil, nil
		if err := json.Unmarshal(raw, &struct {
			Changes *map[string]any `json:"changes"`
			Data    *map[string]any `json:"data"`
		}{&back.Changes, &back.Data}); err != nil {
			t.Fatal(err)
		}
		for how, e := range map[string]*Event{"emitted": &tc.e, "read back": &back} {
			if got := e.Describe(); got != tc.want {
				t.Errorf("%s %s, %s: %q, want %q", tc.e.Kind, tc.name, how, got, tc.want)
			}
		}
	}
	for _, k := range EventKinds {
		if !covered[k] {
			t.Errorf("%s is not described in the table", k)
		}
	}
	if got := (&Event{Kind: "x.unknown"}).Describe(); got != "x.unknown" {
		t.Errorf("an unknown kind: %q", got)
	}
}

func TestPlural(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		got, want string
	}{
		{Plural(0, "task"), "0 tasks"},
		{Plural(1, "task"), "1 task"},
		{Plural(2, "task"), "2 tasks"},
		{Plural(1, "day"), "1 day"},
		{Plural(21, "day"), "21 days"},
		{Plural(2, "person", "people"), "2 people"},
		{Plural(1, "person", "people"), "1 person"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}
