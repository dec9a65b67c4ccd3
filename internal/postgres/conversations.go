package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/passage"
)

// OpenConversation asks the caller's CSM (a customer contact's "Ask my
// CSM"): a conversation of their customer, to its support member (or, with
// none, to the admins). With an assistant conversation of the caller's, its
// last question, answer and cited sources are read back from the record
// and copied into the thread; otherwise the body is the question. A task
// named must be one the caller may see.
func (db *DB) OpenConversation(ctx context.Context, in onboardiq.NewConversation) (*onboardiq.Conversation, error) {
	var c *onboardiq.Conversation
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if !onboardiq.CanOpenConversation(p) {
			return onboardiq.Errorf(onboardiq.EFORBIDDEN, "only a customer contact asks their CSM; staff answer in the inbox")
		}
		if err := in.Normalise(); err != nil {
			return err
		}
		var projectID, taskID *uuid.UUID
		var turn *assistantTurn
		if in.AssistantConversationID != nil {
			var err error
			if turn, err = lastTurn(ctx, tx, p, *in.AssistantConversationID); err != nil {
				return err
			}
			projectID, taskID = turn.projectID, turn.taskID
			// Passed to a person: a knowledge gap (knowledge_gaps.go).
			if err := recordGap(ctx, tx, p, *in.AssistantConversationID, nil, onboardiq.GapEscalated, time.Now()); err != nil {
				return err
			}
			if in.Subject == "" {
				in.Subject = onboardiq.SubjectFrom(turn.question)
			}
		}
		if in.TaskID != nil {
			taskID = in.TaskID
		}
		if taskID != nil {
			t, err := getTask(ctx, tx, p, *taskID, false)
			switch {
			case onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND && in.TaskID == nil:
				taskID = nil // the assistant's task is no longer the asker's to see
			case onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND:
				return onboardiq.Invalid("task_id", "is not a task you can see")
			case err != nil:
				return err
			default:
				projectID = &t.ProjectID
			}
		}
		if projectID != nil && taskID == nil {
			if _, err := getProject(ctx, tx, p, *projectID, false); err != nil {
				projectID = nil
			}
		}
		var csm *uuid.UUID
		if err := tx.QueryRow(ctx, `
SELECT u.user_id FROM customers c
LEFT JOIN tenant_users u ON u.tenant_id = c.tenant_id AND u.user_id = c.support_member_id AND u.disabled_at IS NULL
WHERE c.tenant_id = $1 AND c.customer_id = $2`, tx.TenantID(), *p.CustomerID).Scan(&csm); err != nil {
			return storeError(err, "customer")
		}
		var id uuid.UUID
		if err := tx.QueryRow(ctx, `
INSERT INTO conversations (tenant_id, customer_id, opened_by, csm_id, project_id, task_id, assistant_conversation_id, subject)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING conversation_id`,
			tx.TenantID(), *p.CustomerID, p.UserID, csm, projectID, taskID, in.AssistantConversationID, in.Subject).Scan(&id); err != nil {
			return fmt.Errorf("open conversation: %w", err)
		}
		question := in.Body
		if turn != nil {
			question = turn.question
		}
		first, err := addMessage(ctx, tx, id, p, onboardiq.MessageQuestion, question, nil)
		if err != nil {
			return err
		}
		if turn != nil && turn.answer != "" {
			if _, err := addMessage(ctx, tx, id, p, onboardiq.MessageAssistantAnswer, turn.answer, turn.sources); err != nil {
				return err
			}
		}
		if turn != nil && in.Body != "" { // what the contact adds to the passed-on answer
			if _, err := addMessage(ctx, tx, id, p, onboardiq.MessageReply, in.Body, nil); err != nil {
				return err
			}
		}
		if c, err = conversationWithMessages(ctx, tx, p, id); err != nil {
			return err
		}
		return emitConversation(ctx, tx, onboardiq.EventConversationOpened, c, first, p)
	})
	return c, err
}

// GetConversation returns a conversation the caller may see, with its
// messages: a contact's own customer's, any for staff.
func (db *DB) GetConversation(ctx context.Context, id uuid.UUID) (*onboardiq.Conversation, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.Conversation, error) {
		return conversationWithMessages(ctx, tx, p, id)
	})
}

