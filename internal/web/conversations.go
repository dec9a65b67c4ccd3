package web

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// "Ask my CSM": a contact's conversations in the portal, the staff's inbox
// in the console (docs/web.md). The pages ask the store's predicates
// before showing a control, as every page does.
func init() {
	funcs["canOpenConversation"] = onboardiq.CanOpenConversation
	funcs["canReplyToConversation"] = onboardiq.CanReplyToConversation
	funcs["canCloseConversation"] = onboardiq.CanCloseConversation
	funcs["canReopenConversation"] = onboardiq.CanReopenConversation
}

// inboxFilter is one of the inbox's filter links.
type inboxFilter struct {
	Label, Href string
	Current     bool
}

type inboxData struct {
	Conversations []*onboardiq.Conversation
	Statuses      []inboxFilter
	Scopes        []inboxFilter // a CSM's: theirs or everyone's
	Older         string        // the next page's link
	Mine          bool
	Status        string
}

// inbox lists the conversations of the customers the user supports (an
// admin's: all), newest activity first, the open ones unless asked.
func (h *Handler) inbox(w http.ResponseWriter, r *http.Request) error {
	p := onboardiq.PrincipalFromContext(r.Context())
	q := r.URL.Query()
	status := q.Get("status")
	switch status {
	case "closed", "all":
	default:
		status = "open"
	}
	// A CSM sees their customers' unless asked for everyone's; an admin
	// answers every one; the others answer none, so they see all.
	mine := p.Role == onboardiq.RoleCSM && q.Get("scope") != "all" || p.Role == onboardiq.RoleAdmin
	f := postgres.ConversationFilter{ListOptions: onboardiq.ListOptions{Limit: 50, Cursor: q.Get("cursor")}, Mine: mine}
	if status != "all" {
		f.Status = onboardiq.ConversationStatus(status)
	}
	pg, err := h.DB.LoadInboxPage(r.Context(), f)
	if err != nil {
		return err
	}
	link := func(status, scope string) string {
		v := url.Values{"status": {status}}
		if scope != "" {
			v.Set("scope", scope)
		}
		return "/app/inbox?" + v.Encode()
	}
	scope := ""
	if p.Role == onboardiq.RoleCSM && !mine {
		scope = "all"
	}
	d := inboxData{Conversations: pg.Conversations.Items, Mine: mine, Status: status}
	for _, s := range []struct{ value, label string }{{"open", "Open"}, {"closed", "Closed"}, {"all", "All"}} {
		d.Statuses = append(d.Statuses, inboxFilter{Label: s.label, Href: link(s.value, scope), Current: s.value == status})
	}
	if p.Role == onboardiq.RoleCSM {
		d.Scopes = []inboxFilter{
			{Label: "Your customers", Href: link(status, ""), Current: mine},
			{Label: "Every customer", Href: link(status, "all"), Current: !mine},
		}
	}
	if c := pg.Conversations.NextCursor; c != "" {
		v := url.Values{"status": {status}, "cursor": {c}}
		if scope != "" {
			v.Set("scope", scope)
		}
		d.Older = "/app/inbox?" + v.Encode()
	}
	return h.render(w, r, http.StatusOK, "inbox.html", view{Title: "Inbox", Data: d, Unread: pg.Unread, counted: true})
}

// conversationData is a conversation's page, in the console or the
// portal, with the answer or reply form.
type conversationData struct {
	C    *onboardiq.Conversation
	Form *formState
}

// conversation shows a conversation in the console: the question, the
// assistant's answer with its sources, the replies, and the answer box.
func (h *Handler) conversation(w http.ResponseWriter, r *http.Request) error {
	return h.renderConversation(w, r, http.StatusOK, emptyForm("answer", nil))
}

func (h *Handler) renderConversation(w http.ResponseWriter, r *http.Request, status int, form *formState) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pg, err := h.DB.LoadConversationPage(r.Context(), id)
	if err != nil {
		return err
	}
	page := "conversation.html"
	if onboardiq.PrincipalFromContext(r.Context()).IsCustomer() {
		page = "portal_conversation.html"
	}
	return h.render(w, r, status, page, view{Title: pg.Conversation.Subject, Data: conversationData{C: pg.Conversation, Form: form},
		Unread: pg.Unread, counted: true})
}

