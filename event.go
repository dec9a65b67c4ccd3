package onboardiq

import (
	"time"

	"github.com/google/uuid"
)

// EventKind names a kind of change. Every change is recorded once as an
// Event of one of these kinds (the store's tx.Emit); the fan-out hands it to
// every consumer (webhooks now; customer emails, playbooks and health
// later). docs/decisions/0008-events.md says how to add a kind.
type EventKind string

// The kinds of event. A kind's name is public: it appears in the activity
// log of the API and, for the webhook kinds, as the webhook's event type.
const (
	EventTenantCreated = EventKind("tenant.created")
	// An operator's actions on the workspace (/api/v1/admin): no user
	// did them, so they have no actor; Data names the operator token.
	EventTenantSuspended         = EventKind("tenant.suspended")
	EventTenantResumed           = EventKind("tenant.resumed")
	EventTenantDeletionScheduled = EventKind("tenant.deletion_scheduled")
	EventTenantDeletionCancelled = EventKind("tenant.deletion_cancelled")
	EventTenantQuotasChanged     = EventKind("tenant.quotas_changed")
	// A quota reached QuotaWarnPercent of its limit: once per quota and
	// month; no one did it (Data: quota, limit, usage, month).
	EventQuotaWarning = EventKind("quota.warning")

	EventUserCreated = EventKind("user.created")
	EventUserUpdated = EventKind("user.updated")
	EventUserInvited = EventKind("user.invited")
	EventSignedIn    = EventKind("auth.signed_in")

	EventTokenCreated = EventKind("token.created")
	EventTokenRevoked = EventKind("token.revoked")

	EventCustomerCreated       = EventKind("customer.created")
	EventCustomerUpdated       = EventKind("customer.updated")
	EventSupportMemberAssigned = EventKind("customer.support_member_assigned")
	EventCustomerDeleted       = EventKind("customer.deleted")
	EventCustomerArchived      = EventKind("customer.archived")
	EventCustomerUnarchived    = EventKind("customer.unarchived")
	EventCustomerStageChanged  = EventKind("customer.stage_changed")
	// A customer's health score reached another risk level, or dropped by
	// more than the workspace's drop points at once.
	EventCustomerHealthLevelChanged = EventKind("customer.health_level_changed")
	EventCustomerHealthDropped      = EventKind("customer.health_dropped")

	EventProjectCreated       = EventKind("project.created")
	EventProjectUpdated       = EventKind("project.updated")
	EventProjectDeleted       = EventKind("project.deleted")
	EventProjectStatusChanged = EventKind("project.status_changed")
	EventProjectCompleted     = EventKind("project.completed")
	EventProjectOverdue       = EventKind("project.overdue")
	EventProjectAtRisk        = EventKind("project.at_risk")
	EventProjectPutOnHold     = EventKind("project.put_on_hold")
	EventProjectResumed       = EventKind("project.resumed")
	EventProjectCancelled     = EventKind("project.cancelled")
	EventProjectReopened      = EventKind("project.reopened")

	EventTaskCreated       = EventKind("task.created")
	EventTaskUpdated       = EventKind("task.updated")
	EventTaskStatusChanged = EventKind("task.status_changed")
	EventTaskCompleted     = EventKind("task.completed")
	EventTaskBlocked       = EventKind("task.blocked")
	EventTaskReopened      = EventKind("task.reopened")
	EventTaskDeleted       = EventKind("task.deleted")
	EventTaskCommented     = EventKind("task.commented")

	EventArticleCreated = EventKind("article.created")
	EventArticleUpdated = EventKind("article.updated")
	EventArticleDeleted = EventKind("article.deleted")

	EventTemplateCreated = EventKind("template.created")
	EventTemplateUpdated = EventKind("template.updated")
	EventTemplateDeleted = EventKind("template.deleted")

	EventWebhookCreated       = EventKind("webhook.created")
	EventWebhookUpdated       = EventKind("webhook.updated")
	EventWebhookDeleted       = EventKind("webhook.deleted")
	EventWebhookSecretRotated = EventKind("webhook.secret_rotated")
	EventWebhookDisabled      = EventKind("webhook.disabled")

	EventNotificationSettingsChanged = EventKind("settings.notifications_changed")
	EventBrandingChanged             = EventKind("settings.branding_changed")
	EventHolidaysChanged             = EventKind("settings.holidays_changed")
	EventEmailTemplateChanged        = EventKind("settings.email_template_changed")
	EventCustomFieldsChanged         = EventKind("settings.custom_fields_changed")
	EventBudgetSet                   = EventKind("ai.budget_set")
	EventAssistantQuestion           = EventKind("assistant.question")

	EventConversationOpened   = EventKind("conversation.opened")
	EventConversationReplied  = EventKind("conversation.replied")
	EventConversationClosed   = EventKind("conversation.closed")
	EventConversationReopened = EventKind("conversation.reopened")

	EventUsageIngested        = EventKind("usage.ingested")
	EventUsageSettingsChanged = EventKind("settings.usage_changed")

	EventMilestonesChanged     = EventKind("settings.milestones_changed")
	EventMilestoneReached      = EventKind("milestone.reached")
	EventSurveyRequested       = EventKind("survey.requested")
	EventSurveyAnswered        = EventKind("survey.answered")
	EventSurveySettingsChanged = EventKind("settings.surveys_changed")

	EventPlaybookCreated        = EventKind("playbook.created")
	EventPlaybookUpdated        = EventKind("playbook.updated")
	EventPlaybookDeleted        = EventKind("playbook.deleted")
	EventEscalationAcknowledged = EventKind("escalation.acknowledged")

	// EventCRMSettingsChanged: a CRM connection set up, changed or its
	// secret rotated, or the mapping rules replaced (docs/crm.md).
	EventCRMSettingsChanged = EventKind("settings.crm_changed")
)

