package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

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
	Phase        string `json:"phase" minLength:"1" maxLength:"100" example:"Technical setup"`
	Description  string `json:"description" minLength:"1" maxLength:"500"`
	Details      string `json:"details,omitempty" maxLength:"20000"`
	OffsetDays   int    `json:"offset_days" minimum:"0" maximum:"3650" doc:"Days after the project start when the task begins."`
	DurationDays int    `json:"duration_days" minimum:"0" maximum:"3650" doc:"Days it takes; it is due at start + offset + duration."`
	Side         string `json:"side" enum:"customer,vendor" doc:"Who does it: the customer's contacts or the vendor's support member."`
	Visibility   string `json:"visibility,omitempty" enum:"customer,internal" default:"customer"`
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
		t.Tasks = append(t.Tasks, onboardiq.TemplateTask{Phase: x.Phase, Description: x.Description, Details: x.Details,
			OffsetDays: x.OffsetDays, DurationDays: x.DurationDays, Side: x.Side, Visibility: onboardiq.Visibility(x.Visibility)})
	}
	return t
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
	huma.Register(api, huma.Operation{OperationID: "replace-template", Method: http.MethodPut, Path: "/templates/{id}",
		Summary: "Replace a template", Description: "Admins only. Projects made from it keep their tasks.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			IDParam
			Body templateBody
		}) (*templateOutput, error) {
			t, err := h.DB.UpdateTemplate(ctx, in.ID(), in.Body.template())
			return &templateOutput{t}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "delete-template", Method: http.MethodDelete, Path: "/templates/{id}",
		Summary: "Delete a template", Description: "Admins only. Projects made from it keep their tasks.", Tags: tags, Security: bearer,
		DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *IDParam) (*struct{}, error) {
			return nil, h.problem(ctx, h.DB.DeleteTemplate(ctx, in.ID()))
		})
}
