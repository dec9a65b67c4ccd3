package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

type articleOutput struct{ Body *onboardiq.Article }

type articlePage struct {
	Body onboardiq.Page[*onboardiq.Article]
}

type createArticleInput struct {
	Body struct {
		Title      string   `json:"title" minLength:"1" maxLength:"100"`
		Content    string   `json:"content,omitempty" maxLength:"100000" doc:"Markdown."`
		Visibility string   `json:"visibility" enum:"public,internal" doc:"public: customers see it too; internal: staff only."`
		Tags       []string `json:"tags,omitempty" maxItems:"20"`
	}
}

type updateArticleInput struct {
	IDParam
	Body struct {
		Title      Nullable[string]   `json:"title,omitempty" minLength:"1" maxLength:"100"`
		Content    Nullable[string]   `json:"content,omitempty" maxLength:"100000"`
		Visibility Nullable[string]   `json:"visibility,omitempty" enum:"public,internal"`
		Tags       Nullable[[]string] `json:"tags,omitempty" maxItems:"20"`
	}
}

type listArticlesInput struct {
	ListParams
	Tag        string `query:"tag" maxLength:"50"`
	Visibility string `query:"visibility" enum:"public,internal"`
}

type searchInput struct {
	Q     string `query:"q" required:"true" minLength:"1" maxLength:"500" doc:"What to look for; words, \"quoted phrases\", -excluded."`
	Limit int    `query:"limit" minimum:"1" maximum:"50" default:"10"`
	Mode  string `query:"mode" enum:"hybrid,semantic,keyword" default:"hybrid"`
}

type searchOutput struct {
	Body struct {
		Mode  string                 `json:"mode"`
		Model string                 `json:"model" doc:"The embedding model the semantic half used."`
		Hits  []onboardiq.ArticleHit `json:"hits"`
	}
}

func (h *handlers) registerKB(api huma.API) {
	tags := []string{"Knowledge base"}
	huma.Register(api, huma.Operation{OperationID: "create-article", Method: http.MethodPost, Path: "/kb/articles",
		Summary: "Write an article", Description: "Admins and CSMs. Its embedding is computed in the background.", Tags: tags, Security: bearer,
		DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *createArticleInput) (*articleOutput, error) {
			a, err := h.DB.CreateArticle(ctx, onboardiq.NewArticle{Title: in.Body.Title, Content: in.Body.Content,
				Visibility: onboardiq.Visibility(in.Body.Visibility), Tags: in.Body.Tags})
			return &articleOutput{a}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "list-articles", Method: http.MethodGet, Path: "/kb/articles",
		Summary: "List articles", Description: "By title. Customer contacts see public articles only.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *listArticlesInput) (*articlePage, error) {
			p, err := h.DB.ListArticles(ctx, postgres.ArticleFilter{ListOptions: in.options(), Tag: in.Tag, Visibility: onboardiq.Visibility(in.Visibility)})
			return &articlePage{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-article", Method: http.MethodGet, Path: "/kb/articles/{id}",
		Summary: "Get an article", Tags: tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*articleOutput, error) {
			a, err := h.DB.GetArticle(ctx, in.ID())
			return &articleOutput{a}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "update-article", Method: http.MethodPatch, Path: "/kb/articles/{id}",
		Summary: "Change an article", Tags: tags, Security: bearer},
		func(ctx context.Context, in *updateArticleInput) (*articleOutput, error) {
			vis := in.Body.Visibility.patch()
			a, err := h.DB.UpdateArticle(ctx, in.ID(), onboardiq.ArticlePatch{Title: in.Body.Title.patch(), Content: in.Body.Content.patch(),
				Visibility: onboardiq.Patch[onboardiq.Visibility]{Set: vis.Set, Null: vis.Null, Value: onboardiq.Visibility(vis.Value)},
				Tags:       in.Body.Tags.patch()})
			return &articleOutput{a}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "delete-article", Method: http.MethodDelete, Path: "/kb/articles/{id}",
		Summary: "Delete an article", Tags: tags, Security: bearer, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *IDParam) (*struct{}, error) {
			return nil, h.problem(ctx, h.DB.DeleteArticle(ctx, in.ID()))
		})
	huma.Register(api, huma.Operation{OperationID: "search-kb", Method: http.MethodGet, Path: "/kb/search",
		Summary: "Search the knowledge base",
		Description: "hybrid (default) fuses keyword (BM25) and semantic (embedding) search by their standard scores; keyword and semantic run one of them. " +
			"Only the articles you may see are searched. A query with no searchable words (only stop words or punctuation) finds nothing: " +
			"200 with an empty `hits` list.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *searchInput) (*searchOutput, error) {
			q, err := onboardiq.TrimQuery(in.Q)
			if err != nil {
				return nil, h.queryProblem(ctx, err)
			}
			s := postgres.SearchParams{Q: q, Limit: in.Limit, Model: h.Embedder.Model()}
			s.Vector, s.Mode, err = ai.SearchVector(ctx, h.Logger, h.Embedder, q, onboardiq.SearchMode(in.Mode))
			if err != nil {
				return nil, h.queryProblem(ctx, err)
			}
			hits, err := h.DB.SearchArticles(ctx, s)
			out := &searchOutput{}
			out.Body.Mode, out.Body.Model, out.Body.Hits = string(s.Mode), s.Model, hits
			return out, h.queryProblem(ctx, err)
		})
}
