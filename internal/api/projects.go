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
		CustomerID  uuid.UUID  `json:"customer_id"`
		Name        string     `json:"name" minLength:"1" maxLength:"200"`
		Description string     `json:"description,omitempty" maxLength:"10000"`
		StartDate   *time.Time `json:"start_date,omitempty" doc:"When the project starts; tasks from a template are due relative to it. Default: now."`
		Deadline    *time.Time `json:"deadline,omitempty" doc:"Default with a template: the end of its last task."`
		TemplateID  *uuid.UUID `json:"template_id,omitempty" doc:"A template whose tasks the project starts with."`
	}
}

type listProjectsInput struct {
	ListParams
	CustomerID string `query:"customer_id" format:"uuid"`
	Status     string `query:"status" enum:"not_started,in_progress,blocked,completed,cancelled"`
	Overdue    bool   `query:"overdue" doc:"Only projects past their deadline and not completed."`
	Q          string `query:"q" maxLength:"200" doc:"Name contains (case-insensitive)."`
	Sort       string `query:"sort" enum:"created_at,-created_at,deadline,-deadline,name,-name,progress,-progress" default:"-created_at"`
}

type updateProjectInput struct {
	IDParam
	Body struct {
		Name        Nullable[string]    `json:"name,omitempty" minLength:"1" maxLength:"200"`
		Description Nullable[string]    `json:"description,omitempty" maxLength:"10000"`
		Deadline    Nullable[time.Time] `json:"deadline,omitempty" doc:"null clears it."`
	}
}

func (h *handlers) registerProjects(api huma.API) {
	tags := []string{"Projects"}
	huma.Register(api, huma.Operation{OperationID: "create-project", Method: http.MethodPost, Path: "/projects",
		Summary: "Create a project", Description: "With template_id, the template's tasks are created with due dates counted from start_date.",
		Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *createProjectInput) (*projectOutput, error) {
			np := onboardiq.NewProject{CustomerID: in.Body.CustomerID, Name: in.Body.Name, Description: in.Body.Description,
				Deadline: in.Body.Deadline, TemplateID: in.Body.TemplateID}
			if in.Body.StartDate != nil {
				np.StartDate = *in.Body.StartDate
			}
			p, err := h.DB.CreateProject(ctx, np)
			return &projectOutput{p}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-projects", Method: http.MethodGet, Path: "/projects",
		Summary: "List projects", Description: "Staff see every project; a customer contact sees their customer's.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *listProjectsInput) (*projectPage, error) {
			cid, err := optionalUUID("customer_id", in.CustomerID)
			if err != nil {
				return nil, err
			}
			p, err := h.DB.ListProjects(ctx, postgres.ProjectFilter{ListOptions: in.options(), CustomerID: cid,
				Status: onboardiq.Status(in.Status), Overdue: in.Overdue, Q: in.Q, Sort: in.Sort})
			return &projectPage{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-project", Method: http.MethodGet, Path: "/projects/{id}",
		Summary: "Get a project", Tags: tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*projectOutput, error) {
			p, err := h.DB.GetProject(ctx, in.ID())
			return &projectOutput{p}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "update-project", Method: http.MethodPatch, Path: "/projects/{id}",
		Summary: "Change a project", Description: "Status and progress follow the tasks and cannot be set.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *updateProjectInput) (*projectOutput, error) {
			p, err := h.DB.UpdateProject(ctx, in.ID(), onboardiq.ProjectPatch{Name: in.Body.Name.patch(),
				Description: in.Body.Description.patch(), Deadline: in.Body.Deadline.patch()})
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
