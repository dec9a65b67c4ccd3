package onboardiq

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// A Conversation is a customer contact's question to the customer's
// support member ("Ask my CSM", from the portal's assistant or from a
// task) and the thread that follows it. The contacts of its customer and
// the staff see it; the contacts, the customer's CSM and the admins write
// in it (docs/web.md).
type Conversation struct {
	ID           uuid.UUID  `json:"id"`
	CustomerID   uuid.UUID  `json:"customer_id"`
	Customer     string     `json:"customer"`
	OpenedBy     uuid.UUID  `json:"opened_by" doc:"The contact who asked."`
	OpenedByName string     `json:"opened_by_name"`
	CSMID        *uuid.UUID `json:"csm_id,omitempty" doc:"The customer's support member when it was opened; none: the admins answer it."`
	CSM          string     `json:"csm,omitempty"`
	// CustomerCSMID is the customer's support member now, who may answer
	// too (the customer may have changed hands since).
	CustomerCSMID           *uuid.UUID         `json:"-"`
	ProjectID               *uuid.UUID         `json:"project_id,omitempty"`
	TaskID                  *uuid.UUID         `json:"task_id,omitempty" doc:"The task it is about, while the asker may see it."`
	Task                    string             `json:"task,omitempty" doc:"The task's title."`
	AssistantConversationID *uuid.UUID         `json:"assistant_conversation_id,omitempty" doc:"The assistant's conversation whose answer was passed on."`
	Subject                 string             `json:"subject"`
	Status                  ConversationStatus `json:"status" enum:"open,closed"`
	AwaitingReply           bool               `json:"awaiting_reply" doc:"The customer spoke last: a staff reply is due."`
	CreatedAt               time.Time          `json:"created_at"`
	UpdatedAt               time.Time          `json:"updated_at"`
	LastMessageAt           time.Time          `json:"last_message_at"`
	// Messages, oldest first: filled when one conversation is read.
	Messages []*ConversationMessage `json:"messages,omitempty"`
}

// ConversationStatus is open or closed.
type ConversationStatus string

// The statuses of a conversation.
const (
	ConversationOpen   ConversationStatus = "open"
	ConversationClosed ConversationStatus = "closed"
)

// MessageKind says what a message of a conversation is.
type MessageKind string

// The kinds of message: the contact's question that opened it, the
// assistant's answer passed on with it, and every reply after.
const (
	MessageQuestion        MessageKind = "question"
	MessageAssistantAnswer MessageKind = "assistant_answer"
	MessageReply           MessageKind = "reply"
)

// ConversationMessage is one message of a conversation.
type ConversationMessage struct {
	ID             uuid.UUID   `json:"id"`
	ConversationID uuid.UUID   `json:"conversation_id"`
	Kind           MessageKind `json:"kind" enum:"question,assistant_answer,reply"`
	AuthorID       *uuid.UUID  `json:"author_id,omitempty" doc:"None for the assistant's answer."`
	Author         string      `json:"author"`
	ByStaff        bool        `json:"by_staff"`
	Body           string      `json:"body" doc:"Markdown."`
	Sources        []Source    `json:"sources" doc:"The assistant's answer: the sources it cited."`
	CreatedAt      time.Time   `json:"created_at"`
}

// Source is a source the assistant cited: an article or a task.
type Source struct {
	Type  string `json:"type" enum:"article,task"`
	ID    string `json:"id"`
	Title string `json:"title"`
	Link  string `json:"link" doc:"Where the reader opens it: the portal's page for a contact, the console's for staff; an article's link ends with the cited passage's #anchor."`
	// Anchor is the cited passage's heading id in the article's page.
	Anchor string `json:"anchor,omitempty"`
}

// Limits of what people write in a conversation.
const (
	MaxSubject     = 200
	MaxMessageBody = 10000
)

// NewConversation is what a contact asks.
type NewConversation struct {
	Subject string
	Body    string
	TaskID  *uuid.UUID
	// AssistantConversationID passes on the assistant's last answer in
	// that conversation of the asker: its question, answer and sources,
	// read back from the record. Subject and Body may then be empty: the
	// subject is the question, and Body adds to it.
	AssistantConversationID *uuid.UUID
}

// Normalise trims the subject and body and checks them.
func (n *NewConversation) Normalise() error {
	n.Subject = strings.Join(strings.Fields(n.Subject), " ")
	n.Body = strings.TrimSpace(n.Body)
	if c := utf8.RuneCountInString(n.Subject); c > MaxSubject || (c == 0 && n.AssistantConversationID == nil) {
		return Invalid("subject", "must be 1 to %d characters", MaxSubject)
	}
	if n.Body == "" && n.AssistantConversationID != nil {
		return nil
	}
	_, err := CheckMessageBody(n.Body)
	return err
}

// CheckMessageBody trims a message's text and checks its length.
func CheckMessageBody(body string) (string, error) {
	body = strings.TrimSpace(body)
	if n := utf8.RuneCountInString(body); n == 0 || n > MaxMessageBody {
		return "", Invalid("body", "must be 1 to %d characters", MaxMessageBody)
	}
	return body, nil
}

// SubjectFrom makes a subject from a question: its first line, cut to
// MaxSubject characters.
func SubjectFrom(question string) string {
	s := strings.Join(strings.Fields(question), " ")
	if r := []rune(s); len(r) > MaxSubject {
		s = string(r[:MaxSubject-1]) + "…"
	}
	return s
}

// CanOpenConversation reports whether p may ask their CSM: a customer
// contact. Staff answer; they do not open conversations.
func CanOpenConversation(p *Principal) bool {
	return p != nil && p.IsCustomer() && p.CustomerID != nil
}

// CanSeeConversation reports whether p may read c: a contact of its
// customer, or any staff member (staff see every customer, as they see
// every customer's projects).
func CanSeeConversation(p *Principal, c *Conversation) bool {
	if p == nil || c == nil {
		return false
	}
	if p.IsCustomer() {
		return p.CustomerID != nil && *p.CustomerID == c.CustomerID
	}
	return p.Role.IsStaff()
}

// AnswersConversation reports whether p is staff who answers c: an admin,
// or the customer's CSM (when it was opened, or now).
func AnswersConversation(p *Principal, c *Conversation) bool {
	if p == nil || c == nil || p.IsCustomer() {
		return false
	}
	if p.Role == RoleAdmin {
		return true
	}
	return p.Role == RoleCSM && (c.CSMID != nil && *c.CSMID == p.UserID || c.CustomerCSMID != nil && *c.CustomerCSMID == p.UserID)
}

// CanReplyToConversation reports whether p may write in c: a contact of its
// customer, whatever its status (replying reopens a closed one); the staff
// who answer it while it is open. Viewers, sales leaders and other CSMs
// read only.
func CanReplyToConversation(p *Principal, c *Conversation) bool {
	if p == nil || c == nil {
		return false
	}
	if p.IsCustomer() {
		return CanSeeConversation(p, c)
	}
	return AnswersConversation(p, c) && c.Status == ConversationOpen
}

// CanCloseConversation reports whether p may close c: the staff who
// answer it, while it is open.
func CanCloseConversation(p *Principal, c *Conversation) bool {
	return AnswersConversation(p, c) && c.Status == ConversationOpen
}

// CanReopenConversation reports whether p may reopen c: the staff who
// answer it, once it is closed (a contact reopens it by replying).
func CanReopenConversation(p *Principal, c *Conversation) bool {
	return AnswersConversation(p, c) && c.Status == ConversationClosed
}
