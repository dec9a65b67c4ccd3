package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// The kinds of notification staff receive about what customers do
// (docs/notifications.md), and the one anyone receives when mentioned.
const (
	KindCustomerCompletedTask = "customer_completed_task"
	KindCustomerBlockedTask   = "customer_blocked_task"
	KindCustomerReopenedTask  = "customer_reopened_task"
	KindCustomerCommented     = "customer_commented"
	KindMentioned             = "mentioned"
)

// TaskAudience is what the staff alerts of an event about a task need to
// know beyond the event: who acted, the task's CSM and owner, and who may
// be mentioned on it.
type TaskAudience struct {
	TaskID, ProjectID, CustomerID uuid.UUID
	Task, Project, Customer       string
	TenantSlug                    string
	Visibility                    onboardiq.Visibility

	ActorIsContact bool
	Actor          string
	CSM            *uuid.UUID // the customer's support member, if any
	StaffAssignee  *uuid.UUID // the task's assignee when staff (and active)
}

// TaskAudience reads the audience of an event on task taskID by actor; nil
// when the task is gone (deleted since).
func (tx *Tx) TaskAudience(ctx context.Context, taskID uuid.UUID, actor *uuid.UUID) (*TaskAudience, error) {
	a := &TaskAudience{}
	err := tx.QueryRow(ctx, `
SELECT t.task_id, t.project_id, p.customer_id, t.description, p.name, c.name, tn.slug, t.visibility,
       c.support_member_id,
       (SELECT u.user_id FROM tenant_users u WHERE u.tenant_id = t.tenant_id AND u.user_id = t.assigned_to AND u.role <> 'customer' AND u.disabled_at IS NULL)
FROM tasks t
JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id
JOIN tenants tn ON tn.tenant_id = t.tenant_id
WHERE t.tenant_id = $1 AND t.task_id = $2`, tx.TenantID(), taskID).Scan(
		&a.TaskID, &a.ProjectID, &a.CustomerID, &a.Task, &a.Project, &a.Customer, &a.TenantSlug, &a.Visibility, &a.CSM, &a.StaffAssignee)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("task audience: %w", err)
	}
	if actor != nil {
		var role string
		err := tx.QueryRow(ctx, `SELECT role, name FROM tenant_users WHERE tenant_id = $1 AND user_id = $2`, tx.TenantID(), *actor).Scan(&role, &a.Actor)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("task audience: %w", err)
		}
		a.ActorIsContact = role == string(onboardiq.RoleCustomer)
	}
	return a, nil
}

// Mentionable is a user who may be mentioned on a task.
type Mentionable struct {
	UserID      uuid.UUID
	Name, Email string
	Role        onboardiq.Role
}

// mentionableQuery lists the active users who can see a task of customer
// $2 ($3: the task is visible to customers): every staff member of the
// tenant, and the customer's contacts when customers see the task; staff
// first, by name. The notifier (Mentionable) and the task page's
// suggestions (LoadStaffTaskPage) both ask it, so the page never offers
// someone a mention would not reach.
const mentionableQuery = `
SELECT user_id, name, email, role FROM tenant_users
WHERE tenant_id = $1 AND disabled_at IS NULL AND (role <> 'customer' OR ($3 AND customer_id = $2))
ORDER BY role = 'customer', lower(name), user_id`

func scanMentionable(r pgx.CollectableRow) (Mentionable, error) {
	var m Mentionable
	return m, r.Scan(&m.UserID, &m.Name, &m.Email, &m.Role)
}

// Mentionable lists the active users who can see the task a
// (mentionableQuery).
func (tx *Tx) Mentionable(ctx context.Context, a *TaskAudience) ([]Mentionable, error) {
	rows, err := tx.Query(ctx, mentionableQuery, tx.TenantID(), a.CustomerID, a.Visibility == onboardiq.VisibilityCustomer)
	if err != nil {
		return nil, fmt.Errorf("mentionable: %w", err)
	}
	return pgx.CollectRows(rows, scanMentionable)
}

// UserNotice is a notification for some users about an event on a task.
type UserNotice struct {
	Kind        string
	EventID     int64
	Task        *TaskAudience
	Title, Body string
	Users       []uuid.UUID
}

