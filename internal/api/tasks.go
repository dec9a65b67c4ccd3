package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

type taskOutput struct{ Body *onboardiq.Task }

// changedTask is a changed task and the tasks moved with it.
type changedTask struct {
	*onboardiq.Task
	ShiftedTaskIDs []uuid.UUID `json:"shifted_task_ids,omitempty" doc:"With shift_dependents: the tasks that moved with this one, in the order they moved."`
}

type changedTaskOutput struct{ Body changedTask }

type taskPage struct {
	Body onboardiq.Page[*onboardiq.Task]
}

// TaskFields are the writable fields of a task, shared by create and update.
type TaskFields struct {
	Details       Nullable[string]      `json:"details,omitempty" maxLength:"20000" doc:"Markdown: what to do and how."`
	AssignedTo    Nullable[uuid.UUID]   `json:"assigned_to,omitempty" doc:"A contact of the project's customer or a support member; null unassigns."`
	Status        Nullable[string]      `json:"status,omitempty" enum:"not_started,in_progress,blocked,completed,cancelled"`
	Phase         Nullable[string]      `json:"phase,omitempty" maxLength:"100"`
	Position      Nullable[int]         `json:"position,omitempty" minimum:"0" maximum:"100000"`
	StartAt       Nullable[time.Time]   `json:"start_at,omitempty" doc:"When work is planned to start; not after due_at."`
	DueAt         Nullable[time.Time]   `json:"due_at,omitempty"`
	Visibility    Nullable[string]      `json:"visibility,omitempty" enum:"customer,internal" doc:"internal hides the task from customer contacts."`
	BlockedReason Nullable[string]      `json:"blocked_reason,omitempty" maxLength:"2000" doc:"Required when the status is blocked."`
	DependsOn     Nullable[[]uuid.UUID] `json:"depends_on,omitempty" maxItems:"100" doc:"The task's predecessors (finish-to-start), all of the same project; replaces the list, null or [] clears it. A change that would make a task wait on itself is refused."`
}

func (f TaskFields) patch(desc Nullable[string]) onboardiq.TaskPatch {
	st, vis := f.Status.patch(), f.Visibility.patch()
	return onboardiq.TaskPatch{
		Description:   desc.patch(),
		Details:       f.Details.patch(),
		AssignedTo:    f.AssignedTo.patch(),
		Status:        onboardiq.Patch[onboardiq.Status]{Set: st.Set, Null: st.Null, Value: onboardiq.Status(st.Value)},
		Phase:         f.Phase.patch(),
		Position:      f.Position.patch(),
		StartAt:       f.StartAt.patch(),
		DueAt:         f.DueAt.patch(),
		Visibility:    onboardiq.Patch[onboardiq.Visibility]{Set: vis.Set, Null: vis.Null, Value: onboardiq.Visibility(vis.Value)},
		BlockedReason: f.BlockedReason.patch(),
		DependsOn:     f.DependsOn.patch(),
	}
}

type createTaskInput struct {
	IDParam
	Body struct {
		Description string `json:"description" minLength:"1" maxLength:"500"`
		TaskFields
	}
}

type updateTaskInput struct {
	IDParam
	Body struct {
		Description Nullable[string] `json:"description,omitempty" minLength:"1" maxLength:"500"`
		TaskFields
		ShiftDependents bool `json:"shift_dependents,omitempty" doc:"When due_at moves by N working days, move the unfinished tasks that wait on this one, directly or not, by N working days too (start_at and due_at; weekends and the workspace's holidays skipped). The answer lists them in shifted_task_ids."`
	}
}

type listTasksInput struct {
	IDParam
	ListParams
	AssignedTo string `query:"assigned_to" maxLength:"36" doc:"Only tasks assigned to this user; me for your own."`
	Status     string `query:"status" enum:"not_started,in_progress,blocked,completed,cancelled"`
}

type commentOutput struct{ Body *onboardiq.Comment }

