package web

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/markdown"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

func (h *Handler) kb(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	data := map[string]any{"Q": q}
	if q != "" {
		hits, err := h.search(r, q)
		if err != nil {
			return err
		}
		data["Hits"] = hits
	} else {
		p, err := h.DB.ListArticles(r.Context(), postgres.ArticleFilter{ListOptions: onboardiq.ListOptions{Limit: 200}})
		if err != nil {
			return err
		}
		data["Articles"] = p.Items
	}
	page := "kb.html"
	if onboardiq.PrincipalFromContext(r.Context()).IsCustomer() {
		page = "portal_kb.html"
	}
	return h.render(w, r, http.StatusOK, page, view{Title: "Knowledge base", Data: data})
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
	return h.DB.SearchArticles(r.Context(), s)
}

func (h *Handler) article(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := h.DB.GetArticle(r.Context(), id)
	if err != nil {
		return err
	}
	page := "article.html"
	if onboardiq.PrincipalFromContext(r.Context()).IsCustomer() {
		page = "portal_article.html"
	}
	return h.render(w, r, http.StatusOK, page, view{Title: a.Title, Data: a})
}

// articleEditor is what the editor shows: the article as typed, and its
// preview, rendered as the article's page will show it.
type articleEditor struct {
	*onboardiq.Article
	Preview template.HTML
}

func editor(a *onboardiq.Article) articleEditor {
	return articleEditor{Article: a, Preview: markdown.Render(a.Content)}
}

func (h *Handler) articleNew(w http.ResponseWriter, r *http.Request) error {
	if err := onboardiq.PrincipalFromContext(r.Context()).Check(onboardiq.EditArticles); err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "article_edit.html", view{Title: "New article", Data: editor(&onboardiq.Article{Visibility: onboardiq.VisibilityInternal})})
}

// articlePreview answers the editor's script with the posted content
// rendered, an HTML fragment, as the text is typed.
func (h *Handler) articlePreview(w http.ResponseWriter, r *http.Request) error {
	if err := onboardiq.PrincipalFromContext(r.Context()).Check(onboardiq.EditArticles); err != nil {
		return err
	}
	htmlHeaders(w.Header())
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(markdown.Render(r.FormValue("content"))))
	return nil
}

// previewArticle shows the editor again with what was typed and its
// preview, saving nothing: the editor's Preview button, which works
// without script.
func (h *Handler) previewArticle(w http.ResponseWriter, r *http.Request, a *onboardiq.Article, title string) error {
	if err := onboardiq.PrincipalFromContext(r.Context()).Check(onboardiq.EditArticles); err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "article_edit.html", view{Title: title, Data: editor(a)})
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

func (h *Handler) articleCreate(w http.ResponseWriter, r *http.Request) error {
	in := articleForm(r)
	if r.FormValue("preview") != "" {
		return h.previewArticle(w, r, &onboardiq.Article{Title: in.Title, Content: in.Content, Visibility: in.Visibility, Tags: in.Tags}, "New article")
	}
	a, err := h.DB.CreateArticle(r.Context(), in)
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		return h.render(w, r, http.StatusUnprocessableEntity, "article_edit.html", view{Title: "New article", Error: errText(err),
			Data: editor(&onboardiq.Article{Title: in.Title, Content: in.Content, Visibility: in.Visibility, Tags: in.Tags})})
	}
	http.Redirect(w, r, "/app/kb/"+a.ID.String(), http.StatusSeeOther)
	return nil
}

func (h *Handler) articleEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := onboardiq.PrincipalFromContext(r.Context()).Check(onboardiq.EditArticles); err != nil {
		return err
	}
	a, err := h.DB.GetArticle(r.Context(), id)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "article_edit.html", view{Title: "Edit " + a.Title, Data: editor(a)})
}

func (h *Handler) articleUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in := articleForm(r)
	if r.FormValue("preview") != "" {
		return h.previewArticle(w, r, &onboardiq.Article{ID: id, Title: in.Title, Content: in.Content, Visibility: in.Visibility, Tags: in.Tags}, "Edit article")
	}
	_, err = h.DB.UpdateArticle(r.Context(), id, onboardiq.ArticlePatch{Title: onboardiq.Set(in.Title), Content: onboardiq.Set(in.Content),
		Visibility: onboardiq.Set(in.Visibility), Tags: onboardiq.Set(in.Tags)})
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		return h.render(w, r, http.StatusUnprocessableEntity, "article_edit.html", view{Title: "Edit article", Error: errText(err),
			Data: editor(&onboardiq.Article{ID: id, Title: in.Title, Content: in.Content, Visibility: in.Visibility, Tags: in.Tags})})
	}
	http.Redirect(w, r, "/app/kb/"+id.String(), http.StatusSeeOther)
	return nil
}
