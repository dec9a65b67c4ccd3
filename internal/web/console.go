package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// errText is an error as a sentence for a page, naming the field.
func errText(err error) string {
	msg := onboardiq.ErrorMessage(err)
	if f := onboardiq.ErrorField(err); f != "" {
		return strings.ReplaceAll(f, "_", " ") + ": " + msg
	}
	return msg
}

type dashboardData struct {
	*postgres.Dashboard
	MaxWeek int
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	d, err := h.DB.LoadDashboard(r.Context(), time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	max := 1
	for _, wk := range d.Weekly {
		if wk.Count > max {
			max = wk.Count
		}
	}
	h.render(w, r, http.StatusOK, "dashboard.html", view{Title: "Dashboard", Data: dashboardData{d, max}})
}

func (h *Handler) customers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	p, err := h.DB.ListCustomers(r.Context(), postgres.CustomerFilter{ListOptions: onboardiq.ListOptions{Limit: 200}, Q: q})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "customers.html", view{Title: "Customers", Data: map[string]any{"Q": q, "Customers": p.Items}})
}

type customerData struct {
	Customer *onboardiq.Customer
	CSM      string
	Contacts []*postgres.UserRecord
	Projects []*onboardiq.Project
	Activity []*onboardiq.Event
	Summary  *aiReport
}

type aiReport struct {
	Text      string
	Facts     any
	Citations any
}

func (h *Handler) loadCustomer(r *http.Request) (*customerData, error) {
	id, ok := pathID(r)
	if !ok {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "not found")
	}
	ctx := r.Context()
	c, err := h.DB.GetCustomer(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &customerData{Customer: c}
	if c.SupportMemberID != nil {
		if u, err := h.DB.GetUser(ctx, *c.SupportMemberID); err == nil {
			d.CSM = u.Name
		}
	}
	users, err := h.DB.ListUsers(ctx, postgres.UserFilter{ListOptions: onboardiq.ListOptions{Limit: 200}, CustomerID: &id})
	if err != nil {
		return nil, err
	}
	projects, err := h.DB.ListProjects(ctx, postgres.ProjectFilter{ListOptions: onboardiq.ListOptions{Limit: 200}, CustomerID: &id})
	if err != nil {
		return nil, err
	}
	activity, err := h.DB.ListActivity(ctx, postgres.ActivityFilter{ListOptions: onboardiq.ListOptions{Limit: 30}, CustomerID: &id})
	if err != nil {
		return nil, err
	}
	d.Contacts, d.Projects, d.Activity = users.Items, projects.Items, activity.Items
	return d, nil
}

func (h *Handler) customer(w http.ResponseWriter, r *http.Request) {
	d, err := h.loadCustomer(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "customer.html", view{Title: d.Customer.Name, Data: d})
}

