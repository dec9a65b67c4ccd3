package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

type customFieldOutput struct{ Body *onboardiq.CustomField }

type customFieldsOutput struct {
	Body struct {
		Fields []*onboardiq.CustomField `json:"fields"`
	}
}

// customFieldQuery reads a list's cf.<key>[.gte|.lte] parameters, which
// the input struct cannot name ahead of time.
type customFieldQuery struct {
	cf []postgres.CustomFieldFilter
}

// Resolve keeps the custom field filters of the request's query.
func (q *customFieldQuery) Resolve(ctx huma.Context) []error {
	u := ctx.URL()
	q.cf = postgres.ParseCustomFieldFilters(u.Query())
	return nil
}

const customFieldFilterDoc = " cf.<key>=value keeps those whose custom field <key> has the value; for number and date fields, " +
	"cf.<key>.gte and cf.<key>.lte compare (an unknown key or a value not of the field's type: 422 naming query.cf.<key>)."

func (h *handlers) registerCustomFields(api huma.API) {
	tags := []string{"Custom fields"}
	huma.Register(api, huma.Operation{OperationID: "list-custom-fields", Method: http.MethodGet, Path: "/custom-fields",
		Summary: "List the custom fields", Description: "Staff. The workspace's typed fields on customers and projects, by entity and position.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			Entity string `query:"entity" enum:"customer,project" doc:"Only this entity's fields."`
		}) (*customFieldsOutput, error) {
			fs, err := h.DB.ListCustomFields(ctx, onboardiq.CustomFieldEntity(in.Entity))
			out := &customFieldsOutput{}
			out.Body.Fields = fs
			return out, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "create-custom-field", Method: http.MethodPost, Path: "/custom-fields",
		Summary: "Define a custom field",
		Description: "Admins. Values go in custom_fields of the entity's create and update, under key: text (up to 1,000 characters), " +
			"number (a JSON number), date (YYYY-MM-DD) or one_of (one of options). 409 when the entity has the key already.",
		Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct {
			Body struct {
				Entity   string   `json:"entity" enum:"customer,project"`
				Key      string   `json:"key" pattern:"^[a-z0-9_]{1,40}$"`
				Label    string   `json:"label" minLength:"1" maxLength:"100"`
				Type     string   `json:"type" enum:"text,number,date,one_of"`
				Options  []string `json:"options,omitempty" maxItems:"50" doc:"The values of a one_of field (1 to 50); none for the other types."`
				Position int      `json:"position,omitempty" minimum:"0" maximum:"10000"`
			}
		}) (*customFieldOutput, error) {
			f, err := h.DB.CreateCustomField(ctx, onboardiq.NewCustomField{Entity: onboardiq.CustomFieldEntity(in.Body.Entity), Key: in.Body.Key,
				Label: in.Body.Label, Type: onboardiq.CustomFieldType(in.Body.Type), Options: in.Body.Options, Position: in.Body.Position})
			return &customFieldOutput{f}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "update-custom-field", Method: http.MethodPatch, Path: "/custom-fields/{id}",
		Summary: "Change a custom field",
		Description: "Admins. The label, the options of a one_of field and the position change; the entity, key and type do not. " +
			"A value no longer among the options stays until its customer or project is next changed.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			IDParam
			Body struct {
				Label    Nullable[string]   `json:"label,omitempty" minLength:"1" maxLength:"100"`
				Options  Nullable[[]string] `json:"options,omitempty" maxItems:"50"`
				Position Nullable[int]      `json:"position,omitempty" minimum:"0" maximum:"10000"`
			}
		}) (*customFieldOutput, error) {
			f, err := h.DB.UpdateCustomField(ctx, in.ID(), onboardiq.CustomFieldPatch{Label: in.Body.Label.patch(),
				Options: in.Body.Options.patch(), Position: in.Body.Position.patch()})
			return &customFieldOutput{f}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "delete-custom-field", Method: http.MethodDelete, Path: "/custom-fields/{id}",
		Summary: "Delete a custom field", Description: "Admins. The field's values go with it, on every customer or project.",
		Tags: tags, Security: bearer, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *IDParam) (*struct{}, error) {
			return nil, h.problem(ctx, h.DB.DeleteCustomField(ctx, in.ID()))
		})
}
