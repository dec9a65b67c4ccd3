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

type projectOutput struct{ Body *onboardiq.Project }

type projectPage struct {
	Body onboardiq.Page[*onboardiq.Project]
}

type createProjectInput struct {
	Body struct {
		CustomerID   uuid.UUID      `json:"customer_id"`
		Name         string         `json:"name" minLength:"1" maxLength:"200"`
		Description  string         `json:"description,omitempty" maxLength:"10000"`
		StartDate    *time.Time     `json:"start_date,omitempty" doc:"When the project starts; tasks from a template are due relative to it. Default: now."`
		Deadline     *time.Time     `json:"deadline,omitempty" doc:"Default with a template: the end of its last task."`
		TemplateID   *uuid.UUID     `json:"template_id,omitempty" doc:"A template whose tasks the project starts with."`
		CustomFields map[string]any `json:"custom_fields,omitempty" doc:"Values of the workspace's project custom fields by key, each checked against its type (422 naming custom_fields.<key>)."`
	}
}

type listProjectsInput struct {
	customFieldQuery
	ListParams
	CustomerID      string `query:"customer_id" format:"uuid"`
	SupportMemberID string `query:"support_member_id" format:"uuid" doc:"Only projects whose customer has this support member (CSM)."`
	Status          string `query:"status" enum:"not_started,in_progress,blocked,completed,on_hold,cancelled"`
	Overdue         bool   `query:"overdue" doc:"Only projects past their deadline and still running (not completed, on hold or cancelled)."`
	AtRisk          bool   `query:"at_risk" doc:"Only projects forecast to miss their deadline and still running (not completed, on hold or cancelled)."`
	Q               string `query:"q" maxLength:"200" doc:"Name contains (case-insensitive)."`
	Sort            string `query:"sort" enum:"created_at,-created_at,deadline,-deadline,name,-name,progress,-progress" default:"-created_at"`
}

// projectReasonInput is a lifecycle change that takes a reason. The body is
// optional in the schema only so that a request without one answers 422
// naming reason, as one without the field does, rather than 400.
type projectReasonInput struct {
	IDParam
	Body *struct {
		Reason string `json:"reason" minLength:"1" maxLength:"2000" doc:"Why; shown with the project as status_reason."`
	}
}

func (in *projectReasonInput) reason() string {
	if in.Body == nil {
		return ""
	}
	return in.Body.Reason
}

type updateProjectInput struct {
	IDParam
	Body struct {
		Name         Nullable[string]         `json:"name,omitempty" minLength:"1" maxLength:"200"`
		Description  Nullable[string]         `json:"description,omitempty" maxLength:"10000"`
		Deadline     Nullable[time.Time]      `json:"deadline,omitempty" doc:"null clears it."`
		CustomFields Nullable[map[string]any] `json:"custom_fields,omitempty" doc:"Merged into the values: a key sent replaces its value, a key sent as null removes it; null removes them all."`
	}
}

