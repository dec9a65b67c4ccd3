package jobs

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mention"
	"github.com/onboardiq/onboardiq/internal/notify/wording"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// customerActionKinds are the task events a customer contact's CSM and the
// task's staff owner hear of, and the kind of notification each makes.
var customerActionKinds = map[onboardiq.EventKind]string{
	onboardiq.EventTaskCompleted: postgres.KindCustomerCompletedTask,
	onboardiq.EventTaskBlocked:   postgres.KindCustomerBlockedTask,
	onboardiq.EventTaskReopened:  postgres.KindCustomerReopenedTask,
	onboardiq.EventTaskCommented: postgres.KindCustomerCommented,
}

// alertStaff tells staff what customers do to tasks and when a customer
// asks them for help, and anyone of the tenant who can see a task that a
// comment on it mentions them (docs/notifications.md). It reads who acted and who is concerned in the
// event's transaction; NotifyOfEvent makes it once per event, user and kind.
func alertStaff(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
	if e.Kind == onboardiq.EventConversationOpened || e.Kind == onboardiq.EventConversationReplied {
		return alertAskedForHelp(ctx, tx, e)
	}
	kind, isAction := customerActionKinds[e.Kind]
	if !isAction || e.TaskID == nil {
		return nil
	}
	a, err := tx.TaskAudience(ctx, *e.TaskID, e.ActorID)
	if err != nil || a == nil {
		return err
	}
	now := time.Now()
	task := a.Task
	if d, ok := e.Data["description"].(string); ok && d != "" {
		task = d // the task as it was named when the change happened
	}
	actor := a.Actor
	if actor == "" {
		actor = "Someone"
	}

	var mentioned []uuid.UUID
	body, _ := e.Data["body"].(string)
	if e.Kind == onboardiq.EventTaskCommented && body != "" {
		people, err := mentionedIn(ctx, tx, a, body, e.ActorID)
		if err != nil {
			return err
		}
		for _, p := range people {
			mentioned = append(mentioned, p.UserID)
		}
		m := wording.Mentioned(actor, task, a.Project, body)
		if _, err := tx.NotifyOfEvent(ctx, postgres.UserNotice{Kind: postgres.KindMentioned, EventID: e.ID, Task: a,
			Title: m.Title, Body: m.Body, Users: mentioned}, now); err != nil {
			return err
		}
	}

	if !a.ActorIsContact {
		return nil // staff's own changes are theirs to tell
	}
	var users []uuid.UUID
	for _, u := range []*uuid.UUID{a.CSM, a.StaffAssignee} {
		// Not the actor (a contact never is either), not twice, and not
		// someone the comment mentions: they heard of it already.
		if u != nil && !slices.Contains(users, *u) && !slices.Contains(mentioned, *u) {
			users = append(users, *u)
		}
	}
	detail := body
	if e.Kind == onboardiq.EventTaskBlocked {
		detail, _ = e.Data["blocked_reason"].(string)
	}
	if e.Kind == onboardiq.EventTaskCompleted || e.Kind == onboardiq.EventTaskReopened {
		detail = ""
	}
	m := wording.CustomerAction(wording.Action{Kind: kind, Actor: actor, Customer: a.Customer, Task: task, Project: a.Project, Detail: detail})
	_, err = tx.NotifyOfEvent(ctx, postgres.UserNotice{Kind: kind, EventID: e.ID, Task: a, Title: m.Title, Body: m.Body, Users: users}, now)
	return err
}

// alertAskedForHelp tells the staff who answer a customer (its CSM, or
// with none the admins) that a contact asked them something or wrote
// again in the conversation; staff's own replies tell nobody here (the
// contact hears of them). The notification opens the conversation.
func alertAskedForHelp(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
	id, err := uuid.Parse(text(e.Data["conversation_id"]))
	if err != nil {
		return nil // not a conversation's event as this consumer knows them
	}
	var message *uuid.UUID
	if m, err := uuid.Parse(text(e.Data["message_id"])); err == nil {
		message = &m
	}
	a, err := tx.ConversationAudience(ctx, id, message, e.ActorID)
	if err != nil || a == nil || !a.ActorIsContact {
		return err
	}
	actor := a.Actor
	if actor == "" {
		actor = "A contact"
	}
	if s := text(e.Data["subject"]); s != "" {
		a.Subject = s // as it was when they wrote
	}
	opened := e.Kind == onboardiq.EventConversationOpened
	h := wording.Help{Actor: actor, Customer: a.Customer, Subject: a.Subject, Opened: opened, Body: a.Body}
	if opened {
		h.Answer = a.Answer
	}
	m := wording.AskedForHelp(h)
	_, err = tx.NotifyOfConversation(ctx, postgres.ConversationNotice{Kind: postgres.KindCustomerAskedForHelp, EventID: e.ID, Conversation: a,
		Title: m.Title, Body: m.Body, Users: a.Staff}, time.Now())
	return err
}

// text is a value of an event's data as text ("" for none).
func text(v any) string {
	s, _ := v.(string)
	return s
}

// mentionedIn are the people a comment body on task a mentions (of those
// who may be mentioned on it), the comment's author apart.
func mentionedIn(ctx context.Context, tx *postgres.Tx, a *postgres.TaskAudience, body string, author *uuid.UUID) ([]postgres.Mentionable, error) {
	people, err := tx.Mentionable(ctx, a)
	if err != nil {
		return nil, err
	}
	candidates := make([]mention.Person, len(people))
	for i, p := range people {
		candidates[i] = mention.Person{Name: p.Name, Email: p.Email}
	}
	var out []postgres.Mentionable
	for _, i := range mention.Find(body, candidates) {
		if author == nil || people[i].UserID != *author {
			out = append(out, people[i])
		}
	}
	return out, nil
}