// EventKinds lists every kind, in the order above.
var EventKinds = []EventKind{
	EventTenantCreated,
	EventTenantSuspended, EventTenantResumed, EventTenantDeletionScheduled, EventTenantDeletionCancelled,
	EventTenantQuotasChanged, EventQuotaWarning,
	EventUserCreated, EventUserUpdated, EventUserInvited, EventSignedIn,
	EventTokenCreated, EventTokenRevoked,
	EventCustomerCreated, EventCustomerUpdated, EventSupportMemberAssigned, EventCustomerDeleted,
	EventCustomerArchived, EventCustomerUnarchived, EventCustomerStageChanged,
	EventCustomerHealthLevelChanged, EventCustomerHealthDropped,
	EventProjectCreated, EventProjectUpdated, EventProjectDeleted, EventProjectStatusChanged,
	EventProjectCompleted, EventProjectOverdue, EventProjectAtRisk,
	EventProjectPutOnHold, EventProjectResumed, EventProjectCancelled, EventProjectReopened,
	EventTaskCreated, EventTaskUpdated, EventTaskStatusChanged, EventTaskCompleted, EventTaskBlocked,
	EventTaskReopened, EventTaskDeleted, EventTaskCommented,
	EventArticleCreated, EventArticleUpdated, EventArticleDeleted,
	EventTemplateCreated, EventTemplateUpdated, EventTemplateDeleted,
	EventWebhookCreated, EventWebhookUpdated, EventWebhookDeleted, EventWebhookSecretRotated, EventWebhookDisabled,
	EventNotificationSettingsChanged, EventBrandingChanged, EventHolidaysChanged, EventBudgetSet, EventAssistantQuestion,
	EventConversationOpened, EventConversationReplied, EventConversationClosed, EventConversationReopened,
	EventEmailTemplateChanged,
	EventUsageIngested, EventUsageSettingsChanged,
	EventCustomFieldsChanged,
	EventMilestonesChanged, EventMilestoneReached,
	EventSurveyRequested, EventSurveyAnswered, EventSurveySettingsChanged,
	EventPlaybookCreated, EventPlaybookUpdated, EventPlaybookDeleted, EventEscalationAcknowledged,
	EventCRMSettingsChanged,
}

// WebhookEvents are the kinds published to webhooks, the types an endpoint
// can subscribe to. Their names are public (docs/notifications.md).
var WebhookEvents = []EventKind{
	EventProjectOverdue, EventProjectAtRisk, EventProjectCompleted,
	EventProjectStatusChanged, EventTaskCompleted, EventTaskBlocked,
}

// Event is one change: an entry of the activity log, and what the
// fan-out hands to its consumers. Emit fills ID, OccurredAt and ActorID
// (from the principal); Actor is the actor's name, read back from the log.
type Event struct {
	ID         int64          `json:"id"`
	OccurredAt time.Time      `json:"occurred_at"`
	ActorID    *uuid.UUID     `json:"actor_id,omitempty"`
	Actor      string         `json:"actor"`
	Kind       EventKind      `json:"kind"`
	CustomerID *uuid.UUID     `json:"customer_id,omitempty"`
	ProjectID  *uuid.UUID     `json:"project_id,omitempty"`
	TaskID     *uuid.UUID     `json:"task_id,omitempty"`
	Changes    map[string]any `json:"changes"` // field → {"from": …, "to": …}
	Data       map[string]any `json:"data"`

	// The names of the task and project the event is about, read back
	// with it from the log (their current names), for Describe.
	TaskName    string `json:"-"`
	ProjectName string `json:"-"`
}

