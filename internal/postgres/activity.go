package postgres

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// eventColumns are an event as the log shows it: with its actor's name, and
// the current names of the task and project it is about (for
// Event.Describe; a deleted one's name is in the event's data).
const eventColumns = `e.event_id, e.occurred_at, e.actor_user_id, coalesce(u.name, 'OnboardIQ'), e.kind,
    e.customer_id, e.project_id, e.task_id, e.changes, e.data, coalesce(et.description, ''), coalesce(ep.name, '')`

const eventFrom = ` FROM events e LEFT JOIN tenant_users u ON u.tenant_id = e.tenant_id AND u.user_id = e.actor_user_id
    LEFT JOIN tasks et ON et.tenant_id = e.tenant_id AND et.task_id = e.task_id
    LEFT JOIN projects ep ON ep.tenant_id = e.tenant_id AND ep.project_id = e.project_id `

func scanEvent(row pgx.CollectableRow) (*onboardiq.Event, error) {
	e := &onboardiq.Event{}
	err := row.Scan(&e.ID, &e.OccurredAt, &e.ActorID, &e.Actor, &e.Kind, &e.CustomerID, &e.ProjectID, &e.TaskID, &e.Changes, &e.Data,
		&e.TaskName, &e.ProjectName)
	return e, err
}

// ActivityFilter picks whose activity to list: a customer's (with its
// projects and tasks) or a project's (with its tasks).
type ActivityFilter struct {
	onboardiq.ListOptions
	CustomerID *uuid.UUID
	ProjectID  *uuid.UUID
}

// ListActivity lists the activity log, newest first (staff only).
func (db *DB) ListActivity(ctx context.Context, f ActivityFilter) (onboardiq.Page[*onboardiq.Event], error) {
	var out onboardiq.Page[*onboardiq.Event]
	if err := f.Normalise(); err != nil {
		return out, err
	}
	before := int64(1<<63 - 1)
	if f.Cursor != "" {
		if err := decodeCursor(f.Cursor, &before); err != nil {
			return out, err
		}
	}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		var q string
		var id uuid.UUID
		switch {
		case f.ProjectID != nil:
			if _, err := getProject(ctx, tx, p, *f.ProjectID, false); err != nil {
				return err
			}
			q, id = `e.project_id = $2`, *f.ProjectID
		case f.CustomerID != nil:
			if _, err := getCustomer(ctx, tx, p, *f.CustomerID, false); err != nil {
				return err
			}
			q, id = `e.customer_id = $2`, *f.CustomerID
		default:
			return fmt.Errorf("list activity: no customer or project")
		}
		if err := p.Check(onboardiq.ReadActivity); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+eventColumns+eventFrom+`
WHERE e.tenant_id = $1 AND `+q+` AND e.event_id < $3
ORDER BY e.event_id DESC LIMIT $4`, tx.TenantID(), id, before, f.Limit+1)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, scanEvent)
		out = page(items, f.Limit, func(e *onboardiq.Event) []any { return []any{e.ID} })
		return err
	})
	return out, err
}

// taskForComment returns the task if the caller may comment on it: admins
// and CSMs on any task, a contact on any task they can see
// (onboardiq.CanCommentOnTask).
func taskForComment(ctx context.Context, tx *Tx, p *onboardiq.Principal, taskID uuid.UUID) (*onboardiq.Task, error) {
	t, err := getTask(ctx, tx, p, taskID, false)
	if err != nil {
		return nil, err
	}
	if !p.IsCustomer() {
		return t, p.Check(onboardiq.CommentOnTasks)
	}
	if !onboardiq.CanCommentOnTask(p, t) {
		return t, onboardiq.Errorf(onboardiq.EFORBIDDEN, "you may comment only on your company's tasks")
	}
	return t, nil
}

// AddComment comments on a task. A comment is an event of the task.
func (db *DB) AddComment(ctx context.Context, taskID uuid.UUID, body string) (*onboardiq.Comment, error) {
	body = strings.TrimSpace(body)
	if n := utf8.RuneCountInString(body); n == 0 || n > 5000 {
		return nil, onboardiq.Invalid("body", "must be 1 to 5000 characters")
	}
	var c *onboardiq.Comment
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		var err error
		c, err = addComment(ctx, tx, p, taskID, body)
		return err
	})
	return c, err
}

// addComment is AddComment in tx, as p, of a body already checked
// (ApplyReply shares it).
func addComment(ctx context.Context, tx *Tx, p *onboardiq.Principal, taskID uuid.UUID, body string) (*onboardiq.Comment, error) {
	t, err := taskForComment(ctx, tx, p, taskID)
	if err != nil {
		return nil, err
	}
	if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTaskCommented, CustomerID: &t.CustomerID, ProjectID: &t.ProjectID, TaskID: &t.ID,
		Data: map[string]any{"body": body}}); err != nil {
		return nil, err
	}
	return lastComment(ctx, tx, taskID)
}

func lastComment(ctx context.Context, tx *Tx, taskID uuid.UUID) (*onboardiq.Comment, error) {
	rows, err := tx.Query(ctx, commentQuery+` ORDER BY e.event_id DESC LIMIT 1`, tx.TenantID(), taskID, 0)
	if err != nil {
		return nil, err
	}
	return pgx.CollectExactlyOneRow(rows, scanComment)
}

const commentQuery = `SELECT e.event_id, e.task_id, e.actor_user_id, coalesce(u.name, 'OnboardIQ'), e.data->>'body', e.occurred_at` + eventFrom + `
WHERE e.tenant_id = $1 AND e.task_id = $2 AND e.kind = 'task.commented' AND e.event_id > $3`

func scanComment(row pgx.CollectableRow) (*onboardiq.Comment, error) {
	c := &onboardiq.Comment{}
	err := row.Scan(&c.ID, &c.TaskID, &c.AuthorID, &c.Author, &c.Body, &c.CreatedAt)
	return c, err
}

// ListComments lists a task's comments, oldest first, to anyone who may see
// the task.
func (db *DB) ListComments(ctx context.Context, taskID uuid.UUID, o onboardiq.ListOptions) (onboardiq.Page[*onboardiq.Comment], error) {
	var out onboardiq.Page[*onboardiq.Comment]
	if err := o.Normalise(); err != nil {
		return out, err
	}
	var after int64
	if o.Cursor != "" {
		if err := decodeCursor(o.Cursor, &after); err != nil {
			return out, err
		}
	}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if _, err := getTask(ctx, tx, p, taskID, false); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, commentQuery+` ORDER BY e.event_id LIMIT $4`, tx.TenantID(), taskID, after, o.Limit+1)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, scanComment)
		out = page(items, o.Limit, func(c *onboardiq.Comment) []any { return []any{c.ID} })
		return err
	})
	return out, err
}
