package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

type conversationOutput struct{ Body *onboardiq.Conversation }

type conversationPage struct {
	Body onboardiq.Page[*onboardiq.Conversation]
}

type listConversationsInput struct {
	ListParams
	Status     string `query:"status" enum:"open,closed" doc:"Only open or only closed conversations; both when left out."`
	CustomerID string `query:"customer_id" format:"uuid" doc:"Only this customer's."`
	Mine       bool   `query:"mine" doc:"Staff: only the conversations you answer (a CSM's customers'; everything for an admin)."`
}

type openConversationInput struct {
	Body struct {
		Subject                 string     `json:"subject,omitempty" maxLength:"200" doc:"Required, unless the assistant's answer is passed on (its question is the subject then)."`
		Body                    string     `json:"body,omitempty" maxLength:"10000" doc:"The question, in Markdown. Required, unless the assistant's answer is passed on (then it is added after it)."`
		TaskID                  *uuid.UUID `json:"task_id,omitempty" doc:"The task it is about: one the contact may see."`
		AssistantConversationID *uuid.UUID `json:"assistant_conversation_id,omitempty" doc:"Pass on the assistant's last answer in this conversation of yours (POST /assistant/ask gives its id): its question, answer and cited sources are read from the record and copied into the thread."`
	}
}

type replyInput struct {
	IDParam
	Body struct {
		Body string `json:"body" minLength:"1" maxLength:"10000" doc:"Markdown."`
	}
}

type messageOutput struct {
	Body *onboardiq.ConversationMessage
}

func (h *handlers) registerConversations(api huma.API) {
	tags := []string{"Conversations"}
	huma.Register(api, huma.Operation{OperationID: "list-conversations", Method: http.MethodGet, Path: "/conversations",
		Summary: "List conversations", Tags: tags, Security: bearer,
		Description: "\"Ask my CSM\" conversations, newest activity first: a contact's own customer's; every customer's for staff. " +
			"`awaiting_reply` marks those where the customer spoke last."},
		func(ctx context.Context, in *listConversationsInput) (*conversationPage, error) {
			customer, err := optionalUUID("customer_id", in.CustomerID)
			if err != nil {
				return nil, err
			}
			p, err := h.DB.ListConversations(ctx, postgres.ConversationFilter{ListOptions: in.options(),
				Status: onboardiq.ConversationStatus(in.Status), CustomerID: customer, Mine: in.Mine})
			return &conversationPage{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "open-conversation", Method: http.MethodPost, Path: "/conversations",
		Summary: "Ask the CSM", Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated,
		Description: "Customer contacts: opens a conversation with the customer's support member (the admins when it has none), " +
			"who is notified (customer_asked_for_help). Staff answer; they do not open conversations (403)."},
		func(ctx context.Context, in *openConversationInput) (*conversationOutput, error) {
			c, err := h.DB.OpenConversation(ctx, onboardiq.NewConversation{Subject: in.Body.Subject, Body: in.Body.Body,
				TaskID: in.Body.TaskID, AssistantConversationID: in.Body.AssistantConversationID})
			return &conversationOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-conversation", Method: http.MethodGet, Path: "/conversations/{id}",
		Summary: "Get a conversation", Description: "With its messages, oldest first.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*conversationOutput, error) {
			c, err := h.DB.GetConversation(ctx, in.ID())
			return &conversationOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "reply-to-conversation", Method: http.MethodPost, Path: "/conversations/{id}/messages",
		Summary: "Reply in a conversation", Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated,
		Description: "The customer's contacts, and its CSM and the admins. A contact's reply to a closed conversation reopens it " +
			"(and notifies the CSM); staff reply while it is open (409 when closed: reopen it first). Sales leaders, viewers and other CSMs read only (403)."},
		func(ctx context.Context, in *replyInput) (*messageOutput, error) {
			m, err := h.DB.ReplyToConversation(ctx, in.ID(), in.Body.Body)
			return &messageOutput{m}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "close-conversation", Method: http.MethodPost, Path: "/conversations/{id}/close",
		Summary: "Close a conversation", Tags: tags, Security: bearer,
		Description: "The customer's CSM and the admins. 409 when it is closed already."},
		func(ctx context.Context, in *IDParam) (*conversationOutput, error) {
			c, err := h.DB.CloseConversation(ctx, in.ID())
			return &conversationOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "reopen-conversation", Method: http.MethodPost, Path: "/conversations/{id}/reopen",
		Summary: "Reopen a conversation", Tags: tags, Security: bearer,
		Description: "The customer's CSM and the admins (a contact reopens one by replying). 409 when it is open."},
		func(ctx context.Context, in *IDParam) (*conversationOutput, error) {
			c, err := h.DB.ReopenConversation(ctx, in.ID())
			return &conversationOutput{c}, h.problem(ctx, err)
		})
}