// eventLabels say what each kind of event was, for people: the activity
// log shows "Alex Morgan · completed a task".
var eventLabels = map[EventKind]string{
	EventTenantCreated:               "created the workspace",
	EventTenantSuspended:             "suspended the workspace",
	EventTenantResumed:               "resumed the workspace",
	EventTenantDeletionScheduled:     "scheduled the workspace's deletion",
	EventTenantDeletionCancelled:     "cancelled the workspace's deletion",
	EventTenantQuotasChanged:         "changed the workspace's tier or quotas",
	EventQuotaWarning:                "warned that a quota is nearly used up",
	EventUserCreated:                 "added a user",
	EventUserUpdated:                 "changed a user",
	EventUserInvited:                 "invited a contact to the portal",
	EventSignedIn:                    "signed in",
	EventTokenCreated:                "created an API token",
	EventTokenRevoked:                "revoked an API token",
	EventCustomerCreated:             "added the customer",
	EventCustomerUpdated:             "changed the customer",
	EventSupportMemberAssigned:       "assigned the CSM",
	EventCustomerDeleted:             "deleted the customer",
	EventCustomerArchived:            "archived the customer",
	EventCustomerUnarchived:          "unarchived the customer",
	EventCustomerStageChanged:        "moved the customer to another journey stage",
	EventCustomerHealthLevelChanged:  "the customer’s health reached another level",
	EventCustomerHealthDropped:       "the customer’s health dropped",
	EventProjectCreated:              "created the project",
	EventProjectUpdated:              "changed the project",
	EventProjectDeleted:              "deleted the project",
	EventProjectStatusChanged:        "project status changed",
	EventProjectCompleted:            "project completed",
	EventProjectOverdue:              "project overdue",
	EventProjectAtRisk:               "project at risk",
	EventProjectPutOnHold:            "put the project on hold",
	EventProjectResumed:              "resumed the project",
	EventProjectCancelled:            "cancelled the project",
	EventProjectReopened:             "reopened the project",
	EventTaskCreated:                 "added a task",
	EventTaskUpdated:                 "changed a task",
	EventTaskStatusChanged:           "changed a task’s status",
	EventTaskCompleted:               "completed a task",
	EventTaskBlocked:                 "marked a task blocked",
	EventTaskReopened:                "reopened a task",
	EventTaskDeleted:                 "deleted a task",
	EventTaskCommented:               "commented on a task",
	EventArticleCreated:              "wrote an article",
	EventArticleUpdated:              "changed an article",
	EventArticleDeleted:              "deleted an article",
	EventTemplateCreated:             "created a template",
	EventTemplateUpdated:             "changed a template",
	EventTemplateDeleted:             "deleted a template",
	EventWebhookCreated:              "registered a webhook",
	EventWebhookUpdated:              "changed a webhook",
	EventWebhookDeleted:              "deleted a webhook",
	EventWebhookSecretRotated:        "rotated a webhook secret",
	EventWebhookDisabled:             "webhook disabled",
	EventNotificationSettingsChanged: "changed notification settings",
	EventBrandingChanged:             "changed the portal's branding",
	EventHolidaysChanged:             "changed the holidays",
	EventEmailTemplateChanged:        "changed an email to contacts",
	EventCustomFieldsChanged:         "changed the custom fields",
	EventBudgetSet:                   "set the AI budget",
	EventAssistantQuestion:           "asked the support team",
	EventConversationOpened:          "asked the CSM",
	EventConversationReplied:         "replied in a conversation",
	EventConversationClosed:          "closed a conversation",
	EventConversationReopened:        "reopened a conversation",
	EventUsageIngested:               "sent usage events",
	EventUsageSettingsChanged:        "changed the usage settings",
	EventMilestonesChanged:           "changed the milestones",
	EventMilestoneReached:            "reached a milestone",
	EventSurveyRequested:             "sent a satisfaction survey",
	EventSurveyAnswered:              "answered a satisfaction survey",
	EventSurveySettingsChanged:       "changed the survey settings",
	EventPlaybookCreated:             "created a playbook",
	EventPlaybookUpdated:             "changed a playbook",
	EventPlaybookDeleted:             "deleted a playbook",
	EventEscalationAcknowledged:      "acknowledged an escalation",

	EventCRMSettingsChanged: "changed the CRM settings",
}

// Label is what an event of kind k was, in words; an unknown kind is its name.
func (k EventKind) Label() string {
	if l, ok := eventLabels[k]; ok {
		return l
	}
	return string(k)
}