// ConversationFilter narrows ListConversations and the inbox.
type ConversationFilter struct {
	onboardiq.ListOptions
	Status     onboardiq.ConversationStatus // "" for both
	CustomerID *uuid.UUID
	// Mine keeps the conversations the caller answers (staff): a CSM's
	// customers', everything for an admin, nothing for anyone else.
	Mine bool
}

// ListConversations lists the conversations the caller may see, newest
// activity first: a contact's own customer's, every customer's for staff.
func (db *DB) ListConversations(ctx context.Context, f ConversationFilter) (onboardiq.Page[*onboardiq.Conversation], error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (onboardiq.Page[*onboardiq.Conversation], error) {
		return listConversations(ctx, tx, p, f)
	})
}

// ReplyToConversation adds the caller's reply to a conversation. A
// contact's reply to a closed conversation reopens it; staff who answer it
// reply while it is open (a closed one is reopened first: 409).
func (db *DB) ReplyToConversation(ctx context.Context, id uuid.UUID, body string) (*onboardiq.ConversationMessage, error) {
	var m *onboardiq.ConversationMessage
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		c, err := getConversation(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if !onboardiq.CanReplyToConversation(p, c) {
			if onboardiq.AnswersConversation(p, c) {
				return onboardiq.Errorf(onboardiq.ECONFLICT, "the conversation is closed; reopen it to reply")
			}
			return onboardiq.Errorf(onboardiq.EFORBIDDEN, "your role (%s) may not reply here: the customer's CSM and the admins answer", p.Role)
		}
		if body, err = onboardiq.CheckMessageBody(body); err != nil {
			return err
		}
		if c.Status == onboardiq.ConversationClosed {
			if err := setConversationStatus(ctx, tx, c, onboardiq.ConversationOpen); err != nil {
				return err
			}
			if err := emitConversation(ctx, tx, onboardiq.EventConversationReopened, c, nil, p); err != nil {
				return err
			}
		}
		if m, err = addMessage(ctx, tx, id, p, onboardiq.MessageReply, body, nil); err != nil {
			return err
		}
		return emitConversation(ctx, tx, onboardiq.EventConversationReplied, c, m, p)
	})
	return m, err
}

// CloseConversation closes a conversation (the customer's CSM or an
// admin); 409 when it is closed already.
func (db *DB) CloseConversation(ctx context.Context, id uuid.UUID) (*onboardiq.Conversation, error) {
	return db.changeConversationStatus(ctx, id, onboardiq.ConversationClosed)
}

// ReopenConversation reopens a closed conversation (the customer's CSM or
// an admin; a contact reopens one by replying); 409 when it is open.
func (db *DB) ReopenConversation(ctx context.Context, id uuid.UUID) (*onboardiq.Conversation, error) {
	return db.changeConversationStatus(ctx, id, onboardiq.ConversationOpen)
}

func (db *DB) changeConversationStatus(ctx context.Context, id uuid.UUID, to onboardiq.ConversationStatus) (*onboardiq.Conversation, error) {
	var c *onboardiq.Conversation
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		var err error
		if c, err = getConversation(ctx, tx, p, id, true); err != nil {
			return err
		}
		if !onboardiq.AnswersConversation(p, c) {
			return onboardiq.Errorf(onboardiq.EFORBIDDEN, "your role (%s) may not close or reopen conversations here: the customer's CSM and the admins do", p.Role)
		}
		kind := onboardiq.EventConversationClosed
		if to == onboardiq.ConversationOpen {
			kind = onboardiq.EventConversationReopened
		}
		if c.Status == to {
			return onboardiq.Errorf(onboardiq.ECONFLICT, "the conversation is %s already", to)
		}
		if err := setConversationStatus(ctx, tx, c, to); err != nil {
			return err
		}
		return emitConversation(ctx, tx, kind, c, nil, p)
	})
	return c, err
}

// InboxPage is what the console's inbox shows.
type InboxPage struct {
	Conversations onboardiq.Page[*onboardiq.Conversation]
	Unread        int // the caller's unread notifications (the navigation's badge)
}

// LoadInboxPage reads the console's inbox in one transaction.
func (db *DB) LoadInboxPage(ctx context.Context, f ConversationFilter) (*InboxPage, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*InboxPage, error) {
		out := &InboxPage{}
		var err error
		if out.Conversations, err = listConversations(ctx, tx, p, f); err != nil {
			return nil, err
		}
		return out, tx.QueryRow(ctx, unreadQuery, tx.TenantID(), p.UserID).Scan(&out.Unread)
	})
}

