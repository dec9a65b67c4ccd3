package web

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/markdown"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/sse"
)

type portalProject struct {
	Project *onboardiq.Project
	Next    []*onboardiq.Task // the project's next open tasks, in plan order
}

// portalTask is a task of "Your tasks": with its project's name, and how
// late it is.
type portalTask struct {
	*onboardiq.Task
	Project  string
	DaysLate int // 0: not overdue
}

type portalHomeData struct {
	Mine     []portalTask
	Projects []portalProject
	CSM      *postgres.SupportContact
	Surveys  *portalSurveys // the contact's open surveys (surveys.go)
}

// portalHome shows the contact's own tasks first, overdue ones first, then
// their company's projects, and who their support member is.
func (h *Handler) portalHome(w http.ResponseWriter, r *http.Request) error {
	return h.portalHomePage(w, r, http.StatusOK, nil)
}

// portalHomePage renders the portal home with status; survey, when set,
// is the survey card's form as it was sent and refused.
func (h *Handler) portalHomePage(w http.ResponseWriter, r *http.Request, status int, survey *portalSurveys) error {
	ctx := r.Context()
	now := time.Now()
	home, err := h.DB.LoadPortalHome(ctx, now)
	if err != nil {
		return err
	}
	d := portalHomeData{Projects: make([]portalProject, len(home.Projects)), CSM: home.CSM}
	for i, pr := range home.Projects {
		d.Projects[i] = portalProject{Project: pr, Next: home.Next[pr.ID]}
	}
	for _, t := range home.Mine {
		d.Mine = append(d.Mine, portalTask{Task: t, Project: home.Names[t.ProjectID], DaysLate: daysLate(t, now)})
	}
	d.Surveys = newPortalSurveys(r, home.Surveys, survey)
	return h.render(w, r, status, "portal_home.html", view{Title: "Your onboarding", Brand: home.Brand, Data: d})
}

// daysLate is how many days (begun) an open task is past its due date: 0
// when it is not overdue.
func daysLate(t *onboardiq.Task, now time.Time) int {
	if t.DueAt == nil || !now.After(*t.DueAt) || t.Status == onboardiq.StatusCompleted || t.Status == onboardiq.StatusCancelled {
		return 0
	}
	return int(math.Ceil(now.Sub(*t.DueAt).Hours() / 24))
}

// portalPhase is a phase of a project's plan, as the portal shows it.
type portalPhase struct {
	Name  string
	Tasks []*onboardiq.Task
}

type portalProjectData struct {
	Project  *onboardiq.Project
	Phases   []portalPhase
	Names    map[string]string
	Comments map[uuid.UUID][]*onboardiq.Comment
	Late     map[string]int // days late, by task id: the overdue ones
	// Mentions is the JSON of whom the comment boxes suggest mentioning
	// (portalMentions).
	Mentions string
}

func (h *Handler) portalProject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pg, err := h.DB.LoadPortalProjectPage(r.Context(), id)
	if err != nil {
		return err
	}
	pr := pg.Project
	d := portalProjectData{Project: pr, Names: map[string]string{}, Comments: pg.Comments, Late: map[string]int{}}
	if d.Mentions, err = portalMentions(pg.Mentionable, onboardiq.PrincipalFromContext(r.Context()).UserID); err != nil {
		return err
	}
	for id, name := range pg.Contacts {
		d.Names[id.String()] = name
	}
	// A project on hold or cancelled asks nothing now: nothing of it is late.
	paused := pr.Status == onboardiq.StatusOnHold || pr.Status == onboardiq.StatusCancelled
	now := time.Now()
	for _, t := range pg.Tasks {
		if n := daysLate(t, now); n > 0 && !paused {
			d.Late[t.ID.String()] = n
		}
		if len(d.Phases) == 0 || d.Phases[len(d.Phases)-1].Name != t.Phase {
			d.Phases = append(d.Phases, portalPhase{Name: t.Phase})
		}
		d.Phases[len(d.Phases)-1].Tasks = append(d.Phases[len(d.Phases)-1].Tasks, t)
	}
	return h.render(w, r, http.StatusOK, "portal_project.html", view{Title: pr.Name, Brand: pg.Brand, Data: d})
}

// portalTaskStatus changes a task's status from the portal: done, blocked
// (with what blocks it), or reopened.
func (h *Handler) portalTaskStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	status := onboardiq.Status(r.FormValue("status"))
	patch := onboardiq.TaskPatch{Status: onboardiq.Set(status)}
	if reason := strings.TrimSpace(r.FormValue("blocked_reason")); reason != "" && status == onboardiq.StatusBlocked {
		patch.BlockedReason = onboardiq.Set(reason)
	}
	t, err := h.DB.UpdateTask(r.Context(), id, patch)
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/portal/%s/projects/%s#task-%s", r.PathValue("slug"), t.ProjectID, t.ID), http.StatusSeeOther)
	return nil
}

// portalTask is where a link to a task leads a contact (the assistant's
// task citations): the task on its project's page. A task they may not
// see is not found, as the store says.
func (h *Handler) portalTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := h.DB.GetTask(r.Context(), id)
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
	return h.render(w, r, http.StatusOK, "portal_assistant.html", view{Title: "Ask the assistant",
		Data: assistantPage{Task: r.URL.Query().Get("task"), Rated: r.URL.Query().Get("rated") == "1"}})
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
