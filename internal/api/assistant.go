package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/sse"
)

type askInput struct {
	Body struct {
		Question       string     `json:"question" minLength:"1" maxLength:"2000"`
		ProjectID      *uuid.UUID `json:"project_id,omitempty" doc:"The project the question is about."`
		TaskID         *uuid.UUID `json:"task_id,omitempty" doc:"The task the question is about."`
		ConversationID *uuid.UUID `json:"conversation_id,omitempty" doc:"Continue this conversation."`
	}
}

type escalateInput struct {
	Body struct {
		ConversationID uuid.UUID `json:"conversation_id"`
	}
}

type summaryInput struct {
	IDParam
	Body struct {
		Since *time.Time `json:"since,omitempty" doc:"Default: 30 days before until."`
		Until *time.Time `json:"until,omitempty" doc:"Default: now."`
	}
}

type budgetInput struct {
	Body struct {
		MonthlyTokens *int64 `json:"monthly_tokens" required:"true" minimum:"0" doc:"Tokens per calendar month (UTC); null for no limit."`
	}
}

func (h *handlers) registerAssistant(api huma.API) {
	tags := []string{"Assistant"}
	answerSchema := api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(assistant.Answer{}), true, "AssistantAnswer")
	huma.Register(api, huma.Operation{OperationID: "ask", Method: http.MethodPost, Path: "/assistant/ask",
		Summary: "Ask the assistant",
		Description: "Answers a question from the knowledge base (public articles for customer contacts), the task or project asked about, " +
			"the asker's own tasks and similar completed tasks, with citations. With `Accept: text/event-stream` the answer streams as " +
			"server-sent events: `delta` events carry `{\"text\": …}`, already sanitised (a piece that could still become an image, a link or raw HTML " +
			"is held back until it is complete), a final `done` event the whole answer, an `error` event a failure. " +
			"When nothing relevant is found it says so, sets `nothing_found`, and offers to pass the question on (POST /assistant/escalate). " +
			"Every call that may reach the model (this, summaries, troubleshooting, unblocking) counts against a limit per user and per tenant " +
			"and the monthly token budget, of which one user may use a share: past one, 429 with Retry-After and a message naming it.",
		Tags: tags, Security: bearer,
		Responses: map[string]*huma.Response{"200": {Description: "The answer", Content: map[string]*huma.MediaType{
			"application/json":  {Schema: answerSchema},
			"text/event-stream": {Schema: &huma.Schema{Type: "string"}},
		}}},
	}, func(ctx context.Context, in *askInput) (*huma.StreamResponse, error) {
		if h.Assistant == nil {
			return nil, huma.Error503ServiceUnavailable("the assistant is not configured")
		}
		prep, err := h.Assistant.Prepare(ctx, assistant.Question{Text: in.Body.Question, ProjectID: in.Body.ProjectID,
			TaskID: in.Body.TaskID, ConversationID: in.Body.ConversationID})
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &huma.StreamResponse{Body: func(hc huma.Context) {
			if strings.Contains(hc.Header("Accept"), "text/event-stream") {
				h.streamAnswer(ctx, hc, prep)
				return
			}
			ans, err := h.Assistant.Run(ctx, prep, nil)
			if err != nil {
				writeProblem(api, hc, h.problem(ctx, err))
				return
			}
			hc.SetHeader("Content-Type", "application/json")
			hc.SetStatus(http.StatusOK)
			_ = json.NewEncoder(hc.BodyWriter()).Encode(ans)
		}}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "escalate", Method: http.MethodPost, Path: "/assistant/escalate",
		Summary: "Pass a question to the support member",
		Description: "Posts the conversation's last question for the support member: as a comment on the task it was about, " +
			"otherwise on the project's or the customer's activity; the question becomes a knowledge gap (GET /knowledge-gaps).",
		Tags: tags, Security: bearer, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *escalateInput) (*struct {
			Body struct {
				PostedOn string `json:"posted_on" enum:"task,project,customer"`
			}
		}, error) {
			out := &struct {
				Body struct {
					PostedOn string `json:"posted_on" enum:"task,project,customer"`
				}
			}{}
			var err error
			out.Body.PostedOn, err = h.DB.EscalateQuestion(ctx, in.Body.ConversationID)
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "summarise-customer", Method: http.MethodPost, Path: "/customers/{id}/summary",
		Summary:     "Summarise a customer's activity",
		Description: "Staff: what the customer did in the period — tasks done, late, blocked, comments and questions, last activity — as prose with the facts beside it.",
		Tags:        tags, Security: bearer},
		func(ctx context.Context, in *summaryInput) (*struct {
			Body *assistant.Report[*onboardiq.CustomerFacts]
		}, error) {
			until := time.Now()
			if in.Body.Until != nil {
				until = *in.Body.Until
			}
			since := until.AddDate(0, 0, -30)
			if in.Body.Since != nil {
				since = *in.Body.Since
			}
			r, err := h.Assistant.Summary(ctx, in.ID(), since, until)
			return &struct {
				Body *assistant.Report[*onboardiq.CustomerFacts]
			}{r}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "troubleshoot-task", Method: http.MethodPost, Path: "/tasks/{id}/troubleshoot",
		Summary:     "Troubleshoot a task",
		Description: "Staff: why the task may be stuck and concrete next steps, from similar tasks and public and internal articles.",
		Tags:        tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*struct {
			Body *assistant.Report[*assistant.TaskFacts]
		}, error) {
			r, err := h.Assistant.Troubleshoot(ctx, in.ID())
			return &struct {
				Body *assistant.Report[*assistant.TaskFacts]
			}{r}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "unblock-project", Method: http.MethodPost, Path: "/projects/{id}/unblock",
		Summary:     "Unblock a project",
		Description: "Staff: what blocks the project and who must act.",
		Tags:        tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*struct {
			Body *assistant.Report[*onboardiq.Blockers]
		}, error) {
			r, err := h.Assistant.Unblock(ctx, in.ID())
			return &struct {
				Body *assistant.Report[*onboardiq.Blockers]
			}{r}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-ai-calls", Method: http.MethodGet, Path: "/ai/calls",
		Summary: "AI calls", Description: "Admins: every assistant call with its question, sources, provider, model, tokens and latency, newest first.",
		Tags: []string{"AI"}, Security: bearer},
		func(ctx context.Context, in *ListParams) (*struct {
			Body onboardiq.Page[*onboardiq.AICall]
		}, error) {
			p, err := h.DB.ListAICalls(ctx, in.options())
			return &struct {
				Body onboardiq.Page[*onboardiq.AICall]
			}{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-ai-budget", Method: http.MethodGet, Path: "/ai/budget",
		Summary: "AI token budget", Description: "Admins: the monthly token budget and this month's use.", Tags: []string{"AI"}, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*struct{ Body onboardiq.Budget }, error) {
			b, err := h.DB.GetBudget(ctx)
			return &struct{ Body onboardiq.Budget }{b}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "set-ai-budget", Method: http.MethodPut, Path: "/ai/budget",
		Summary: "Set the AI token budget", Description: "Admins. When the month's tokens are used, the assistant answers 429 until the month ends; " +
			"one user may use a share of them (ONBOARDIQ_AI_USER_BUDGET_PERCENT, 25% by default).",
		Tags: []string{"AI"}, Security: bearer},
		func(ctx context.Context, in *budgetInput) (*struct{ Body onboardiq.Budget }, error) {
			b, err := h.DB.SetBudget(ctx, in.Body.MonthlyTokens)
			return &struct{ Body onboardiq.Budget }{b}, h.problem(ctx, err)
		})
}

// streamAnswer runs the model and sends its answer as server-sent events.
func (h *handlers) streamAnswer(ctx context.Context, hc huma.Context, prep *assistant.Prepared) {
	_, w := humago.Unwrap(hc)
	s := sse.New(w)
	hc.SetStatus(http.StatusOK)
	ans, err := h.Assistant.Run(ctx, prep, func(d string) error { return s.Send("delta", map[string]string{"text": d}) })
	if err != nil {
		h.Logger.ErrorContext(ctx, "assistant", "err", err)
		_ = s.Send("error", map[string]string{"detail": "the language model failed to answer; try again"})
		return
	}
	_ = s.Send("done", ans)
}

// writeProblem writes a problem from h.problem where a handler writes its
// own response (a stream's body).
func writeProblem(api huma.API, hc huma.Context, err error) {
	var se huma.StatusError
	if !errors.As(err, &se) {
		se = huma.Error500InternalServerError("internal error")
	}
	var he huma.HeadersError
	if errors.As(err, &he) {
		for k, vs := range he.GetHeaders() {
			for _, v := range vs {
				hc.AppendHeader(k, v)
			}
		}
	}
	_ = huma.WriteErr(api, hc, se.GetStatus(), se.Error())
}