// conversationReply posts an answer (console) or a reply (portal). A bad
// one shows the page again with the error beside the box and the text
// kept.
func (h *Handler) conversationReply(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p := onboardiq.PrincipalFromContext(r.Context())
	prefix := "answer"
	if p.IsCustomer() {
		prefix = "reply"
	}
	form := newFormState(r, prefix, "body")
	form.Values["body"] = r.FormValue("body") // as typed, for the box
	if _, err := h.DB.ReplyToConversation(r.Context(), id, r.FormValue("body")); err != nil {
		if !aboutInput(err) {
			return err
		}
		form.fail(err, nil)
		return h.renderConversation(w, r, http.StatusUnprocessableEntity, form)
	}
	if p.IsCustomer() {
		http.Redirect(w, r, fmt.Sprintf("/portal/%s/conversations/%s#latest", r.PathValue("slug"), id), http.StatusSeeOther)
		return nil
	}
	h.redirectFlash(w, r, "/app/conversations/"+id.String()+"#latest", "Answer sent: the customer sees it in the portal and by email.")
	return nil
}

// conversationStatus closes or reopens a conversation from the console.
func (h *Handler) conversationStatus(to onboardiq.ConversationStatus) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		change, done := h.DB.CloseConversation, "Conversation closed."
		if to == onboardiq.ConversationOpen {
			change, done = h.DB.ReopenConversation, "Conversation reopened."
		}
		if _, err := change(r.Context(), id); err != nil {
			if onboardiq.ErrorCode(err) != onboardiq.ECONFLICT {
				return err
			}
			// Someone else closed or reopened it meanwhile: the page says
			// how it stands now.
			return h.renderConversation(w, r, http.StatusConflict, &formState{ID: "answer", Values: map[string]string{}, Errors: map[string]string{}, Error: errText(err)})
		}
		h.redirectFlash(w, r, "/app/conversations/"+id.String(), done)
		return nil
	}
}

// portalConversations lists the contact's customer's conversations.
func (h *Handler) portalConversations(w http.ResponseWriter, r *http.Request) error {
	p, err := h.DB.ListConversations(r.Context(), postgres.ConversationFilter{ListOptions: onboardiq.ListOptions{Limit: 100}})
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "portal_conversations.html", view{Title: "Your questions", Data: p.Items})
}

// newConversationData is the portal's "Ask my CSM" form.
type newConversationData struct {
	Form *formState
	Task *onboardiq.Task // the task it is about, if any
}

// portalConversationNew shows the "Ask my CSM" form; from a task
// (?task=id), about that task.
func (h *Handler) portalConversationNew(w http.ResponseWriter, r *http.Request) error {
	form := emptyForm("ask", nil)
	d := newConversationData{Form: form}
	if s := r.URL.Query().Get("task"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			return errNotFound
		}
		if d.Task, err = h.DB.GetTask(r.Context(), id); err != nil {
			return err
		}
		form.Values["subject"] = onboardiq.SubjectFrom("About: " + d.Task.Description)
		form.Values["task_id"] = d.Task.ID.String()
	}
	return h.render(w, r, http.StatusOK, "portal_conversation_new.html", view{Title: "Ask your CSM", Data: d})
}

// portalConversationCreate opens a conversation: from the form (subject,
// question, the task it is about) or from the assistant's answer (the
// assistant's conversation id: the store reads the question, the answer
// and its sources back from the record; nothing else of it is taken from
// the page). A bad field shows the form again with the error beside it.
func (h *Handler) portalConversationCreate(w http.ResponseWriter, r *http.Request) error {
	form := newFormState(r, "ask", "subject", "task_id")
	form.Values["body"] = r.FormValue("body")
	in := onboardiq.NewConversation{Subject: form.Values["subject"], Body: form.Values["body"]}
	for field, dst := range map[string]**uuid.UUID{"task_id": &in.TaskID, "assistant_conversation_id": &in.AssistantConversationID} {
		if s := r.FormValue(field); s != "" {
			id, err := uuid.Parse(s)
			if err != nil {
				return errNotFound
			}
			*dst = &id
		}
	}
	c, err := h.DB.OpenConversation(r.Context(), in)
	if err != nil {
		if !aboutInput(err) {
			return err
		}
		form.fail(err, nil)
		d := newConversationData{Form: form}
		if in.TaskID != nil {
			d.Task, _ = h.DB.GetTask(r.Context(), *in.TaskID)
		}
		return h.render(w, r, http.StatusUnprocessableEntity, "portal_conversation_new.html", view{Title: "Ask your CSM", Data: d})
	}
	http.Redirect(w, r, fmt.Sprintf("/portal/%s/conversations/%s", r.PathValue("slug"), c.ID), http.StatusSeeOther)
	return nil
}

// portalConversation shows a conversation in the portal, with the reply
// box.
func (h *Handler) portalConversation(w http.ResponseWriter, r *http.Request) error {
	return h.renderConversation(w, r, http.StatusOK, emptyForm("reply", nil))
}