func (h *handlers) registerProjects(api huma.API) {
	tags := []string{"Projects"}
	huma.Register(api, huma.Operation{OperationID: "create-project", Method: http.MethodPost, Path: "/projects",
		Summary: "Create a project", Description: "With template_id, the template's tasks are created with due dates counted from start_date.",
		Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *createProjectInput) (*projectOutput, error) {
			np := onboardiq.NewProject{CustomerID: in.Body.CustomerID, Name: in.Body.Name, Description: in.Body.Description,
				Deadline: in.Body.Deadline, TemplateID: in.Body.TemplateID, CustomFields: in.Body.CustomFields}
			if in.Body.StartDate != nil {
				np.StartDate = *in.Body.StartDate
			}
			p, err := h.DB.CreateProject(ctx, np)
			return &projectOutput{p}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-projects", Method: http.MethodGet, Path: "/projects",
		Summary: "List projects", Description: "Staff see every project; a customer contact sees their customer's. " +
			"The filters combine: customer_id, support_member_id (the customer's CSM), status, overdue, at_risk and q (name contains); " +
			"sort picks the order (- for descending), and next_cursor pages through it." + customFieldFilterDoc, Tags: tags, Security: bearer},
		func(ctx context.Context, in *listProjectsInput) (*projectPage, error) {
			cid, err := optionalUUID("customer_id", in.CustomerID)
			if err != nil {
				return nil, err
			}
			sm, err := optionalUUID("support_member_id", in.SupportMemberID)
			if err != nil {
				return nil, err
			}
			p, err := h.DB.ListProjects(ctx, postgres.ProjectFilter{ListOptions: in.options(), CustomerID: cid, SupportMemberID: sm,
				Status: onboardiq.Status(in.Status), Overdue: in.Overdue, AtRisk: in.AtRisk, Q: in.Q, Sort: in.Sort, CustomFields: in.cf})
			return &projectPage{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-project", Method: http.MethodGet, Path: "/projects/{id}",
		Summary: "Get a project", Tags: tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*projectOutput, error) {
			p, err := h.DB.GetProject(ctx, in.ID())
			return &projectOutput{p}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "update-project", Method: http.MethodPatch, Path: "/projects/{id}",
		Summary: "Change a project", Description: "Status and progress follow the tasks and cannot be set here; hold, resume, cancel and reopen change the status by hand.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *updateProjectInput) (*projectOutput, error) {
			p, err := h.DB.UpdateProject(ctx, in.ID(), onboardiq.ProjectPatch{Name: in.Body.Name.patch(),
				Description: in.Body.Description.patch(), Deadline: in.Body.Deadline.patch(), CustomFields: in.Body.CustomFields.patch()})
			return &projectOutput{p}, h.problem(ctx, err)
		})
	lifecycle := func(l onboardiq.Lifecycle, summary, description string) huma.Operation {
		return huma.Operation{OperationID: string(l) + "-project", Method: http.MethodPost, Path: "/projects/{id}/" + string(l),
			Summary: summary, Description: description + " Admins and CSMs; 409 when the project's status does not allow it (the message names the status).",
			Tags: tags, Security: bearer}
	}
	huma.Register(api, lifecycle(onboardiq.LifecycleHold, "Put a project on hold",
		"A project not started, in progress or blocked goes on hold, with a reason: no delay alerts, never overdue, no forecast, "+
			"and left out of on-time figures until it is resumed. Its tasks can still change."),
		func(ctx context.Context, in *projectReasonInput) (*projectOutput, error) {
			p, err := h.DB.ChangeProjectLifecycle(ctx, in.ID(), onboardiq.LifecycleHold, in.reason())
			return &projectOutput{p}, h.problem(ctx, err)
		})
	huma.Register(api, lifecycle(onboardiq.LifecycleResume, "Resume a project on hold",
		"The deadline and the due dates of the open tasks move by the whole days spent on hold (added to held_days), "+
			"and the status follows the tasks again."),
		func(ctx context.Context, in *IDParam) (*projectOutput, error) {
			p, err := h.DB.ChangeProjectLifecycle(ctx, in.ID(), onboardiq.LifecycleResume, "")
			return &projectOutput{p}, h.problem(ctx, err)
		})
	huma.Register(api, lifecycle(onboardiq.LifecycleCancel, "Cancel a project",
		"A project that is not completed is cancelled, with a reason: no delay alerts, never overdue, left out of on-time figures, "+
			"and its tasks can no longer change (409) until it is reopened."),
		func(ctx context.Context, in *projectReasonInput) (*projectOutput, error) {
			p, err := h.DB.ChangeProjectLifecycle(ctx, in.ID(), onboardiq.LifecycleCancel, in.reason())
			return &projectOutput{p}, h.problem(ctx, err)
		})
	huma.Register(api, lifecycle(onboardiq.LifecycleReopen, "Reopen a cancelled project",
		"The status follows the tasks again; no dates move. A completed project reopens by itself when one of its tasks is reopened or added."),
		func(ctx context.Context, in *IDParam) (*projectOutput, error) {
			p, err := h.DB.ChangeProjectLifecycle(ctx, in.ID(), onboardiq.LifecycleReopen, "")
			return &projectOutput{p}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "delete-project", Method: http.MethodDelete, Path: "/projects/{id}",
		Summary: "Delete a project", Tags: tags, Security: bearer, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *IDParam) (*struct{}, error) {
			return nil, h.problem(ctx, h.DB.DeleteProject(ctx, in.ID()))
		})
	huma.Register(api, huma.Operation{OperationID: "project-activity", Method: http.MethodGet, Path: "/projects/{id}/activity",
		Summary: "A project's activity", Description: "Every change to the project and its tasks, newest first (staff).", Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			IDParam
			ListParams
		}) (*eventPage, error) {
			p, err := h.DB.ListActivity(ctx, postgres.ActivityFilter{ListOptions: in.options(), ProjectID: ptr(in.ID())})
			return &eventPage{p}, h.queryProblem(ctx, err)
		})
}
