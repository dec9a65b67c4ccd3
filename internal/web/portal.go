package web

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/markdown"
	"github.com/onboardiq/onboardiq/internal/sse"
)

type portalProject struct {
	Project *onboardiq.Project
	Next    []*onboardiq.Task // the project's next open tasks, in plan order
}

func (h *Handler) portalHome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	home, err := h.DB.LoadPortalHome(ctx)
	if err != nil {
		return err
	}
	out := make([]portalProject, len(home.Projects))
	for i, pr := range home.Projects {
		out[i] = portalProject{Project: pr, Next: home.Next[pr.ID]}
	}
	return h.render(w, r, http.StatusOK, "portal_home.html", view{Title: onboardiq.PrincipalFromContext(ctx).TenantName, Data: out})
}

type portalProjectData struct {
	Project  *onboardiq.Project
	Phases   []phase
	Names    map[string]string
	Comments map[uuid.UUID][]*onboardiq.Comment
}

func (h *Handler) portalProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pg, err := h.DB.LoadProjectPage(r.Context(), id)
	if err != nil {
		return err
	}
	pr := pg.Project
	d := portalProjectData{Project: pr, Phases: phases(pg.Tasks), Names: map[string]string{}, Comments: pg.Comments}
	for id, name := range pg.Contacts {
		d.Names[id.String()] = name
	}
	return h.render(w, r, http.StatusOK, "portal_project.html", view{Title: pr.Name, Data: d})
}

func (h *Handler) portalTaskStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := h.DB.UpdateTask(r.Context(), id, statusPatch(r))
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/portal/%s/projects/%s#task-%s", r.PathValue("slug"), t.ProjectID, t.ID), http.StatusSeeOther)
	return nil
}

func (h *Handler) portalComment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := h.DB.AddComment(ctx, id, r.FormValue("body")); err != nil {
		return err
	}
	t, err := h.DB.GetTask(ctx, id)
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/portal/%s/projects/%s#task-%s", r.PathValue("slug"), t.ProjectID, t.ID), http.StatusSeeOther)
	return nil
}

func (h *Handler) portalKB(w http.ResponseWriter, r *http.Request) error { return h.kb(w, r) }

func (h *Handler) portalArticle(w http.ResponseWriter, r *http.Request) error { return h.article(w, r) }

func (h *Handler) portalAssistant(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, "portal_assistant.html", view{Title: "Ask the assistant", Data: r.URL.Query().Get("task")})
}

// portalAsk answers a question as server-sent events, for the chat page's
// script: delta events with text, then done with the citations. Its errors
// are events of the stream, which has begun: it returns none.
func (h *Handler) portalAsk(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := assistant.Question{Text: r.FormValue("question")}
	if id, err := uuid.Parse(r.FormValue("conversation_id")); err == nil {
		q.ConversationID = &id
	}
	if id, err := uuid.Parse(r.FormValue("task_id")); err == nil {
		q.TaskID = &id
	}
	prep, err := h.Assistant.Prepare(ctx, q)
	s := sse.New(w)
	send := s.Send
	if err != nil {
		if onboardiq.ErrorCode(err) == onboardiq.ELIMIT {
			setRetryAfter(w, err)
			w.WriteHeader(http.StatusTooManyRequests)
		}
		_ = send("error", map[string]string{"detail": errText(err)})
		return nil
	}
	ans, err := h.Assistant.Run(ctx, prep, func(d string) error { return send("delta", map[string]string{"text": d}) })
	if err != nil {
		h.Logger.ErrorContext(ctx, "assistant", "err", err)
		_ = send("error", map[string]string{"detail": "The assistant could not answer; try again."})
		return nil
	}
	// The page shows the answer as it streams, as text, then as HTML: the
	// Markdown rendered here, as every text of the pages is.
	_ = send("done", renderedAnswer{Answer: ans, HTML: markdown.Render(ans.Answer)})
	return nil
}

// renderedAnswer is the chat's done event: the API's answer, and its text
// rendered.
type renderedAnswer struct {
	*assistant.Answer
	HTML template.HTML `json:"html"`
}
