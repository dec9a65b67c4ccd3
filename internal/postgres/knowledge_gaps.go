package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/gaps"
)

// Ratings of the assistant's answers and the knowledge-gap report's facts
// (docs/knowledge-gaps.md). Ratings and gaps are not activity: like the
// assistant's turns they are recorded without an event.

// GapEmbedArgs asks for a knowledge gap's question to be embedded. It is
// enqueued in the transaction that records the gap; the worker re-enters
// the tenant and does nothing when the stored vector is the model's.
type GapEmbedArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	GapID    uuid.UUID `json:"gap_id"`
}

// Kind is River's name for the job.
func (GapEmbedArgs) Kind() string { return "embed_gap" }

// RateAnswer records the caller's rating of the latest answer of their own
// assistant conversation, replacing an earlier rating of it; anyone else's
// conversation is ENOTFOUND. Unhelpful makes the question a knowledge gap;
// helpful again withdraws that reason.
func (db *DB) RateAnswer(ctx context.Context, in onboardiq.AnswerRating) (*onboardiq.Rating, error) {
	var r *onboardiq.Rating
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := in.Normalise(); err != nil {
			return err
		}
		var answer *int64
		err := tx.QueryRow(ctx, `
SELECT (SELECT max(m.message_id) FROM assistant_messages m
        WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.conversation_id AND m.role = 'assistant')
FROM assistant_conversations c WHERE c.tenant_id = $1 AND c.conversation_id = $2 AND c.user_id = $3`,
			tx.TenantID(), in.ConversationID, p.UserID).Scan(&answer)
		if errors.Is(err, pgx.ErrNoRows) {
			return onboardiq.Errorf(onboardiq.ENOTFOUND, "conversation not found")
		}
		if err != nil {
			return fmt.Errorf("find the answer: %w", err)
		}
		if answer == nil {
			return onboardiq.Invalid("conversation_id", "the conversation has no answer to rate yet")
		}
		now := time.Now()
		r = &onboardiq.Rating{ConversationID: in.ConversationID, Helpful: in.Helpful, Comment: in.Comment, RatedAt: now}
		if _, err := tx.Exec(ctx, `
INSERT INTO assistant_ratings (tenant_id, message_id, conversation_id, user_id, helpful, comment, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
ON CONFLICT (tenant_id, message_id) DO UPDATE SET helpful = excluded.helpful, comment = excluded.comment, updated_at = excluded.updated_at`,
			tx.TenantID(), *answer, in.ConversationID, p.UserID, in.Helpful, in.Comment, now); err != nil {
			return fmt.Errorf("rate the answer: %w", err)
		}
		if in.Helpful {
			return withdrawGap(ctx, tx, in.ConversationID, *answer, onboardiq.GapUnhelpful, now)
		}
		return recordGap(ctx, tx, p, in.ConversationID, answer, onboardiq.GapUnhelpful, now)
	})
	return r, err
}

// EscalateQuestion passes the last question of the caller's own assistant
// conversation to the support member (RecordQuestion) and records it as a
// knowledge gap, in one transaction; it returns where it was posted.
func (db *DB) EscalateQuestion(ctx context.Context, conversationID uuid.UUID) (string, error) {
	var where string
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		c, err := tx.LoadConversation(ctx, p, conversationID)
		if err != nil {
			return err
		}
		question := ""
		for i := len(c.Messages) - 1; i >= 0 && question == ""; i-- {
			if c.Messages[i].Role == "user" {
				question = c.Messages[i].Content
			}
		}
		if question == "" {
			return onboardiq.Errorf(onboardiq.ENOTFOUND, "the conversation has no question")
		}
		if where, err = recordQuestion(ctx, tx, p, question, c.ProjectID, c.TaskID); err != nil {
			return err
		}
		return recordGap(ctx, tx, p, conversationID, nil, onboardiq.GapEscalated, time.Now())
	})
	return where, err
}

// RecordKnowledgeGap records the last question of p's own conversation as
// a gap for reason (the assistant's Run, when it found nothing).
func (tx *Tx) RecordKnowledgeGap(ctx context.Context, p *onboardiq.Principal, conversationID uuid.UUID, reason onboardiq.GapReason) error {
	return recordGap(ctx, tx, p, conversationID, nil, reason, time.Now())
}