func (h *Handler) summary(w http.ResponseWriter, r *http.Request) {
	d, err := h.loadCustomer(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := h.Assistant.Summary(r.Context(), d.Customer.ID, time.Now().AddDate(0, 0, -30), time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Summary = &aiReport{Text: rep.Text, Facts: rep.Facts}
	h.render(w, r, http.StatusOK, "customer.html", view{Title: d.Customer.Name, Data: d})
}

type phase struct {
	Name  string
	Tasks []*onboardiq.Task
}

type projectData struct {
	Project  *onboardiq.Project
	Customer string
	Phases   []phase
	Similar  []postgres.SimilarProject
	Activity []*onboardiq.Event
	Assignee map[string]string
}

func (h *Handler) project(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	ctx := r.Context()
	p, err := h.DB.GetProject(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := &projectData{Project: p, Assignee: map[string]string{}}
	if c, err := h.DB.GetCustomer(ctx, p.CustomerID); err == nil {
		d.Customer = c.Name
	}
	tasks, err := h.DB.ListTasks(ctx, id, postgres.TaskFilter{ListOptions: onboardiq.ListOptions{Limit: 200}})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Phases = phases(tasks.Items)
	users, _ := h.DB.ListUsers(ctx, postgres.UserFilter{ListOptions: onboardiq.ListOptions{Limit: 200}})
	for _, u := range users.Items {
		d.Assignee[u.ID.String()] = u.Name
	}
	if s, err := h.DB.SimilarProjects(ctx, id, 3); err == nil {
		d.Similar = s.Items
	}
	if a, err := h.DB.ListActivity(ctx, postgres.ActivityFilter{ListOptions: onboardiq.ListOptions{Limit: 20}, ProjectID: &id}); err == nil {
		d.Activity = a.Items
	}
	h.render(w, r, http.StatusOK, "project.html", view{Title: p.Name, Data: d})
}

// phases groups tasks, already in plan order, by phase.
func phases(tasks []*onboardiq.Task) []phase {
	var out []phase
	for _, t := range tasks {
		if len(out) == 0 || out[len(out)-1].Name != t.Phase {
			out = append(out, phase{Name: t.Phase})
		}
		out[len(out)-1].Tasks = append(out[len(out)-1].Tasks, t)
	}
	return out
}

// statusPatch reads a status form: status, and a reason when blocked.
func statusPatch(r *http.Request) onboardiq.TaskPatch {
	patch := onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.Status(r.FormValue("status")))}
	if reason := strings.TrimSpace(r.FormValue("blocked_reason")); reason != "" {
		patch.BlockedReason = onboardiq.Set(reason)
	}
	return patch
}

func (h *Handler) taskStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	t, err := h.DB.UpdateTask(r.Context(), id, statusPatch(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	back := r.FormValue("back")
	if back != "task" {
		http.Redirect(w, r, "/app/projects/"+t.ProjectID.String()+"#task-"+t.ID.String(), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/app/tasks/"+t.ID.String(), http.StatusSeeOther)
}

type taskData struct {
	Task         *onboardiq.Task
	Project      *onboardiq.Project
	Comments     []*onboardiq.Comment
	Similar      []postgres.SimilarTask
	Troubleshoot *aiReport
}

func (h *Handler) loadTask(r *http.Request) (*taskData, error) {
	id, ok := pathID(r)
	if !ok {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "not found")
	}
	ctx := r.Context()
	t, err := h.DB.GetTask(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &taskData{Task: t}
	if d.Project, err = h.DB.GetProject(ctx, t.ProjectID); err != nil {
		return nil, err
	}
	cs, err := h.DB.ListComments(ctx, id, onboardiq.ListOptions{Limit: 200})
	if err != nil {
		return nil, err
	}
	d.Comments = cs.Items
	if s, err := h.DB.SimilarTasks(ctx, id, 3); err == nil {
		d.Similar = s.Items
	}
	return d, nil
}

func (h *Handler) task(w http.ResponseWriter, r *http.Request) {
	d, err := h.loadTask(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "task.html", view{Title: d.Task.Description, Data: d})
}

func (h *Handler) comment(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	if _, err := h.DB.AddComment(r.Context(), id, r.FormValue("body")); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/app/tasks/"+id.String()+"#comments", http.StatusSeeOther)
}

func (h *Handler) troubleshoot(w http.ResponseWriter, r *http.Request) {
	d, err := h.loadTask(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := h.Assistant.Troubleshoot(r.Context(), d.Task.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Troubleshoot = &aiReport{Text: rep.Text, Citations: rep.Citations}
	h.render(w, r, http.StatusOK, "task.html", view{Title: d.Task.Description, Data: d})
}

func (h *Handler) kb(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	data := map[string]any{"Q": q}
	if q != "" {
		hits, err := h.search(r, q)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data["Hits"] = hits
	} else {
		p, err := h.DB.ListArticles(r.Context(), postgres.ArticleFilter{ListOptions: onboardiq.ListOptions{Limit: 200}})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data["Articles"] = p.Items
	}
	page := "kb.html"
	if onboardiq.PrincipalFromContext(r.Context()).IsCustomer() {
		page = "portal_kb.html"
	}
	h.render(w, r, http.StatusOK, page, view{Title: "Knowledge base", Data: data})
}

// search runs a hybrid search as the caller.
func (h *Handler) search(r *http.Request, q string) ([]onboardiq.ArticleHit, error) {
	q, err := onboardiq.TrimQuery(q)
	if err != nil {
		return nil, err
	}
	s := postgres.SearchParams{Q: q, Limit: 10, Model: h.Assistant.Embedder.Model()}
	s.Vector, s.Mode, err = ai.SearchVector(r.Context(), h.Logger, h.Assistant.Embedder, q, onboardiq.SearchHybrid)
	if err != nil {
		return nil, err
	}
	return h.DB.Search(r.Context(), s)
}

func (h *Handler) article(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	a, err := h.DB.GetArticle(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page := "article.html"
	if onboardiq.PrincipalFromContext(r.Context()).IsCustomer() {
		page = "portal_article.html"
	}
	h.render(w, r, http.StatusOK, page, view{Title: a.Title, Data: a})
}

func (h *Handler) articleNew(w http.ResponseWriter, r *http.Request) {
	if err := onboardiq.PrincipalFromContext(r.Context()).Check(onboardiq.EditArticles); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "article_edit.html", view{Title: "New article", Data: &onboardiq.Article{Visibility: onboardiq.VisibilityInternal}})
}

func articleForm(r *http.Request) onboardiq.NewArticle {
	var tags []string
	for _, t := range strings.Split(r.FormValue("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return onboardiq.NewArticle{Title: r.FormValue("title"), Content: r.FormValue("content"),
		Visibility: onboardiq.Visibility(r.FormValue("visibility")), Tags: tags}
}

func (h *Handler) articleCreate(w http.ResponseWriter, r *http.Request) {
	in := articleForm(r)
	a, err := h.DB.CreateArticleAs(r.Context(), in)
	if err != nil && !aboutInput(err) {
		h.fail(w, r, err)
		return
	}
	if err != nil {
		h.render(w, r, http.StatusUnprocessableEntity, "article_edit.html", view{Title: "New article", Error: errText(err),
			Data: &onboardiq.Article{Title: in.Title, Content: in.Content, Visibility: in.Visibility, Tags: in.Tags}})
		return
	}
	http.Redirect(w, r, "/app/kb/"+a.ID.String(), http.StatusSeeOther)
}

func (h *Handler) articleEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	if err := onboardiq.PrincipalFromContext(r.Context()).Check(onboardiq.EditArticles); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.DB.GetArticle(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "article_edit.html", view{Title: "Edit " + a.Title, Data: a})
}

func (h *Handler) articleUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	in := articleForm(r)
	_, err := h.DB.UpdateArticle(r.Context(), id, onboardiq.ArticlePatch{Title: onboardiq.Set(in.Title), Content: onboardiq.Set(in.Content),
		Visibility: onboardiq.Set(in.Visibility), Tags: onboardiq.Set(in.Tags)})
	if err != nil && !aboutInput(err) {
		h.fail(w, r, err)
		return
	}
	if err != nil {
		h.render(w, r, http.StatusUnprocessableEntity, "article_edit.html", view{Title: "Edit article", Error: errText(err),
			Data: &onboardiq.Article{ID: id, Title: in.Title, Content: in.Content, Visibility: in.Visibility, Tags: in.Tags}})
		return
	}
	http.Redirect(w, r, "/app/kb/"+id.String(), http.StatusSeeOther)
}

func (h *Handler) notifications(w http.ResponseWriter, r *http.Request) {
	p, err := h.DB.ListNotifications(r.Context(), false, onboardiq.ListOptions{Limit: 100})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "notifications.html", view{Title: "Notifications", Data: p.Items})
}

func (h *Handler) readAll(w http.ResponseWriter, r *http.Request) {
	if _, err := h.DB.MarkRead(r.Context(), nil); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/app/notifications", http.StatusSeeOther)
}

type settingsData struct {
	Users       []*postgres.UserRecord
	Templates   []*onboardiq.Template
	Webhooks    []*postgres.WebhookEndpoint
	Deliveries  []*postgres.Delivery
	AI          *postgres.AIStatus
	Embedder    string
	LLM         string
	Preferences []postgres.Preference
	Settings    postgres.NotificationSettings
}

// settings reads everything the page shows, each part only when the
// caller may see it; any failure is the error page, never half a page.
func (h *Handler) settings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := onboardiq.PrincipalFromContext(ctx)
	d := &settingsData{Embedder: h.Assistant.Embedder.Model(), LLM: h.Assistant.Chat.Provider() + " / " + h.Assistant.Chat.Model()}
	var users postgres.Page[*postgres.UserRecord]
	err := func() (err error) {
		if d.Preferences, err = h.DB.GetPreferences(ctx); err != nil {
			return err
		}
		if d.Settings, err = h.DB.GetNotificationSettings(ctx); err != nil {
			return err
		}
		if users, err = h.DB.ListUsers(ctx, postgres.UserFilter{ListOptions: onboardiq.ListOptions{Limit: 200}}); err != nil {
			return err
		}
		d.Users = users.Items
		if d.Templates, err = h.DB.ListTemplates(ctx); err != nil {
			return err
		}
		if p.Can(onboardiq.ManageWebhooks) {
			if d.Webhooks, err = h.DB.ListWebhooks(ctx); err != nil {
				return err
			}
			log, err := h.DB.ListDeliveries(ctx, postgres.DeliveryFilter{ListOptions: onboardiq.ListOptions{Limit: 20}})
			if err != nil {
				return err
			}
			d.Deliveries = log.Items
		}
		if p.Can(onboardiq.ManageAI) {
			d.AI, err = h.DB.AIStatusAs(ctx, d.Embedder)
		}
		return err
	}()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "settings.html", view{Title: "Settings", Data: d})
}

func (h *Handler) savePreferences(w http.ResponseWriter, r *http.Request) {
	var prefs []postgres.Preference
	for _, k := range postgres.NotificationKinds {
		prefs = append(prefs, postgres.Preference{Kind: k, InApp: r.FormValue(k+".in_app") == "on", Email: r.FormValue(k + ".email")})
	}
	if _, err := h.DB.SetPreferences(r.Context(), prefs); err != nil {
		h.fail(w, r, err)
		return
	}
	h.settingsFlash(w, r, "Preferences saved.")
}
