package postgres

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/onboardiq/onboardiq"
)

// RelatedTask is a task retrieved for the assistant. What it carries
// depends on who asks: staff get the task as it is; a customer contact
// gets their own company's tasks as they are, and another customer's only
// as the tenant's template text and an outcome without free text.
type RelatedTask struct {
	ID         uuid.UUID
	Similarity float64
	Status     onboardiq.Status
	// Own is true for a task of the asking contact's customer.
	Own bool
	// Anonymous is true for another customer's task asked about by a
	// contact: Description, Details, ProjectName, BlockedReason and
	// Comments are empty, and nothing of that customer's words was read
	// out of the database but the blocked reason, to classify it.
	Anonymous   bool
	Description string
	Details     string
	ProjectName string
	// Template is the template task it was made from, when there is one
	// (and, for a contact, one visible to customers): the tenant's words.
	Template *TemplateText
	DaysToDo *float64 // from the project start to completion
	DaysLate *float64 // completion after the due date (negative: early)
	// WasBlocked is true when it is or was blocked; BlockedKind says by
	// what kind of thing, in generic words (BlockerKind).
	WasBlocked    bool
	BlockedKind   string
	BlockedReason *string                    // the latest reason, in its own words (not Anonymous)
	Comments      []onboardiq.SimilarComment // the latest few, for staff
}

// TemplateText is a template task's description and details.
type TemplateText struct {
	Description string
	Details     string
}

// TasksNear retrieves, for the assistant, tasks nearest to a question's
// vector: for staff, any task of the tenant; for a contact, their own
// customer's visible tasks and completed visible tasks of other customers,
// the latter anonymous (see RelatedTask).
func (tx *Tx) TasksNear(ctx context.Context, p *onboardiq.Principal, vec []float32, model string, limit int) ([]RelatedTask, error) {
	if !comparableVector(vec) {
		return nil, nil
	}
	if err := enableIterativeScan(ctx, tx); err != nil {
		return nil, err
	}
	// $4: the asker is a contact; $6: their customer. "hidden" rows are
	// another customer's, for a contact: their words are not selected.
	rows, err := tx.Query(ctx, `
WITH near AS MATERIALIZED (
    SELECT t.task_id, t.project_id, t.template_task_id, t.description, t.details, t.status, t.completed_at, t.due_at,
           t.blocked_reason, t.vector_embedding <=> $2 AS distance
    FROM tasks t
    WHERE t.tenant_id = $1 AND t.vector_embedding IS NOT NULL AND t.embedding_model = $3
      AND (NOT $4 OR t.visibility = 'customer')
    ORDER BY t.vector_embedding <=> $2
    LIMIT $5 * 4
), found AS (
    SELECT n.*, p.name AS project_name, p.start_date, coalesce(p.customer_id = $6, false) AS own,
           $4 AND p.customer_id IS DISTINCT FROM $6 AS hidden
    FROM near n JOIN projects p ON p.tenant_id = $1 AND p.project_id = n.project_id
    WHERE (n.status = 'completed' OR p.customer_id = $6 OR NOT $4) AND n.distance `+notNaN+`
    ORDER BY n.distance LIMIT $5
)
SELECT f.task_id, 1 - f.distance, f.status, f.own, f.hidden,
       CASE WHEN f.hidden THEN '' ELSE f.description END,
       CASE WHEN f.hidden THEN '' ELSE f.details END,
       CASE WHEN f.hidden THEN '' ELSE f.project_name END,
       tt.description, tt.details,
       extract(epoch FROM f.completed_at - f.start_date) / 86400,
       extract(epoch FROM f.completed_at - f.due_at) / 86400,
       coalesce(f.blocked_reason, b.reason),
       f.blocked_reason IS NOT NULL OR b.reason IS NOT NULL,
       CASE WHEN f.hidden OR $4 THEN '[]'::jsonb ELSE coalesce((
           SELECT jsonb_agg(jsonb_build_object('author', c.author, 'body', c.body, 'at', c.at) ORDER BY c.event_id)
           FROM (SELECT e.event_id, coalesce(u.name, 'OnboardIQ') AS author, e.data->>'body' AS body, e.occurred_at AS at
                 FROM events e LEFT JOIN tenant_users u ON u.tenant_id = e.tenant_id AND u.user_id = e.actor_user_id
                 WHERE e.tenant_id = $1 AND e.task_id = f.task_id AND e.kind = 'task.commented'
                 ORDER BY e.event_id DESC LIMIT 3) c), '[]') END
FROM found f
LEFT JOIN template_tasks tt ON tt.tenant_id = $1 AND tt.template_task_id = f.template_task_id AND (NOT $4 OR tt.visibility = 'customer')
LEFT JOIN LATERAL (
    SELECT e.changes->'blocked_reason'->>'to' AS reason FROM events e
    WHERE e.tenant_id = $1 AND e.task_id = f.task_id AND e.kind = 'task.blocked'
    ORDER BY e.event_id DESC LIMIT 1
) b ON true
ORDER BY f.distance`, tx.TenantID(), pgvector.NewVector(vec), model, p.IsCustomer(), limit, contactCustomer(p))
	if err != nil {
		return nil, fmt.Errorf("tasks near: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (RelatedTask, error) {
		var t RelatedTask
		var tplDesc, tplDetails, reason *string
		err := r.Scan(&t.ID, &t.Similarity, &t.Status, &t.Own, &t.Anonymous, &t.Description, &t.Details, &t.ProjectName,
			&tplDesc, &tplDetails, &t.DaysToDo, &t.DaysLate, &reason, &t.WasBlocked, &t.Comments)
		if tplDesc != nil {
			t.Template = &TemplateText{Description: *tplDesc, Details: deref(tplDetails)}
		}
		if t.WasBlocked {
			t.BlockedKind = BlockerKind(deref(reason))
		}
		if !t.Anonymous {
			t.BlockedReason = reason
		}
		return t, err
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// blockerKinds are the generic kinds of blocker, each with the words (or
// word beginnings) that point to it, most telling first.
var blockerKinds = []struct {
	kind  string
	words []string
}{
	{"access or credentials", []string{"access", "credential", "password", "permission", "login", "log in", "sign in",
		"sso", "saml", "okta", "entra", "token", "api key", "certificate", "mfa", "2fa", "account"}},
	{"an approval or a review", []string{"approv", "sign off", "signoff", "legal", "contract", "security review", "procurement",
		"budget", "compliance", "hipaa", "gdpr", "dpa", "review", "audit"}},
	{"a third party", []string{"vendor", "third party", "partner", "provider", "supplier", "consultant", "agency", "contractor"}},
	{"a technical problem", []string{"bug", "error", "fail", "broken", "crash", "outage", "timeout", "time out", "not working",
		"firewall", "network", "dns", "integration", "export", "import", "format", "data"}},
	{"someone's availability", []string{"wait", "availab", "vacation", "holiday", "leave", "out of office", "busy", "sick",
		"repl", "respon", "schedul", "staff", "resourc"}},
}

// BlockerKind names, in generic words that name nobody, the kind of thing
// a blocked reason describes: all that may be said of another customer's
// blocker.
func BlockerKind(reason string) string {
	words := strings.FieldsFunc(strings.ToLower(reason), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	text := " " + strings.Join(words, " ")
	for _, k := range blockerKinds {
		for _, w := range k.words {
			if strings.Contains(text, " "+w) {
				return k.kind
			}
		}
	}
	return "something else"
}
