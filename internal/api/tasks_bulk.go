package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Changes to several tasks of a project at once, and reordering within a
// phase: the project page's selection and its move buttons.

type bulkTasksInput struct {
	IDParam
	Body struct {
		TaskIDs       []uuid.UUID         `json:"task_ids" minItems:"1" maxItems:"500" doc:"The tasks to change, all of the project in the path."`
		AssignedTo    Nullable[uuid.UUID] `json:"assigned_to,omitempty" doc:"Reassign each task: a contact of the project's customer or a support member; null unassigns."`
		ShiftDays     int                 `json:"shift_days,omitempty" minimum:"-3650" maximum:"3650" doc:"Move each due date by this many days, later when positive; a task without a due date keeps none."`
		Status        string              `json:"status,omitempty" enum:"not_started,in_progress,blocked,completed,cancelled" doc:"Set each task's status."`
		BlockedReason string              `json:"blocked_reason,omitempty" maxLength:"2000" doc:"Required with status blocked, refused with any other."`
	}
}

type bulkTasksOutput struct {
	Body struct {
		Tasks []*onboardiq.Task `json:"tasks" doc:"The tasks named, as they are after the change, in plan order."`
	}
}

type moveTaskInput struct {
	IDParam
	Body struct {
		Direction string `json:"direction" enum:"up,down" doc:"up: before the task above it; down: after the task below it. Both must be of the same phase."`
	}
}

func (h *handlers) registerTaskChanges(api huma.API) {
	tags := []string{"Tasks"}
	huma.Register(api, huma.Operation{OperationID: "bulk-update-tasks", Method: http.MethodPost, Path: "/projects/{id}/tasks/bulk",
		Summary: "Change several tasks at once",
		Description: "Admins and CSMs. Applies one change — any of assigned_to, shift_days and status (with blocked_reason) — to every task " +
			"named, each as PATCH /tasks/{id} would change it (with its own event), in one transaction: when one task is refused, " +
			"none changes, and the error names the task and the field. The project's progress and status follow.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *bulkTasksInput) (*bulkTasksOutput, error) {
			change := postgres.BulkTaskChange{AssignedTo: in.Body.AssignedTo.patch(), ShiftDays: in.Body.ShiftDays,
				Status: onboardiq.Status(in.Body.Status), BlockedReason: in.Body.BlockedReason}
			tasks, err := h.DB.BulkUpdateTasks(ctx, in.ID(), in.Body.TaskIDs, change)
			out := &bulkTasksOutput{}
			out.Body.Tasks = tasks
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "move-task", Method: http.MethodPost, Path: "/tasks/{id}/move",
		Summary: "Move a task up or down within its phase",
		Description: "Admins and CSMs. The task changes places with its neighbour in plan order, which must be of the same phase " +
			"(otherwise 422 naming direction). Each task whose position changes records task.updated.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *moveTaskInput) (*taskOutput, error) {
			t, err := h.DB.MoveTask(ctx, in.ID(), in.Body.Direction)
			return &taskOutput{t}, h.problem(ctx, err)
		})
}
