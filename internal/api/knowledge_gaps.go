package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/assistant"
)

type feedbackInput struct {
	Body struct {
		ConversationID uuid.UUID `json:"conversation_id" doc:"One of the caller's own conversations with the assistant: its latest answer is rated."`
		Helpful        bool      `json:"helpful" required:"true"`
		Comment        string    `json:"comment,omitempty" maxLength:"2000" doc:"What was missing or wrong."`
	}
}

type gapsInput struct {
	IncludeAnswered bool `query:"include_answered" doc:"List the groups an article now answers too, with the article."`
}

// registerKnowledgeGaps registers the ratings of the assistant's answers
// and the knowledge-gap report (docs/knowledge-gaps.md).
func (h *handlers) registerKnowledgeGaps(api huma.API) {
	huma.Register(api, huma.Operation{OperationID: "rate-answer", Method: http.MethodPost, Path: "/assistant/feedback",
		Summary: "Rate the assistant's answer",
		Description: "The asker rates the latest answer of their own conversation helpful or not, with an optional comment; rating again " +
			"replaces the rating. An unhelpful answer makes its question a knowledge gap (GET /knowledge-gaps); rated helpful again, it no " +
			"longer counts for that reason. Another user's conversation answers 404.",
		Tags: []string{"Assistant"}, Security: bearer},
		func(ctx context.Context, in *feedbackInput) (*struct{ Body *onboardiq.Rating }, error) {
			r, err := h.DB.RateAnswer(ctx, onboardiq.AnswerRating{ConversationID: in.Body.ConversationID, Helpful: in.Body.Helpful, Comment: in.Body.Comment})
			return &struct{ Body *onboardiq.Rating }{r}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-knowledge-gaps", Method: http.MethodGet, Path: "/knowledge-gaps",
		Summary: "Knowledge gaps",
		Description: "Staff: the questions of the last 90 days the assistant could not answer (it found nothing, the asker passed the " +
			"question to a person, or rated the answer unhelpful), grouped by meaning, each group labelled by its most central question " +
			"and ranked by count + askers + blocked days / 7, where blocked days are the days the asking projects had a blocked task since " +
			"they asked. A group the assistant now answers from an article published or changed after its last question is left out " +
			"(counted in `answered`) unless include_answered is set.",
		Tags: []string{"Knowledge base"}, Security: bearer},
		func(ctx context.Context, in *gapsInput) (*struct{ Body *onboardiq.GapReport }, error) {
			if h.Assistant == nil {
				return nil, huma.Error503ServiceUnavailable("the assistant is not configured")
			}
			r, err := h.Assistant.KnowledgeGaps(ctx, assistant.GapOptions{IncludeAnswered: in.IncludeAnswered})
			return &struct{ Body *onboardiq.GapReport }{r}, h.problem(ctx, err)
		})
}