// recordGap records the question of p's conversation (the last one, or
// the one answered by message before when it is set) as a gap for reason,
// adding the reason when it already is one, and asks for its embedding.
func recordGap(ctx context.Context, tx *Tx, p *onboardiq.Principal, conversationID uuid.UUID, before *int64, reason onboardiq.GapReason, now time.Time) error {
	var (
		msg               int64
		question          string
		askedAt           time.Time
		projectID, taskID *uuid.UUID
	)
	err := tx.QueryRow(ctx, `
SELECT m.message_id, m.content, m.created_at, c.project_id, c.task_id
FROM assistant_conversations c
JOIN assistant_messages m ON m.tenant_id = c.tenant_id AND m.conversation_id = c.conversation_id AND m.role = 'user'
WHERE c.tenant_id = $1 AND c.conversation_id = $2 AND c.user_id = $3 AND ($4::bigint IS NULL OR m.message_id < $4)
ORDER BY m.message_id DESC LIMIT 1`, tx.TenantID(), conversationID, p.UserID, before).Scan(&msg, &question, &askedAt, &projectID, &taskID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // no question of the caller's to record
	}
	if err != nil {
		return fmt.Errorf("find the question: %w", err)
	}
	if projectID == nil && taskID != nil {
		var pid uuid.UUID
		if err := tx.QueryRow(ctx, `SELECT project_id FROM tasks WHERE tenant_id = $1 AND task_id = $2`, tx.TenantID(), *taskID).Scan(&pid); err == nil {
			projectID = &pid
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("find the task's project: %w", err)
		}
	}
	var (
		gapID   uuid.UUID
		unembed bool
	)
	err = tx.QueryRow(ctx, `
INSERT INTO knowledge_gaps (tenant_id, message_id, conversation_id, user_id, customer_id, project_id, question, reasons, asked_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, ARRAY[$8::text], $9, $10, $10)
ON CONFLICT (tenant_id, message_id) DO UPDATE SET
    reasons = CASE WHEN $8::text = ANY (knowledge_gaps.reasons) THEN knowledge_gaps.reasons ELSE knowledge_gaps.reasons || $8::text END,
    updated_at = $10
RETURNING gap_id, embedding_model IS NULL`,
		tx.TenantID(), msg, conversationID, p.UserID, p.CustomerID, projectID, question, string(reason), askedAt, now).Scan(&gapID, &unembed)
	if err != nil {
		return fmt.Errorf("record the knowledge gap: %w", err)
	}
	if unembed {
		return tx.Enqueue(ctx, GapEmbedArgs{TenantID: tx.TenantID(), GapID: gapID})
	}
	return nil
}