// ConversationPage is what a conversation's page shows.
type ConversationPage struct {
	Conversation *onboardiq.Conversation
	Unread       int // staff: the navigation's badge
}

// LoadConversationPage reads a conversation with its messages for its page
// (the console's or the portal's) in one transaction.
func (db *DB) LoadConversationPage(ctx context.Context, id uuid.UUID) (*ConversationPage, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*ConversationPage, error) {
		c, err := conversationWithMessages(ctx, tx, p, id)
		if err != nil {
			return nil, err
		}
		out := &ConversationPage{Conversation: c}
		if p.IsCustomer() {
			return out, nil // the portal's branding comes with the session
		}
		return out, tx.QueryRow(ctx, unreadQuery, tx.TenantID(), p.UserID).Scan(&out.Unread)
	})
}

// conversationColumns read a conversation c with its customer cu, opener
// o, CSM s and task t (outer joins: they may be gone). $2 is the contact's
// customer (NULL for staff): a contact sees the task only while it is
// visible to customers.
const conversationColumns = `c.conversation_id, c.customer_id, cu.name, c.opened_by, coalesce(o.name, 'A former contact'),
    c.csm_id, coalesce(s.name, ''), cu.support_member_id, c.project_id, t.task_id, coalesce(t.description, ''),
    c.assistant_conversation_id, c.subject, c.status, c.awaiting_reply, c.created_at, c.updated_at, c.last_message_at`

const conversationFrom = ` FROM conversations c
JOIN customers cu ON cu.tenant_id = c.tenant_id AND cu.customer_id = c.customer_id
LEFT JOIN tenant_users o ON o.tenant_id = c.tenant_id AND o.user_id = c.opened_by
LEFT JOIN tenant_users s ON s.tenant_id = c.tenant_id AND s.user_id = c.csm_id
LEFT JOIN tasks t ON t.tenant_id = c.tenant_id AND t.task_id = c.task_id AND ($2::uuid IS NULL OR t.visibility = 'customer') `

// conversationVisible limits a contact ($2) to their own customer's
// conversations; staff ($2 NULL) see all.
const conversationVisible = `($2::uuid IS NULL OR c.customer_id = $2)`

func scanConversation(row pgx.Row) (*onboardiq.Conversation, error) {
	c := &onboardiq.Conversation{}
	err := row.Scan(&c.ID, &c.CustomerID, &c.Customer, &c.OpenedBy, &c.OpenedByName, &c.CSMID, &c.CSM, &c.CustomerCSMID,
		&c.ProjectID, &c.TaskID, &c.Task, &c.AssistantConversationID, &c.Subject, &c.Status, &c.AwaitingReply,
		&c.CreatedAt, &c.UpdatedAt, &c.LastMessageAt)
	return c, err
}

// getConversation reads a conversation p may see (without its messages);
// lock takes its row lock, which every change to it holds.
func getConversation(ctx context.Context, tx *Tx, p *onboardiq.Principal, id uuid.UUID, lock bool) (*onboardiq.Conversation, error) {
	q := `SELECT ` + conversationColumns + conversationFrom + `WHERE c.tenant_id = $1 AND ` + conversationVisible + ` AND c.conversation_id = $3`
	if lock {
		q += ` FOR UPDATE OF c`
	}
	c, err := scanConversation(tx.QueryRow(ctx, q, tx.TenantID(), contactCustomer(p), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "conversation not found")
	}
	if err != nil {
		return nil, fmt.Errorf("read conversation: %w", err)
	}
	return c, nil
}

