package jobs

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// emailContacts is the consumer "contact emails": the events that concern
// a customer contact queue their email (docs/notifications.md, "Emails to
// contacts"), each once per occasion, however often the fan-out runs:
//
//   - a task assigned to a contact (created with them as its assignee, or
//     changed to them) → task_assigned, unless they assigned it themselves;
//   - a task completed that completes its phase → milestone to every
//     contact of the customer; the project completed → milestone "the
//     whole project";
//   - a contact's first sign-in → welcome, with their open tasks;
//   - a comment that mentions a contact → contact_mentioned (the in-app
//     notification is the staff alerts' consumer's).
//
// Tasks created with a project from a template are not announced one by
// one: the invitation and the welcome list them.
func emailContacts(now func() time.Time) func(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
	return func(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
		at := now()
		switch e.Kind {
		case onboardiq.EventSignedIn:
			if e.ActorID != nil {
				_, err := tx.EmailWelcome(ctx, *e.ActorID, e.ID, at)
				return err
			}
			return nil
		case onboardiq.EventProjectCompleted:
			if e.ProjectID != nil {
				_, err := tx.EmailProjectMilestone(ctx, *e.ProjectID, at)
				return err
			}
			return nil
		case onboardiq.EventTaskCommented:
			return emailMentioned(ctx, tx, e, at)
		}
		if e.TaskID == nil {
			return nil
		}
		if to, ok := assignedTo(e); ok {
			if _, err := tx.EmailTaskAssigned(ctx, *e.TaskID, to, e.ID, e.ActorID, at); err != nil {
				return err
			}
		}
		if e.Kind == onboardiq.EventTaskCompleted {
			_, err := tx.EmailPhaseMilestone(ctx, *e.TaskID, at)
			return err
		}
		return nil
	}
}

// assignedTo says whether a task event assigned the task, and to whom: the
// assignee a change names, or, for a task created, the one it has (nil).
// EmailTaskAssigned checks that they are a contact and still the assignee.
func assignedTo(e *onboardiq.Event) (*uuid.UUID, bool) {
	if ch, ok := e.Changes["assigned_to"].(map[string]any); ok {
		s, _ := ch["to"].(string)
		id, err := uuid.Parse(s)
		return &id, err == nil
	}
	return nil, e.Kind == onboardiq.EventTaskCreated
}

// emailMentioned emails each contact a comment mentions (among those who
// may be mentioned on the task: postgres.Mentionable, as for the in-app
// notification), but not its author.
func emailMentioned(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event, now time.Time) error {
	body, _ := e.Data["body"].(string)
	if e.TaskID == nil || body == "" {
		return nil
	}
	a, err := tx.TaskAudience(ctx, *e.TaskID, e.ActorID)
	if err != nil || a == nil {
		return err
	}
	people, err := mentionedIn(ctx, tx, a, body, e.ActorID)
	if err != nil {
		return err
	}
	author := a.Actor
	if author == "" {
		author = "Someone"
	}
	for _, p := range people {
		// Staff are told by the staff alerts; EmailMentioned sends only
		// to contacts.
		if _, err := tx.EmailMentioned(ctx, *e.TaskID, p.UserID, e.ID, author, body, now); err != nil {
			return err
		}
	}
	return nil
}
