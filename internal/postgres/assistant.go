package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// Conversation is an assistant conversation of one user.
type Conversation struct {
	ID        uuid.UUID
	ProjectID *uuid.UUID
	TaskID    *uuid.UUID
	Messages  []ConversationMessage
}

// ConversationMessage is one turn.
type ConversationMessage struct {
	Role    string
	Content string
}

// LoadConversation reads the principal's own conversation; anyone else's
// is ENOTFOUND.
func (tx *Tx) LoadConversation(ctx context.Context, p *onboardiq.Principal, id uuid.UUID) (*Conversation, error) {
	c := &Conversation{ID: id}
	err := tx.QueryRow(ctx, `SELECT project_id, task_id FROM assistant_conversations WHERE tenant_id = $1 AND conversation_id = $2 AND user_id = $3`,
		tx.TenantID(), id, p.UserID).Scan(&c.ProjectID, &c.TaskID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "conversation not found")
	}
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `
SELECT role, content FROM (
    SELECT message_id, role, content FROM assistant_messages WHERE tenant_id = $1 AND conversation_id = $2
    ORDER BY message_id DESC LIMIT 20) m ORDER BY message_id`, tx.TenantID(), id)
	if err != nil {
		return nil, err
	}
	c.Messages, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ConversationMessage, error) {
		var m ConversationMessage
		return m, r.Scan(&m.Role, &m.Content)
	})
	return c, err
}

// SaveTurn stores a question and its answer, starting the conversation
// when id is nil, and returns the conversation's id.
func (tx *Tx) SaveTurn(ctx context.Context, p *onboardiq.Principal, id *uuid.UUID, projectID, taskID *uuid.UUID, question, answer string, citations any) (uuid.UUID, error) {
	var conv uuid.UUID
	if id == nil {
		if err := tx.QueryRow(ctx, `INSERT INTO assistant_conversations (tenant_id, user_id, project_id, task_id) VALUES ($1, $2, $3, $4) RETURNING conversation_id`,
			tx.TenantID(), p.UserID, projectID, taskID).Scan(&conv); err != nil {
			return uuid.Nil, fmt.Errorf("start conversation: %w", err)
		}
	} else {
		conv = *id
		if _, err := tx.Exec(ctx, `UPDATE assistant_conversations SET updated_at = now() WHERE tenant_id = $1 AND conversation_id = $2`, tx.TenantID(), conv); err != nil {
			return uuid.Nil, err
		}
	}
	_, err := tx.Exec(ctx, `
INSERT INTO assistant_messages (tenant_id, conversation_id, role, content, citations)
VALUES ($1, $2, 'user', $3, '[]'), ($1, $2, 'assistant', $4, $5)`, tx.TenantID(), conv, question, answer, citations)
	if err != nil {
		return uuid.Nil, fmt.Errorf("save turn: %w", err)
	}
	return conv, nil
}

// TaskInContext returns a task the principal may see, for the assistant.
func (tx *Tx) TaskInContext(ctx context.Context, p *onboardiq.Principal, id uuid.UUID) (*onboardiq.Task, error) {
	return getTask(ctx, tx, p, id, false)
}

// ProjectInContext returns a project the principal may see.
func (tx *Tx) ProjectInContext(ctx context.Context, p *onboardiq.Principal, id uuid.UUID) (*onboardiq.Project, error) {
	return getProject(ctx, tx, p, id, false)
}
