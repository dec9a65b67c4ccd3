package api

import (
	"context"
	"mime"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/playbook"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// PlaybookBody is a playbook's definition as created or replaced: the
// fields playbooks as code carry. The read-only fields of a playbook as
// read are accepted, so that what GET answered can be sent back changed,
// and ignored.
type PlaybookBody struct {
	Name            string                       `json:"name" minLength:"1" maxLength:"200"`
	Description     string                       `json:"description,omitempty" maxLength:"2000"`
	Enabled         bool                         `json:"enabled,omitempty" doc:"Only a playbook that needs no setup (needs_setup) may be enabled: 422 names the field to set."`
	Subject         string                       `json:"subject,omitempty" enum:"customer,project" doc:"What a run is about, and what the cooldown counts per: a customer (the default), or a project."`
	Trigger         onboardiq.PlaybookTrigger    `json:"trigger"`
	Conditions      onboardiq.PlaybookConditions `json:"conditions" required:"false"`
	Actions         []onboardiq.PlaybookAction   `json:"actions" minItems:"1" maxItems:"20"`
	CooldownMinutes int                          `json:"cooldown_minutes,omitempty" minimum:"0" maximum:"525600" doc:"After a run on a subject, the playbook does not run on that subject again for this long (0: no cooldown)."`
	MaxRunsPerDay   int                          `json:"max_runs_per_day,omitempty" minimum:"0" maximum:"100000" doc:"At most this many runs in any 24 hours, over all subjects (0: no cap)."`

	ID            *uuid.UUID `json:"id,omitempty" readOnly:"true" doc:"Ignored."`
	SigningSecret string     `json:"signing_secret,omitempty" readOnly:"true" doc:"Ignored."`
	CreatedAt     *time.Time `json:"created_at,omitempty" readOnly:"true" doc:"Ignored."`
	UpdatedAt     *time.Time `json:"updated_at,omitempty" readOnly:"true" doc:"Ignored."`
	LastRunAt     *time.Time `json:"last_run_at,omitempty" readOnly:"true" doc:"Ignored."`
	NeedsSetup    []string   `json:"needs_setup,omitempty" readOnly:"true" doc:"Ignored."`
}

// playbook is the definition the store takes.
func (b PlaybookBody) playbook() onboardiq.Playbook {
	return onboardiq.Playbook{Name: b.Name, Description: b.Description, Enabled: b.Enabled, Subject: b.Subject,
		Trigger: b.Trigger, Conditions: b.Conditions, Actions: b.Actions, CooldownMinutes: b.CooldownMinutes, MaxRunsPerDay: b.MaxRunsPerDay}
}

// playbooksFile documents playbooks as code (the import's body and the
// export's answer; internal/playbook writes and reads it).
type playbooksFile struct {
	Version   int            `json:"version" enum:"1"`
	Playbooks []PlaybookBody `json:"playbooks" maxItems:"1000"`
}

type playbookOutput struct{ Body *onboardiq.Playbook }

type playbookList struct {
	Body struct {
		Items []*onboardiq.Playbook `json:"items"`
	}
}

type playbookRunPage struct {
	Body onboardiq.Page[*onboardiq.PlaybookRun]
}

type playbookFieldList struct {
	Body struct {
		Items []playbook.Field `json:"items"`
	}
}

type playbookExportInput struct {
	Format string `query:"format" enum:"yaml,json" default:"yaml" doc:"yaml (the default) or json."`
}

type playbookExportOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

type playbookImportInput struct {
	Format      string `query:"format" enum:"yaml,json" doc:"yaml or json; left out, the Content-Type says, or the file itself."`
	ContentType string `header:"Content-Type" doc:"application/yaml, application/x-yaml, text/yaml or application/json."`
	RawBody     []byte
}

// importFormats are the Content-Types an import takes, with the format
// each says.
var importFormats = map[string]string{
	"application/json":   playbook.JSON,
	"application/yaml":   playbook.YAML,
	"application/x-yaml": playbook.YAML,
	"text/yaml":          playbook.YAML,
}

// maxPlaybooksFile is the largest playbooks file an import takes.
const maxPlaybooksFile = 1 << 20

const playbookBodyDoc = "The body is the playbook's definition: `name`, `description`, `enabled`, `subject`, `trigger` (`event`, or `schedule` " +
	"with `days`, `percent`, `score`), `conditions` (`match` all or any, `rules` of `field`, `op`, `value`), `actions` (each with its `type`), " +
	"`cooldown_minutes` and `max_runs_per_day`; the read-only fields of a playbook as read may be sent back and are ignored. " +
	"422 names the field (`body.trigger.event`, `body.conditions.rules[0].op`, `body.actions[1].url`; `body.name` when another " +
	"playbook has the name), and nothing changes. docs/playbooks.md describes triggers, conditions and actions."

func (h *handlers) registerPlaybooks(api huma.API) {
	tags := []string{"Playbooks"}
	huma.Register(api, huma.Operation{OperationID: "list-playbooks", Method: http.MethodGet, Path: "/playbooks",
		Summary: "List the playbooks", Tags: tags, Security: bearer,
		Description: "Admins and CSMs. The workspace's playbooks (automation rules) in their order, with what each needs set up " +
			"before it can be enabled (`needs_setup`); the signing secret of webhook actions for admins only."},
		func(ctx context.Context, _ *struct{}) (*playbookList, error) {
			ps, err := h.DB.ListPlaybooks(ctx)
			out := &playbookList{}
			out.Body.Items = ps
			if ps == nil {
				out.Body.Items = []*onboardiq.Playbook{}
			}
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "create-playbook", Method: http.MethodPost, Path: "/playbooks",
		Summary: "Add a playbook", Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated,
		Description: "Admins. " + playbookBodyDoc},
		func(ctx context.Context, in *struct{ Body PlaybookBody }) (*playbookOutput, error) {
			p, err := h.DB.CreatePlaybook(ctx, in.Body.playbook())
			return &playbookOutput{p}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "export-playbooks", Method: http.MethodGet, Path: "/playbooks/export",
		Summary: "Export the playbooks as code", Tags: tags, Security: bearer,
		Description: "Admins. Every playbook's definition, in their order, as a file: `{\"version\": 1, \"playbooks\": [...]}` in YAML " +
			"(the default) or JSON, sent as an attachment (playbooks.yaml, playbooks.json). Importing it into an empty workspace and " +
			"exporting again gives the same bytes. Signing secrets are not exported.",
		Responses: map[string]*huma.Response{"200": {Description: "The file.", Content: map[string]*huma.MediaType{
			"application/yaml": {Schema: &huma.Schema{Type: "string", Description: "playbooks.yaml"}},
			"application/json": {Schema: &huma.Schema{Type: "string", Description: "playbooks.json"}},
		}}}},
		func(ctx context.Context, in *playbookExportInput) (*playbookExportOutput, error) {
			format := in.Format
			if format == "" {
				format = playbook.YAML
			}
			b, err := h.DB.ExportPlaybooks(ctx, format)
			if err != nil {
				return nil, h.queryProblem(ctx, err)
			}
			out := &playbookExportOutput{Body: b, ContentType: "application/yaml",
				ContentDisposition: `attachment; filename="playbooks.yaml"`}
			if format == playbook.JSON {
				out.ContentType, out.ContentDisposition = "application/json", `attachment; filename="playbooks.json"`
			}
			return out, nil
		})
	fileSchema := api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[playbooksFile](), true, "PlaybooksFile")
	importContent := map[string]*huma.MediaType{}
	for ct := range importFormats {
		importContent[ct] = &huma.MediaType{Schema: fileSchema}
	}
	huma.Register(api, huma.Operation{OperationID: "import-playbooks", Method: http.MethodPost, Path: "/playbooks/import",
		Summary: "Import playbooks as code", Tags: tags, Security: bearer, MaxBodyBytes: maxPlaybooksFile, DefaultStatus: http.StatusOK,
		// YAML or JSON alike, the file is checked by the store as it reads
		// it (internal/playbook), not by huma, which reads JSON only.
		SkipValidateBody: true,
		Description: "Admins. The body is a file as the export writes it (YAML or JSON, up to 1 MiB), sent as it is with its Content-Type " +
			"(application/yaml, application/x-yaml, text/yaml or application/json; another is 415). A playbook with the name of one of " +
			"the workspace's replaces its definition, the others are added; all or nothing: 422 names the playbook and field " +
			"(`body.playbooks[2].trigger.event`) and nothing changes.",
		// The body is read raw (YAML or JSON) and documented as the file it
		// must be.
		RequestBody: &huma.RequestBody{Required: true, Content: importContent}},
		func(ctx context.Context, in *playbookImportInput) (*struct{ Body *postgres.ImportResult }, error) {
			format := in.Format
			if in.ContentType != "" {
				ct, _, err := mime.ParseMediaType(in.ContentType)
				said, ok := importFormats[ct]
				if err != nil || !ok {
					return nil, huma.Error415UnsupportedMediaType("send the file as application/yaml, application/x-yaml, text/yaml or application/json")
				}
				if format == "" {
					format = said
				}
			}
			res, err := h.DB.ImportPlaybooks(ctx, in.RawBody, format)
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &struct{ Body *postgres.ImportResult }{res}, nil
		})
	// RawBody adds a binary body to the document: the body is the file.
	if pi := api.OpenAPI().Paths["/playbooks/import"]; pi != nil && pi.Post != nil && pi.Post.RequestBody != nil {
		delete(pi.Post.RequestBody.Content, "application/octet-stream")
	}
	huma.Register(api, huma.Operation{OperationID: "list-playbook-fields", Method: http.MethodGet, Path: "/playbooks/fields",
		Summary: "The fields conditions compare", Tags: tags, Security: bearer,
		Description: "Admins and CSMs. Each condition field with its kind (text, number, bool, date) and what it is; a name ending in `.` " +
			"is a prefix (`customer.cf.` followed by a custom field's key, `event.` by a key of the triggering event's data)."},
		func(ctx context.Context, _ *struct{}) (*playbookFieldList, error) {
			// Who may read playbooks may read their fields: the store says.
			if _, err := h.DB.ListPlaybooks(ctx); err != nil {
				return nil, h.problem(ctx, err)
			}
			out := &playbookFieldList{}
			out.Body.Items = playbook.Fields()
			if out.Body.Items == nil {
				out.Body.Items = []playbook.Field{}
			}
			return out, nil
		})
	huma.Register(api, huma.Operation{OperationID: "get-playbook", Method: http.MethodGet, Path: "/playbooks/{id}",
		Summary: "Get a playbook", Tags: tags, Security: bearer, Description: "Admins and CSMs; the signing secret for admins only."},
		func(ctx context.Context, in *IDParam) (*playbookOutput, error) {
			p, err := h.DB.GetPlaybook(ctx, in.ID())
			return &playbookOutput{p}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "replace-playbook", Method: http.MethodPut, Path: "/playbooks/{id}",
		Summary: "Replace a playbook's definition", Tags: tags, Security: bearer,
		Description: "Admins. The whole definition, as for POST /playbooks; its executions stay. " + playbookBodyDoc},
		func(ctx context.Context, in *struct {
			IDParam
			Body PlaybookBody
		}) (*playbookOutput, error) {
			p, err := h.DB.UpdatePlaybook(ctx, in.ID(), in.Body.playbook())
			return &playbookOutput{p}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "delete-playbook", Method: http.MethodDelete, Path: "/playbooks/{id}",
		Summary: "Delete a playbook", Tags: tags, Security: bearer, DefaultStatus: http.StatusNoContent,
		Description: "Admins. Deletes it with its executions; what its actions did (tasks, emails, deliveries) stays."},
		func(ctx context.Context, in *IDParam) (*struct{}, error) {
			return nil, h.problem(ctx, h.DB.DeletePlaybook(ctx, in.ID()))
		})
	for _, on := range []bool{true, false} {
		verb, summary, doc := "disable", "Disable a playbook", "Admins. It stops reacting to its trigger; runs by hand still work."
		if on {
			verb, summary, doc = "enable", "Enable a playbook", "Admins. Refused with 422 naming the field (`actions[0].url`) while it needs setup (`needs_setup`)."
		}
		huma.Register(api, huma.Operation{OperationID: verb + "-playbook", Method: http.MethodPost, Path: "/playbooks/{id}/" + verb,
			Summary: summary, Tags: tags, Security: bearer, Description: doc},
			func(ctx context.Context, in *IDParam) (*playbookOutput, error) {
				p, err := h.DB.SetPlaybookEnabled(ctx, in.ID(), on)
				return &playbookOutput{p}, h.problem(ctx, err)
			})
	}
	huma.Register(api, huma.Operation{OperationID: "list-playbook-executions", Method: http.MethodGet, Path: "/playbooks/{id}/executions",
		Summary: "A playbook's executions", Tags: tags, Security: bearer,
		Description: "Admins and CSMs. The audit of its runs, newest first: the trigger, the subject, each condition with the value it saw, " +
			"and each action with its outcome, attempts and the deliveries it made."},
		func(ctx context.Context, in *struct {
			IDParam
			ListParams
		}) (*playbookRunPage, error) {
			p, err := h.DB.ListPlaybookRuns(ctx, in.ID(), in.options())
			return &playbookRunPage{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "run-playbook", Method: http.MethodPost, Path: "/playbooks/{id}/run",
		Summary: "Run a playbook by hand", Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated,
		Description: "Admins and CSMs. Runs it now on a customer (and, for a project playbook, `project_id`, by default the customer's " +
			"active project), enabled or not, without its trigger and past its cooldown and daily cap: its conditions are recorded, and " +
			"its actions run (in the background, each once) only when they hold. The answer is the execution as it starts."},
		func(ctx context.Context, in *struct {
			IDParam
			Body postgres.RunInput
		}) (*struct{ Body *onboardiq.PlaybookRun }, error) {
			r, err := h.DB.RunPlaybook(ctx, in.ID(), in.Body)
			return &struct{ Body *onboardiq.PlaybookRun }{r}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "dry-run-playbook", Method: http.MethodPost, Path: "/playbooks/{id}/dry-run",
		Summary: "What a playbook would do now", Tags: tags, Security: bearer,
		Description: "Admins and CSMs. Changes nothing: every subject it would run on now, with its conditions as they evaluate, what " +
			"would hold a run back (the cooldown, the daily cap) and, in words, what each action would do."},
		func(ctx context.Context, in *IDParam) (*struct{ Body *onboardiq.DryRun }, error) {
			d, err := h.DB.DryRunPlaybook(ctx, in.ID())
			return &struct{ Body *onboardiq.DryRun }{d}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "acknowledge-escalation", Method: http.MethodPost, Path: "/escalations/{id}/acknowledge",
		Summary: "Acknowledge an escalation", Tags: tags, Security: bearer,
		Description: "Admins and CSMs. Stops the ladder of a playbook's escalate action: no later step is told."},
		func(ctx context.Context, in *IDParam) (*struct{ Body *onboardiq.Escalation }, error) {
			esc, err := h.DB.AcknowledgeEscalation(ctx, in.ID())
			return &struct{ Body *onboardiq.Escalation }{esc}, h.problem(ctx, err)
		})
}