// NotifyOfEvent notifies each of n's users (active, and not having turned
// the kind off in the app) once per event and kind, however often it runs:
// the key (event, kind) is unique per user. It queues their email as they
// prefer (immediately, after the quiet hours; or in the digest); contacts
// are told in the app only. The notification points at the task: data
// holds task_id and link (the console's task page, or the contact's
// portal project page).
func (tx *Tx) NotifyOfEvent(ctx context.Context, n UserNotice, now time.Time) ([]Notified, error) {
	if len(n.Users) == 0 {
		return nil, nil
	}
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	t := n.Task
	rows, err := tx.Query(ctx, `
WITH ins AS (
INSERT INTO notifications (tenant_id, user_id, kind, project_id, title, body, data, dedupe_key, email_state)
SELECT $1, u.user_id, $2, $3, $4, $5,
       jsonb_build_object('task_id', $6::uuid, 'event_id', $7::bigint,
           'link', CASE WHEN u.role = 'customer' THEN $8::text ELSE $11::text END),
       $9,
       CASE WHEN u.role = 'customer' THEN 'none'
            ELSE CASE coalesce(np.email, 'immediate') WHEN 'immediate' THEN 'pending' WHEN 'digest' THEN 'digest' ELSE 'none' END END
FROM tenant_users u
LEFT JOIN notification_preferences np ON np.tenant_id = u.tenant_id AND np.user_id = u.user_id AND np.kind = $2
WHERE u.tenant_id = $1 AND u.user_id = ANY ($10) AND u.disabled_at IS NULL AND coalesce(np.in_app, true)
ON CONFLICT DO NOTHING
RETURNING notification_id, user_id, email_state
)
SELECT ins.notification_id, ins.user_id, u.email, ins.email_state
FROM ins JOIN tenant_users u ON u.tenant_id = $1 AND u.user_id = ins.user_id`,
		tx.TenantID(), n.Kind, t.ProjectID, n.Title, n.Body, t.TaskID, n.EventID, "/portal/"+t.TenantSlug+"/projects/"+t.ProjectID.String(),
		fmt.Sprintf("%s:event:%d", n.Kind, n.EventID), n.Users, "/app/tasks/"+t.TaskID.String())
	if err != nil {
		return nil, fmt.Errorf("notify of event: %w", err)
	}
	return queueNotified(ctx, tx, rows, n.Kind, t.ProjectID, n.Title, settings, now)
}

// KindCustomerAskedForHelp is the notification staff receive when a
// contact asks them something ("Ask my CSM") or writes again in the
// conversation.
const KindCustomerAskedForHelp = "customer_asked_for_help"

// ConversationAudience is what the staff alert of a message in a
// conversation needs beyond the event: who wrote it, what, and who
// answers the customer.
type ConversationAudience struct {
	ConversationID, CustomerID uuid.UUID
	ProjectID                  *uuid.UUID // while the project exists
	Subject, Customer          string
	Actor                      string
	ActorIsContact             bool
	Body                       string // the message's text
	Answer                     string // the assistant's answer the contact passed on, if any
	// Staff are who answer: the customer's CSM (active), or, with none,
	// the workspace's active admins.
	Staff []uuid.UUID
}

