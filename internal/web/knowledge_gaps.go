package web

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/assistant"
)

// The knowledge-gap report for staff (/app/knowledge/gaps) and the
// portal's rating of the assistant's answers (docs/knowledge-gaps.md).

// gapsPage is what the report's page shows.
type gapsPage struct {
	*onboardiq.GapReport
	IncludeAnswered bool
	// CanWrite shows "Write an article": the staff who may write one.
	CanWrite bool
}

func (h *Handler) knowledgeGaps(w http.ResponseWriter, r *http.Request) error {
	p := onboardiq.PrincipalFromContext(r.Context())
	include := r.URL.Query().Get("answered") == "1"
	rep, err := h.Assistant.KnowledgeGaps(r.Context(), assistant.GapOptions{IncludeAnswered: include})
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "knowledge_gaps.html", view{Title: "Knowledge gaps",
		Data: gapsPage{GapReport: rep, IncludeAnswered: include, CanWrite: p.Can(onboardiq.EditArticles)}})
}

// gapArticle opens the new-article editor filled in for the group of the
// question id: its representative question as the title, its questions as
// the outline; saving it posts to /app/kb as any new article does.
func (h *Handler) gapArticle(w http.ResponseWriter, r *http.Request) error {
	if err := onboardiq.PrincipalFromContext(r.Context()).Check(onboardiq.EditArticles); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rep, err := h.Assistant.KnowledgeGaps(r.Context(), assistant.GapOptions{IncludeAnswered: true})
	if err != nil {
		return err
	}
	for _, g := range rep.Groups {
		for _, q := range g.Questions {
			if q.ID == id {
				d := onboardiq.ArticleDraftFromGap(g)
				return h.render(w, r, http.StatusOK, "article_edit.html", view{Title: "New article",
					Data: editor(&onboardiq.Article{Title: d.Title, Content: d.Content, Visibility: d.Visibility})})
			}
		}
	}
	return errNotFound
}

// assistantPage is what the portal's assistant page shows: the task asked
// about, a thank-you after a rating, or a rating form sent back with its
// error (rateForm).
type assistantPage struct {
	Task  string
	Rated bool
	Rate  *rateForm
}

// rateForm is a rating as sent, with what was wrong with it.
type rateForm struct {
	ConversationID string
	Helpful        bool
	Comment        string
	Field          string // the field the error is about: "comment", or "" for the rating as a whole
	Error          string
	Action         string
}

// portalRate saves a contact's rating of the assistant's latest answer in
// one of their conversations: the thumbs under each answer of the chat,
// which post here as a plain form (the script sends the same form and
// keeps the chat).
func (h *Handler) portalRate(w http.ResponseWriter, r *http.Request) error {
	in := rateForm{ConversationID: r.FormValue("conversation_id"), Comment: r.FormValue("comment")}
	var err error
	switch r.FormValue("helpful") {
	case "yes":
		in.Helpful = true
	case "no":
	default:
		err = onboardiq.Invalid("helpful", "choose helpful or not helpful")
	}
	if err == nil {
		conv, perr := uuid.Parse(in.ConversationID)
		if perr != nil {
			return errNotFound
		}
		_, err = h.DB.RateAnswer(r.Context(), onboardiq.AnswerRating{ConversationID: conv, Helpful: in.Helpful, Comment: in.Comment})
	}
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		in.Action = "/portal/" + r.PathValue("slug") + "/assistant/feedback"
		v := view{Title: "Ask the assistant", Data: assistantPage{Rate: &in}}
		if onboardiq.ErrorField(err) == "comment" {
			in.Field, in.Error = "comment", onboardiq.ErrorMessage(err)
		} else {
			v.Error = errText(err)
		}
		in.Comment = strings.TrimSpace(in.Comment)
		return h.render(w, r, http.StatusUnprocessableEntity, "portal_assistant.html", v)
	}
	http.Redirect(w, r, "/portal/"+r.PathValue("slug")+"/assistant?rated=1", http.StatusSeeOther)
	return nil
}