func conversationWithMessages(ctx context.Context, tx *Tx, p *onboardiq.Principal, id uuid.UUID) (*onboardiq.Conversation, error) {
	c, err := getConversation(ctx, tx, p, id, false)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `
SELECT m.message_id, m.conversation_id, m.kind, m.author_id, coalesce(u.name, ''), coalesce(u.role <> 'customer', false), m.body, m.sources, m.created_at
FROM conversation_messages m
LEFT JOIN tenant_users u ON u.tenant_id = m.tenant_id AND u.user_id = m.author_id
WHERE m.tenant_id = $1 AND m.conversation_id = $2
ORDER BY m.created_at, CASE m.kind WHEN 'question' THEN 0 WHEN 'assistant_answer' THEN 1 ELSE 2 END, m.message_id`, tx.TenantID(), id)
	if err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	c.Messages, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.ConversationMessage, error) {
		m := &onboardiq.ConversationMessage{}
		if err := r.Scan(&m.ID, &m.ConversationID, &m.Kind, &m.AuthorID, &m.Author, &m.ByStaff, &m.Body, &m.Sources, &m.CreatedAt); err != nil {
			return nil, err
		}
		switch {
		case m.Kind == onboardiq.MessageAssistantAnswer:
			m.Author = "The assistant"
		case m.Author == "":
			m.Author = "A former user"
		}
		for i := range m.Sources {
			m.Sources[i].Link = sourceLink(p, m.Sources[i])
		}
		if m.Sources == nil {
			m.Sources = []onboardiq.Source{}
		}
		return m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	return c, nil
}

// sourceLink is where the reader p opens a cited source: the portal's page
// for a contact (a task on its project's page), the console's for staff.
func sourceLink(p *onboardiq.Principal, s onboardiq.Source) string {
	if _, err := uuid.Parse(s.ID); err != nil {
		return ""
	}
	base, kb := "/app", "/kb/"
	if p.IsCustomer() {
		base = "/portal/" + p.TenantSlug
	}
	switch s.Type {
	case "article":
		if s.Anchor != "" && passage.ValidAnchor(s.Anchor) {
			return base + kb + s.ID + "#" + s.Anchor
		}
		return base + kb + s.ID
	case "task":
		return base + "/tasks/" + s.ID
	}
	return ""
}