// withdrawGap takes reason off the question answered by message answer,
// and forgets the gap when no reason is left.
func withdrawGap(ctx context.Context, tx *Tx, conversationID uuid.UUID, answer int64, reason onboardiq.GapReason, now time.Time) error {
	const question = `(SELECT max(message_id) FROM assistant_messages WHERE tenant_id = $1 AND conversation_id = $2 AND role = 'user' AND message_id < $3)`
	if _, err := tx.Exec(ctx, `DELETE FROM knowledge_gaps WHERE tenant_id = $1 AND message_id = `+question+` AND reasons = ARRAY[$4::text]`,
		tx.TenantID(), conversationID, answer, string(reason)); err != nil {
		return fmt.Errorf("withdraw the knowledge gap: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE knowledge_gaps SET reasons = array_remove(reasons, $4::text), updated_at = $5
WHERE tenant_id = $1 AND message_id = `+question+` AND $4::text = ANY (reasons)`,
		tx.TenantID(), conversationID, answer, string(reason), now); err != nil {
		return fmt.Errorf("withdraw the knowledge gap's reason: %w", err)
	}
	return nil
}

// GapFacts is what the knowledge-gap report is computed from.
type GapFacts struct {
	Questions []gaps.Question
	// Models[i] is the model that made Questions[i].Vector ("" for none).
	Models []string
	// Blocked holds, per project asked about, its tasks' transitions into
	// and out of blocked, oldest first.
	Blocked map[uuid.UUID][]gaps.Transition
}

// ReadKnowledgeGaps reads the staff's knowledge-gap facts: the gaps asked
// since then (at most limit, newest first), their embeddings, and the
// blocked spells of the projects they were about.
func (db *DB) ReadKnowledgeGaps(ctx context.Context, since time.Time, limit int) (*GapFacts, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*GapFacts, error) {
		if !onboardiq.CanReadKnowledgeGaps(p) {
			return nil, onboardiq.Errorf(onboardiq.EFORBIDDEN, "your role (%s) may not read the knowledge gaps", p.Role)
		}
		return readGapFacts(ctx, tx, since, limit)
	})
}

func readGapFacts(ctx context.Context, tx *Tx, since time.Time, limit int) (*GapFacts, error) {
	f := &GapFacts{Blocked: map[uuid.UUID][]gaps.Transition{}}
	rows, err := tx.Query(ctx, `
SELECT gap_id, question, reasons, asked_at, user_id, customer_id, project_id, vector_embedding, coalesce(embedding_model, '')
FROM knowledge_gaps WHERE tenant_id = $1 AND asked_at >= $2
ORDER BY asked_at DESC, gap_id LIMIT $3`, tx.TenantID(), since, limit)
	if err != nil {
		return nil, fmt.Errorf("read knowledge gaps: %w", err)
	}
	var projects []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for rows.Next() {
		var (
			q       gaps.Question
			reasons []string
			vec     *pgvector.Vector
			model   string
		)
		if err := rows.Scan(&q.ID, &q.Question, &reasons, &q.AskedAt, &q.AskerID, &q.CustomerID, &q.ProjectID, &vec, &model); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read knowledge gaps: %w", err)
		}
		for _, r := range reasons {
			q.Reasons = append(q.Reasons, onboardiq.GapReason(r))
		}
		if vec != nil {
			q.Vector = vec.Slice()
		}
		if q.ProjectID != nil && !seen[*q.ProjectID] {
			seen[*q.ProjectID] = true
			projects = append(projects, *q.ProjectID)
		}
		f.Questions, f.Models = append(f.Questions, q), append(f.Models, model)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read knowledge gaps: %w", err)
	}
	if len(projects) == 0 {
		return f, nil
	}
	// A task's status changes are in the activity log (each event's data
	// carries the status after it); a task blocked with no such event (a
	// seeded or imported one) counts from its last change.
	rows, err = tx.Query(ctx, `
SELECT project_id, task_id, occurred_at, kind <> 'task.deleted' AND data->>'status' = 'blocked'
FROM events
WHERE tenant_id = $1 AND project_id = ANY ($2) AND task_id IS NOT NULL
  AND kind IN ('task.blocked', 'task.completed', 'task.reopened', 'task.status_changed', 'task.updated', 'task.deleted')
UNION ALL
SELECT project_id, task_id, updated_at, true FROM tasks
WHERE tenant_id = $1 AND project_id = ANY ($2) AND status = 'blocked'
ORDER BY 3`, tx.TenantID(), projects)
	if err != nil {
		return nil, fmt.Errorf("read blocked spells: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			project uuid.UUID
			t       gaps.Transition
		)
		if err := rows.Scan(&project, &t.Task, &t.At, &t.Blocked); err != nil {
			return nil, fmt.Errorf("read blocked spells: %w", err)
		}
		f.Blocked[project] = append(f.Blocked[project], t)
	}
	return f, rows.Err()
}

// ArticleChanges returns when each of the articles was last changed (an
// article not found is left out).
func (tx *Tx) ArticleChanges(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]time.Time, error) {
	rows, err := tx.Query(ctx, `SELECT article_id, updated_at FROM knowledge_base WHERE tenant_id = $1 AND article_id = ANY ($2)`, tx.TenantID(), ids)
	if err != nil {
		return nil, fmt.Errorf("read articles' changes: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID]time.Time{}
	for rows.Next() {
		var (
			id uuid.UUID
			at time.Time
		)
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = at
	}
	return out, rows.Err()
}

// LastArticleChange is when an article of the tenant was last published
// or changed (zero when it has none): the knowledge-gap report asks
// whether a group is answered only when an article changed after its last
// question. One row of knowledge_base_updated_idx.
func (tx *Tx) LastArticleChange(ctx context.Context) (time.Time, error) {
	var at *time.Time
	if err := tx.QueryRow(ctx, `SELECT max(updated_at) FROM knowledge_base WHERE tenant_id = $1`, tx.TenantID()).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("read the last article change: %w", err)
	}
	if at == nil {
		return time.Time{}, nil
	}
	return *at, nil
}

// GapQuestion reads a gap's question and the model of its stored vector
// ("" for none); found is false when the gap is gone.
func (tx *Tx) GapQuestion(ctx context.Context, id uuid.UUID) (question, model string, found bool, err error) {
	err = tx.QueryRow(ctx, `SELECT question, coalesce(embedding_model, '') FROM knowledge_gaps WHERE tenant_id = $1 AND gap_id = $2`,
		tx.TenantID(), id).Scan(&question, &model)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", false, nil
	}
	return question, model, err == nil, err
}

// StoreGapEmbedding saves a gap's vector and the model that made it; a
// zero vector is stored as none, with the model.
func (tx *Tx) StoreGapEmbedding(ctx context.Context, id uuid.UUID, vec []float32, model string) error {
	if len(vec) != onboardiq.EmbeddingDimensions {
		return fmt.Errorf("embed gap: %d dimensions, want %d", len(vec), onboardiq.EmbeddingDimensions)
	}
	var v *pgvector.Vector
	if comparableVector(vec) {
		pv := pgvector.NewVector(vec)
		v = &pv
	}
	if _, err := tx.Exec(ctx, `UPDATE knowledge_gaps SET vector_embedding = $3, embedding_model = $4 WHERE tenant_id = $1 AND gap_id = $2`,
		tx.TenantID(), id, v, model); err != nil {
		return fmt.Errorf("embed gap: store: %w", err)
	}
	return nil
}