type commentPage struct {
	Body onboardiq.Page[*onboardiq.Comment]
}

type addCommentInput struct {
	IDParam
	Body struct {
		Body string `json:"body" minLength:"1" maxLength:"5000"`
	}
}

func (h *handlers) registerTasks(api huma.API) {
	tags := []string{"Tasks"}
	huma.Register(api, huma.Operation{OperationID: "create-task", Method: http.MethodPost, Path: "/projects/{id}/tasks",
		Summary: "Add a task to a project", Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *createTaskInput) (*taskOutput, error) {
			desc := Nullable[string]{Sent: true, Value: in.Body.Description}
			t, err := h.DB.CreateTask(ctx, in.ID(), in.Body.patch(desc))
			return &taskOutput{t}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-tasks", Method: http.MethodGet, Path: "/projects/{id}/tasks",
		Summary: "List a project's tasks", Description: "In plan order. A customer contact sees the tasks visible to customers.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *listTasksInput) (*taskPage, error) {
			f := postgres.TaskFilter{ListOptions: in.options(), Status: onboardiq.Status(in.Status)}
			if in.AssignedTo == "me" {
				f.AssignedTo = ptr(onboardiq.PrincipalFromContext(ctx).UserID)
			} else if id, err := optionalUUID("assigned_to", in.AssignedTo); err != nil {
				return nil, err
			} else {
				f.AssignedTo = id
			}
			p, err := h.DB.ListTasks(ctx, in.ID(), f)
			return &taskPage{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-task", Method: http.MethodGet, Path: "/tasks/{id}",
		Summary: "Get a task", Tags: tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*taskOutput, error) {
			t, err := h.DB.GetTask(ctx, in.ID())
			return &taskOutput{t}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "update-task", Method: http.MethodPatch, Path: "/tasks/{id}",
		Summary: "Change a task",
		Description: "Admins and CSMs may change any field. A customer contact may change only the status (and blocked_reason) " +
			"of a task of their company visible to customers: one not completed that is assigned to one of their company's contacts, " +
			"or a completed one they completed themselves (to reopen it). Completing sets completed_at; reopening clears it. " +
			"The project's progress and status follow. With shift_dependents, the tasks waiting on this one move with its due date " +
			"in working days, and shifted_task_ids names them.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *updateTaskInput) (*changedTaskOutput, error) {
			patch := in.Body.patch(in.Body.Description)
			patch.ShiftDependents = in.Body.ShiftDependents
			t, shifted, err := h.DB.UpdateTaskAndDependents(ctx, in.ID(), patch)
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			out := &changedTaskOutput{Body: changedTask{Task: t}}
			for _, s := range shifted {
				out.Body.ShiftedTaskIDs = append(out.Body.ShiftedTaskIDs, s.ID)
			}
			return out, nil
		})
	huma.Register(api, huma.Operation{OperationID: "delete-task", Method: http.MethodDelete, Path: "/tasks/{id}",
		Summary: "Delete a task", Tags: tags, Security: bearer, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *IDParam) (*struct{}, error) {
			return nil, h.problem(ctx, h.DB.DeleteTask(ctx, in.ID()))
		})
	huma.Register(api, huma.Operation{OperationID: "add-comment", Method: http.MethodPost, Path: "/tasks/{id}/comments",
		Summary: "Comment on a task", Description: "Admins and CSMs on any task; a customer contact on every task they can see (their company's, visible to customers).",
		Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *addCommentInput) (*commentOutput, error) {
			c, err := h.DB.AddComment(ctx, in.ID(), in.Body.Body)
			return &commentOutput{c}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-comments", Method: http.MethodGet, Path: "/tasks/{id}/comments",
		Summary: "List a task's comments", Description: "Oldest first.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			IDParam
			ListParams
		}) (*commentPage, error) {
			p, err := h.DB.ListComments(ctx, in.ID(), in.options())
			return &commentPage{p}, h.queryProblem(ctx, err)
		})
}
