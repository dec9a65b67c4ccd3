package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

type templateOutput struct{ Body *onboardiq.Template }

type templateList struct {
	Body struct {
		Items []*onboardiq.Template `json:"items"`
	}
}

// templateTaskInput is one task of a template, as written.
type templateTaskInput struct {
	ID           *uuid.UUID  `json:"id,omitempty" doc:"One of the template's task ids to keep that task (changed in place, its projects' link kept); a new id of your choosing to add a task that others can name in depends_on; none to add a task with a new id. A replaced template's tasks not sent are deleted."`
	Phase        string      `json:"phase" minLength:"1" maxLength:"100" example:"Technical setup"`
	Description  string      `json:"description" minLength:"1" maxLength:"500"`
	Details      string      `json:"details,omitempty" maxLength:"20000"`
	OffsetDays   int         `json:"offset_days" minimum:"0" maximum:"3650" doc:"Working days after the project start when the task begins (weekends and the tenant's holidays skipped)."`
	DurationDays int         `json:"duration_days" minimum:"0" maximum:"3650" doc:"Working days it takes; it is due offset + duration working days after the project start."`
	Side         string      `json:"side" enum:"customer,vendor" doc:"Who does it: the customer's contacts or the vendor's support member."`
	Visibility   string      `json:"visibility,omitempty" enum:"customer,internal" default:"customer"`
	DependsOn    []uuid.UUID `json:"depends_on,omitempty" maxItems:"500" doc:"The ids of the tasks of this template it waits on (finish-to-start); no cycles."`
}

type templateBody struct {
	Name        string              `json:"name" minLength:"1" maxLength:"200"`
	Description string              `json:"description,omitempty" maxLength:"10000"`
	IsDefault   bool                `json:"is_default,omitempty" doc:"Make it the tenant's default template."`
	Tasks       []templateTaskInput `json:"tasks" minItems:"1" maxItems:"500"`
}

func (b templateBody) template() onboardiq.Template {
	t := onboardiq.Template{Name: b.Name, Description: b.Description, IsDefault: b.IsDefault}
	for _, x := range b.Tasks {
		pt := onboardiq.TemplateTask{Phase: x.Phase, Description: x.Description, Details: x.Details,
			OffsetDays: x.OffsetDays, DurationDays: x.DurationDays, Side: x.Side, Visibility: onboardiq.Visibility(x.Visibility), DependsOn: x.DependsOn}
		if x.ID != nil {
			pt.ID = *x.ID
		}
		t.Tasks = append(t.Tasks, pt)
	}
	return t
}

type duplicateTemplateBody struct {
	Name string `json:"name,omitempty" maxLength:"200" doc:"The copy's name; by default \"Copy of\" the template's (numbered when taken)."`
}

type templateFromProjectBody struct {
	ProjectID uuid.UUID `json:"project_id" doc:"The project whose tasks become the template's."`
	Name      string    `json:"name,omitempty" maxLength:"200" doc:"The template's name; by default the project's."`
}

func (h *handlers) registerTemplates(api huma.API) {
	tags := []string{"Templates"}
	huma.Register(api, huma.Operation{OperationID: "list-templates", Method: http.MethodGet, Path: "/templates",
		Summary: "List templates", Description: "The default first (staff).", Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*templateList, error) {
			ts, err := h.DB.ListTemplates(ctx)
			out := &templateList{}
			out.Body.Items = ts
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-template", Method: http.MethodGet, Path: "/templates/{id}",
		Summary: "Get a template", Tags: tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*templateOutput, error) {
			t, err := h.DB.GetTemplate(ctx, in.ID())
			return &templateOutput{t}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "create-template", Method: http.MethodPost, Path: "/templates",
		Summary: "Create a template", Description: "Admins only.", Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct{ Body templateBody }) (*templateOutput, error) {
			t, err := h.DB.CreateTemplate(ctx, in.Body.template())
			return &templateOutput{t}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "create-template-from-project", Method: http.MethodPost, Path: "/templates/from-project",
		Summary: "Save a project as a template",
		Description: "Admins only. The project's tasks (but the cancelled ones) become the template's, in order: phase, title, details, visibility; " +
			"the side from the assignee (a customer contact's task is the customer's, any other the vendor's); the start offset and the duration " +
			"in working days from the project start to the task's start (or, without one, the previous task's due date) and on to its due date; " +
			"and the dependencies between them.",
		Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct{ Body templateFromProjectBody }) (*templateOutput, error) {
			t, err := h.DB.CreateTemplateFromProject(ctx, in.Body.ProjectID, in.Body.Name)
			return &templateOutput{t}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "duplicate-template", Method: http.MethodPost, Path: "/templates/{id}/duplicate",
		Summary: "Duplicate a template", Description: "Admins only. The same tasks and dependencies under new ids; never the default.",
		Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct {
			IDParam
			Body *duplicateTemplateBody
		}) (*templateOutput, error) {
			name := ""
			if in.Body != nil {
				name = in.Body.Name
			}
			t, err := h.DB.DuplicateTemplate(ctx, in.ID(), name)
			return &templateOutput{t}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "replace-template", Method: http.MethodPut, Path: "/templates/{id}",
		Summary: "Replace a template",
		Description: "Admins only. Tasks sent with the id of one of its tasks are changed in place, the others added, and its tasks not sent deleted; " +
			"the order sent is the template's. Projects made from it keep their tasks.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			IDParam
			Body templateBody
		}) (*templateOutput, error) {
			t, err := h.DB.UpdateTemplate(ctx, in.ID(), in.Body.template())
			return &templateOutput{t}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "delete-template", Method: http.MethodDelete, Path: "/templates/{id}",
		Summary:     "Delete a template",
		Description: "Admins only. The default template cannot be deleted (409): make another the default first. Projects made from it keep their tasks.", Tags: tags, Security: bearer,
		DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *IDParam) (*struct{}, error) {
			return nil, h.problem(ctx, h.DB.DeleteTemplate(ctx, in.ID()))
		})
}