func listConversations(ctx context.Context, tx *Tx, p *onboardiq.Principal, f ConversationFilter) (onboardiq.Page[*onboardiq.Conversation], error) {
	var out onboardiq.Page[*onboardiq.Conversation]
	if err := f.Normalise(); err != nil {
		return out, err
	}
	switch f.Status {
	case "", onboardiq.ConversationOpen, onboardiq.ConversationClosed:
	default:
		return out, onboardiq.Invalid("status", "must be open or closed")
	}
	before, beforeID, err := newestFirst(f.Cursor)
	if err != nil {
		return out, err
	}
	mine := f.Mine && !p.IsCustomer()
	rows, err := tx.Query(ctx, `SELECT `+conversationColumns+conversationFrom+`
WHERE c.tenant_id = $1 AND `+conversationVisible+`
  AND ($3::text = '' OR c.status = $3)
  AND ($4::uuid IS NULL OR c.customer_id = $4)
  AND (NOT $5 OR $6 OR c.csm_id = $7 OR cu.support_member_id = $7)
  AND (c.last_message_at, c.conversation_id) < ($8, $9)
ORDER BY c.last_message_at DESC, c.conversation_id DESC LIMIT $10`,
		tx.TenantID(), contactCustomer(p), string(f.Status), f.CustomerID, mine, p.Role == onboardiq.RoleAdmin, p.UserID,
		before, beforeID, f.Limit+1)
	if err != nil {
		return out, fmt.Errorf("list conversations: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Conversation, error) { return scanConversation(r) })
	if err != nil {
		return out, fmt.Errorf("list conversations: %w", err)
	}
	return page(items, f.Limit, func(c *onboardiq.Conversation) []any { return []any{c.LastMessageAt, c.ID} }), nil
}

// addMessage adds p's message (or, of kind assistant_answer, the
// assistant's) to conversation id and moves its last activity: a contact's
// message awaits a staff reply, a staff member's answers it.
func addMessage(ctx context.Context, tx *Tx, id uuid.UUID, p *onboardiq.Principal, kind onboardiq.MessageKind, body string, sources []onboardiq.Source) (*onboardiq.ConversationMessage, error) {
	if sources == nil {
		sources = []onboardiq.Source{}
	}
	m := &onboardiq.ConversationMessage{ConversationID: id, Kind: kind, Body: body, Sources: sources}
	if kind != onboardiq.MessageAssistantAnswer {
		m.AuthorID, m.Author, m.ByStaff = p.Actor(), p.Name, !p.IsCustomer()
	} else {
		m.Author = "The assistant"
	}
	err := tx.QueryRow(ctx, `
INSERT INTO conversation_messages (tenant_id, conversation_id, author_id, kind, body, sources)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING message_id, created_at`, tx.TenantID(), id, m.AuthorID, kind, body, sources).Scan(&m.ID, &m.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("add message: %w", err)
	}
	if kind == onboardiq.MessageAssistantAnswer {
		return m, nil
	}
	if _, err := tx.Exec(ctx, `
UPDATE conversations SET last_message_at = $3, updated_at = $3, awaiting_reply = $4
WHERE tenant_id = $1 AND conversation_id = $2`, tx.TenantID(), id, m.CreatedAt, !m.ByStaff); err != nil {
		return nil, fmt.Errorf("add message: %w", err)
	}
	return m, nil
}

// setConversationStatus opens or closes c (locked): a closed conversation
// awaits nothing.
func setConversationStatus(ctx context.Context, tx *Tx, c *onboardiq.Conversation, to onboardiq.ConversationStatus) error {
	awaiting := c.AwaitingReply && to == onboardiq.ConversationOpen
	if _, err := tx.Exec(ctx, `
UPDATE conversations SET status = $3, awaiting_reply = $4, updated_at = $5
WHERE tenant_id = $1 AND conversation_id = $2`, tx.TenantID(), c.ID, to, awaiting, time.Now()); err != nil {
		return fmt.Errorf("conversation status: %w", err)
	}
	c.Status, c.AwaitingReply = to, awaiting
	return nil
}

// emitConversation records a change to conversation c: the message m, when
// one was added. Its data is what the consumers need without reading the
// conversation again: the contact to email when staff replied (contact_id,
// by_staff), and the staff alert's (conversation_id, message_id).
func emitConversation(ctx context.Context, tx *Tx, kind onboardiq.EventKind, c *onboardiq.Conversation, m *onboardiq.ConversationMessage, p *onboardiq.Principal) error {
	data := map[string]any{
		"conversation_id": c.ID, "customer_id": c.CustomerID, "contact_id": c.OpenedBy, "subject": c.Subject,
		"author_id": p.Actor(), "author_role": p.Role, "by_staff": !p.IsCustomer(),
	}
	if m != nil {
		data["message_id"] = m.ID
	}
	return tx.Emit(ctx, onboardiq.Event{Kind: kind, CustomerID: &c.CustomerID, ProjectID: c.ProjectID, TaskID: c.TaskID, Data: data})
}

// assistantTurn is the last question a user asked the assistant in one
// conversation, and its answer.
type assistantTurn struct {
	question, answer  string
	sources           []onboardiq.Source
	projectID, taskID *uuid.UUID
}

// lastTurn reads the last question and answer of p's own assistant
// conversation id; anyone else's is refused as no conversation of theirs.
func lastTurn(ctx context.Context, tx *Tx, p *onboardiq.Principal, id uuid.UUID) (*assistantTurn, error) {
	bad := onboardiq.Invalid("assistant_conversation_id", "is not a conversation of yours with the assistant")
	t := &assistantTurn{}
	err := tx.QueryRow(ctx, `SELECT project_id, task_id FROM assistant_conversations WHERE tenant_id = $1 AND conversation_id = $2 AND user_id = $3`,
		tx.TenantID(), id, p.UserID).Scan(&t.projectID, &t.taskID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, bad
	}
	if err != nil {
		return nil, fmt.Errorf("read the assistant's conversation: %w", err)
	}
	var asked int64
	err = tx.QueryRow(ctx, `
SELECT message_id, content FROM assistant_messages WHERE tenant_id = $1 AND conversation_id = $2 AND role = 'user'
ORDER BY message_id DESC LIMIT 1`, tx.TenantID(), id).Scan(&asked, &t.question)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Invalid("assistant_conversation_id", "the conversation has no question")
	}
	if err != nil {
		return nil, fmt.Errorf("read the assistant's question: %w", err)
	}
	err = tx.QueryRow(ctx, `
SELECT content, citations FROM assistant_messages WHERE tenant_id = $1 AND conversation_id = $2 AND role = 'assistant' AND message_id > $3
ORDER BY message_id LIMIT 1`, tx.TenantID(), id, asked).Scan(&t.answer, &t.sources)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("read the assistant's answer: %w", err)
	}
	for i := range t.sources {
		t.sources[i].Link = sourceLink(p, t.sources[i])
	}
	return t, nil
}
