package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/csvin"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

type importInput struct {
	Kind     string   `query:"kind" required:"true" enum:"customers,users,projects,tasks" doc:"What the file holds."`
	DryRun   bool     `query:"dry_run" doc:"Check every row and report what would happen, changing nothing."`
	Mode     string   `query:"mode" enum:"all,rows" default:"all" doc:"all: any row with a problem stops the import; rows: rows with problems are skipped and reported."`
	Filename string   `query:"filename" maxLength:"255" doc:"The file's name, to show in the list of imports."`
	Map      []string `query:"map,explode" doc:"A column for a field, overriding the guess: field=Header (or field=#3 for the third column, field= for none). Repeat for each field."`
	RawBody  []byte
}

type importOutput struct {
	Status int
	Body   *onboardiq.Import
}

// importProblem is a refused import: 422 naming why and listing each
// problem by line and column.
func (h *handlers) importProblem(ctx context.Context, err error) error {
	var refusal *postgres.ImportRefusal
	if !errors.As(err, &refusal) {
		var fe *csvin.Error
		if errors.As(err, &fe) {
			return huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: "body", Message: fe.Error()})
		}
		if onboardiq.ErrorField(err) == "mapping" {
			return huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: "query.map", Message: onboardiq.ErrorMessage(err)})
		}
		return h.problem(ctx, err)
	}
	where := "body"
	if onboardiq.ErrorField(refusal.Reason) == "mapping" {
		where = "query.map"
	}
	details := []error{&huma.ErrorDetail{Location: where, Message: refusal.Reason.Message}}
	for _, p := range refusal.Report.Problems {
		loc := fmt.Sprintf("line %d", p.Line)
		if p.Column > 0 {
			loc = fmt.Sprintf("line %d, column %d (%s)", p.Line, p.Column, p.Field)
		}
		details = append(details, &huma.ErrorDetail{Location: loc, Message: p.Message})
	}
	return huma.Error422UnprocessableEntity("the import was refused: nothing was imported", details...)
}

func (h *handlers) registerImports(api huma.API) {
	tags := []string{"Imports"}
	huma.Register(api, huma.Operation{OperationID: "create-import", Method: http.MethodPost, Path: "/imports",
		Summary: "Import a CSV file", Tags: tags, Security: bearer, DefaultStatus: http.StatusAccepted,
		MaxBodyBytes: csvin.DefaultMaxBytes, SkipValidateBody: true,
		// The body is read raw and documented as the file it is.
		RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
			"text/csv": {Schema: &huma.Schema{Type: "string", Description: "The CSV file, as it is."}}}},
		Description: "Admins. The body is the CSV file as it is (`Content-Type: text/csv`): UTF-8 with or without a byte-order mark, UTF-16 " +
			"with one, or Windows-1252; comma, semicolon, tab or pipe; up to 50 MB and 200,000 rows. Columns are matched to the kind's fields " +
			"by their headers (see `fields` in the answer) unless `map` says otherwise.\n\n" +
			"With `dry_run=true` every row is checked against the workspace and the answer (200) is the report: the mapping, every problem " +
			"by line and column, what each row would do (`counts`: create, update, same, skip) and a preview; nothing is stored.\n\n" +
			"Without it the file is checked the same way and, when it may be loaded, kept and loaded by a job: 202 with the import " +
			"(`status` queued; follow it at `GET /imports/{id}`). With `mode=all` (the default) a file with any problem, or with a required " +
			"field without a column, is refused with 422 listing the problems, and nothing is stored. docs/import.md describes the fields.",
	}, func(ctx context.Context, in *importInput) (*importOutput, error) {
		o := onboardiq.ImportOptions{Kind: onboardiq.ImportKind(in.Kind), DryRun: in.DryRun, Mode: onboardiq.ImportMode(in.Mode), Filename: in.Filename}
		var err error
		if o.Mapping, err = onboardiq.ParseImportMapping(in.Map); err != nil {
			return nil, h.queryProblem(ctx, err)
		}
		if in.DryRun {
			r, err := h.DB.CheckImport(ctx, in.RawBody, o)
			if err != nil {
				return nil, h.importProblem(ctx, err)
			}
			return &importOutput{http.StatusOK, r}, nil
		}
		r, err := h.DB.StartImport(ctx, in.RawBody, o, h.baseURL(), false)
		if err != nil {
			return nil, h.importProblem(ctx, err)
		}
		return &importOutput{http.StatusAccepted, r}, nil
	})
	// RawBody adds a binary body to the document: the body is the CSV file.
	if pi := api.OpenAPI().Paths["/imports"]; pi != nil && pi.Post != nil && pi.Post.RequestBody != nil {
		delete(pi.Post.RequestBody.Content, "application/octet-stream")
	}
	huma.Register(api, huma.Operation{OperationID: "list-imports", Method: http.MethodGet, Path: "/imports",
		Summary: "List the imports", Tags: tags, Security: bearer,
		Description: "Admins. The workspace's last 100 imports, newest first, each with its status, progress (`processed` of `rows`) and report."},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body struct {
				Items []*onboardiq.Import `json:"items"`
			}
		}, error) {
			list, err := h.DB.ListImports(ctx)
			out := &struct {
				Body struct {
					Items []*onboardiq.Import `json:"items"`
				}
			}{}
			out.Body.Items = list
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-import", Method: http.MethodGet, Path: "/imports/{id}",
		Summary: "Read an import", Tags: tags, Security: bearer,
		Description: "Admins. One import: `status` (draft, queued, running, done, failed), `processed` of `rows`, `counts`, `problems` " +
			"and `error` when it failed (nothing is loaded then)."},
		func(ctx context.Context, in *struct {
			ID uuid.UUID `path:"id"`
		}) (*importOutput, error) {
			r, err := h.DB.GetImport(ctx, in.ID)
			return &importOutput{http.StatusOK, r}, h.problem(ctx, err)
		})
}