// ConversationAudience reads the audience of message messageID of
// conversation id, written by actor; nil when the conversation is gone.
func (tx *Tx) ConversationAudience(ctx context.Context, id uuid.UUID, messageID *uuid.UUID, actor *uuid.UUID) (*ConversationAudience, error) {
	a := &ConversationAudience{}
	var csm *uuid.UUID
	err := tx.QueryRow(ctx, `
SELECT c.conversation_id, c.customer_id, p.project_id, c.subject, cu.name, s.user_id
FROM conversations c
JOIN customers cu ON cu.tenant_id = c.tenant_id AND cu.customer_id = c.customer_id
LEFT JOIN projects p ON p.tenant_id = c.tenant_id AND p.project_id = c.project_id
LEFT JOIN tenant_users s ON s.tenant_id = c.tenant_id AND s.user_id = cu.support_member_id AND s.disabled_at IS NULL AND s.role <> 'customer'
WHERE c.tenant_id = $1 AND c.conversation_id = $2`, tx.TenantID(), id).Scan(&a.ConversationID, &a.CustomerID, &a.ProjectID, &a.Subject, &a.Customer, &csm)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("conversation audience: %w", err)
	}
	if csm != nil {
		a.Staff = []uuid.UUID{*csm}
	} else {
		rows, err := tx.Query(ctx, `SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND role = 'admin' AND disabled_at IS NULL ORDER BY user_id`, tx.TenantID())
		if err != nil {
			return nil, fmt.Errorf("conversation audience: %w", err)
		}
		if a.Staff, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
			return nil, fmt.Errorf("conversation audience: %w", err)
		}
	}
	if actor != nil {
		var role string
		err := tx.QueryRow(ctx, `SELECT role, name FROM tenant_users WHERE tenant_id = $1 AND user_id = $2`, tx.TenantID(), *actor).Scan(&role, &a.Actor)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("conversation audience: %w", err)
		}
		a.ActorIsContact = role == string(onboardiq.RoleCustomer)
	}
	if messageID != nil {
		err := tx.QueryRow(ctx, `SELECT body FROM conversation_messages WHERE tenant_id = $1 AND conversation_id = $2 AND message_id = $3`,
			tx.TenantID(), id, *messageID).Scan(&a.Body)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("conversation audience: %w", err)
		}
		err = tx.QueryRow(ctx, `
SELECT body FROM conversation_messages WHERE tenant_id = $1 AND conversation_id = $2 AND kind = 'assistant_answer'
ORDER BY created_at LIMIT 1`, tx.TenantID(), id).Scan(&a.Answer)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("conversation audience: %w", err)
		}
	}
	return a, nil
}

// ConversationNotice is a notification for some staff about an event of a
// conversation.
type ConversationNotice struct {
	Kind         string
	EventID      int64
	Conversation *ConversationAudience
	Title, Body  string
	Users        []uuid.UUID
}

// NotifyOfConversation notifies each of n's users (active, and not having
// turned the kind off in the app) once per event and kind, however often
// it runs, and queues their email as they prefer. The notification points
// at the conversation: data holds conversation_id and link (its console
// page).
func (tx *Tx) NotifyOfConversation(ctx context.Context, n ConversationNotice, now time.Time) ([]Notified, error) {
	if len(n.Users) == 0 {
		return nil, nil
	}
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	c := n.Conversation
	rows, err := tx.Query(ctx, `
WITH ins AS (
INSERT INTO notifications (tenant_id, user_id, kind, project_id, title, body, data, dedupe_key, email_state)
SELECT $1, u.user_id, $2, $3, $4, $5,
       jsonb_build_object('conversation_id', $6::uuid, 'event_id', $7::bigint, 'link', $8::text),
       $9,
       CASE coalesce(np.email, 'immediate') WHEN 'immediate' THEN 'pending' WHEN 'digest' THEN 'digest' ELSE 'none' END
FROM tenant_users u
LEFT JOIN notification_preferences np ON np.tenant_id = u.tenant_id AND np.user_id = u.user_id AND np.kind = $2
WHERE u.tenant_id = $1 AND u.user_id = ANY ($10) AND u.role <> 'customer' AND u.disabled_at IS NULL AND coalesce(np.in_app, true)
ON CONFLICT DO NOTHING
RETURNING notification_id, user_id, email_state
)
SELECT ins.notification_id, ins.user_id, u.email, ins.email_state
FROM ins JOIN tenant_users u ON u.tenant_id = $1 AND u.user_id = ins.user_id`,
		tx.TenantID(), n.Kind, c.ProjectID, n.Title, n.Body, c.ConversationID, n.EventID, "/app/conversations/"+c.ConversationID.String(),
		fmt.Sprintf("%s:event:%d", n.Kind, n.EventID), n.Users)
	if err != nil {
		return nil, fmt.Errorf("notify of conversation: %w", err)
	}
	var project uuid.UUID
	if c.ProjectID != nil {
		project = *c.ProjectID
	}
	return queueNotified(ctx, tx, rows, n.Kind, project, n.Title, settings, now)
}
