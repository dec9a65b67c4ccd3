package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/demo"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// demoEnv is the demo workspace, embedded, behind a server, with a second
// tenant holding a canary article, and a canary in an internal article.
type demoEnv struct {
	*env
	logins map[string]string // email → token
}

const (
	canaryOtherTenant = "zebracanary"
	canaryInternal    = "okapicanary"
)

func newDemoEnv(t *testing.T) *demoEnv {
	t.Helper()
	ctx := context.Background()
	d := testdb.New(t)
	res, err := demo.Seed(ctx, d.App, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	other, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Other", Slug: "other", AdminEmail: "a@other.test"})
	if err != nil {
		t.Fatal(err)
	}
	article := func(tenant uuid.UUID, a onboardiq.NewArticle) {
		t.Helper()
		err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			_, err := tx.CreateArticle(ctx, a)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	article(other.Tenant.ID, onboardiq.NewArticle{Title: "Set up SSO the other way", Visibility: "public",
		Content: "Single sign-on with SAML: the " + canaryOtherTenant + " step. How do I set up SSO? Use the " + canaryOtherTenant + " certificate."})
	article(res.TenantID, onboardiq.NewArticle{Title: "Internal SSO escalation notes", Visibility: "internal",
		Content: "When SSO set-up fails, page the " + canaryInternal + " on-call. How do I set up SSO for a stuck customer: " + canaryInternal + "."})
	if _, err := jobs.Reembed(ctx, d.App, ai.Local{}, []uuid.UUID{res.TenantID, other.Tenant.ID}, nil); err != nil {
		t.Fatal(err)
	}
	e := &env{db: d, tokens: map[string]string{}, acme: res.TenantID, bolt: other.Tenant.ID}
	logins := map[string]string{}
	for _, l := range res.Logins {
		logins[l.Email] = l.Token
	}
	e.tokens["admin"] = logins["alex.morgan@acme.example"]
	e.tokens["csm"] = logins["priya.shah@acme.example"]
	e.tokens["contact"] = logins["hannah.becker@globex.example"]
	e.tokens["other_tenant"] = other.Token
	e.srv = httptest.NewServer(server.New(server.Options{DB: d.App, Logger: slog.New(slog.DiscardHandler), Version: "test"}))
	t.Cleanup(e.srv.Close)
	return &demoEnv{env: e, logins: logins}
}

type searchResult struct {
	Mode string
	Hits []struct {
		ID           string
		Title        string
		Visibility   string
		Score        float64
		Snippet      string
		KeywordRank  *int `json:"keyword_rank"`
		SemanticRank *int `json:"semantic_rank"`
	}
}

func (e *demoEnv) search(t *testing.T, caller, q, mode string) (searchResult, string) {
	t.Helper()
	st, body := e.do(t, caller, "GET", "/kb/search?limit=10&mode="+mode+"&q="+url.QueryEscape(q), nil)
	return decode[searchResult](t, st, body, http.StatusOK), string(body)
}

func TestSearchFindsTheSSOArticle(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	for _, mode := range []string{"hybrid", "semantic", "keyword"} {
		res, _ := e.search(t, "contact", "how do I set up SSO?", mode)
		// The offline embedder alone is rougher: the article need only be
		// in its top three; hybrid and keyword must rank it first.
		top := 1
		if mode == "semantic" {
			top = 3
		}
		found := false
		for i := 0; i < top && i < len(res.Hits); i++ {
			found = found || strings.Contains(res.Hits[i].Title, "SAML 2.0 single sign-on")
		}
		if !found {
			t.Errorf("%s: hits %+v, want the SAML SSO article in the first %d", mode, res.Hits, top)
			continue
		}
		if mode == "hybrid" && (res.Hits[0].KeywordRank == nil || res.Hits[0].SemanticRank == nil) {
			t.Errorf("hybrid: the top hit should come from both lists: %+v", res.Hits[0])
		}
		for _, h := range res.Hits {
			if h.Visibility != "public" {
				t.Errorf("%s: a contact got an internal article: %s", mode, h.Title)
			}
		}
	}
	res, _ := e.search(t, "contact", "import CSV dates rejected", "keyword")
	if len(res.Hits) == 0 || !strings.Contains(res.Hits[0].Snippet, "«") {
		t.Errorf("keyword snippet should mark the matched words: %+v", res.Hits)
	}
}

// TestCanaries: another tenant's article and an internal article never
// reach a contact's (or another tenant's) search, in any mode; staff of the
// tenant do find the internal one, so the search could have.
func TestCanaries(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	for _, mode := range []string{"hybrid", "semantic", "keyword"} {
		for _, q := range []string{canaryOtherTenant + " sso certificate", canaryInternal + " on-call sso", "how do I set up SSO"} {
			_, body := e.search(t, "contact", q, mode)
			if strings.Contains(body, canaryOtherTenant) || strings.Contains(body, canaryInternal) {
				t.Errorf("contact, %s, %q: a canary leaked: %s", mode, q, body)
			}
			_, body = e.search(t, "admin", q, mode)
			if strings.Contains(body, canaryOtherTenant) {
				t.Errorf("admin, %s, %q: the other tenant's canary leaked: %s", mode, q, body)
			}
		}
	}
	res, _ := e.search(t, "csm", canaryInternal+" on-call", "keyword")
	if len(res.Hits) == 0 || res.Hits[0].Visibility != "internal" {
		t.Errorf("staff should find the internal article: %+v", res.Hits)
	}
	res, _ = e.search(t, "other_tenant", "how do I set up SSO", "hybrid")
	if len(res.Hits) != 1 {
		t.Errorf("the other tenant has one article; got %d hits", len(res.Hits))
	}
}

// TestSmallTenantGetsKResults: a tenant holding 1% of the articles still
// gets limit results from semantic search.
func TestSmallTenantGetsKResults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t) // acme has no articles; bolt none either
	load := func(tenant uuid.UUID, n int) {
		rows := make([][]any, n)
		passages := make([][]any, n)
		vecs, _ := ai.Local{}.Embed(ctx, func() []string {
			texts := make([]string, n)
			for i := range texts {
				texts[i] = "Troubleshooting note " + uuid.NewString()
			}
			return texts
		}())
		for i := range rows {
			id := uuid.New()
			rows[i] = []any{tenant, id, "Note " + uuid.NewString()[:8], "public", ai.LocalModel}
			passages[i] = []any{tenant, id, 0, "", true, pgvec(vecs[i]), ai.LocalModel}
		}
		// Semantic search ranks the articles' passages: one each here.
		err := e.db.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			if _, err := tx.BulkInsert(ctx, "knowledge_base", []string{"tenant_id", "article_id", "title", "visibility", "embedding_model"}, rowsSource(rows)); err != nil {
				return err
			}
			_, err := tx.BulkInsert(ctx, "kb_passages", []string{"tenant_id", "article_id", "ordinal", "body", "public", "vector_embedding", "embedding_model"}, rowsSource(passages))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	load(e.acme, 20)
	load(e.bolt, 1980)
	st, body := e.do(t, "admin", "GET", "/kb/search?mode=semantic&limit=10&q=troubleshooting", nil)
	res := decode[searchResult](t, st, body, 200)
	if len(res.Hits) != 10 {
		t.Errorf("%d hits, want 10", len(res.Hits))
	}
}

func pgvec(v []float32) any { return pgvector.NewVector(v) }

func rowsSource(rows [][]any) pgx.CopyFromSource { return pgx.CopyFromRows(rows) }

func TestSimilarProjectsAndTasks(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	id := func(path string) string {
		t.Helper()
		st, body := e.do(t, "admin", "GET", path, nil)
		v := decode[struct{ Items []struct{ ID string } }](t, st, body, 200)
		if len(v.Items) == 0 {
			t.Fatalf("%s: nothing", path)
		}
		return v.Items[0].ID
	}
	initech := id("/projects?q=initech")
	st, body := e.do(t, "csm", "GET", "/projects/"+initech+"/similar", nil)
	projects := decode[struct {
		Ready bool
		Items []struct {
			Name         string
			DurationDays float64                        `json:"duration_days"`
			LateTasks    []struct{ Description string } `json:"late_tasks"`
		}
	}](t, st, body, 200)
	if !projects.Ready || len(projects.Items) != 1 || projects.Items[0].Name != "Globex EU region expansion" ||
		projects.Items[0].DurationDays < 50 || len(projects.Items[0].LateTasks) == 0 {
		t.Errorf("similar projects: %s", body)
	}

	// A comment on the completed project's import task shows with it.
	eu := id("/projects?q=expansion")
	st, body = e.do(t, "admin", "GET", "/projects/"+eu+"/tasks?limit=200", nil)
	var euImport string
	for _, task := range decode[struct{ Items []taskJSON }](t, st, body, 200).Items {
		if task.Description == "Import your historical data" {
			euImport = task.ID
		}
	}
	if st, body := e.do(t, "csm", "POST", "/tasks/"+euImport+"/comments", map[string]any{"body": "Fixed by exporting dates as ISO 8601."}); st != 201 {
		t.Fatalf("comment: %d %s", st, body)
	}
	blocked := id("/projects/" + initech + "/tasks?status=blocked")
	st, body = e.do(t, "csm", "GET", "/tasks/"+blocked+"/similar?limit=3", nil)
	tasks := decode[struct {
		Items []struct {
			Description string
			ProjectName string `json:"project_name"`
			Status      string
			Comments    []struct{ Body string }
		}
	}](t, st, body, 200)
	found := false
	for _, s := range tasks.Items {
		if s.ProjectName == "Globex EU region expansion" && s.Status == "completed" && len(s.Comments) == 1 &&
			strings.Contains(s.Comments[0].Body, "ISO 8601") {
			found = true
		}
		if s.ProjectName == "Initech Health onboarding" {
			t.Errorf("similar tasks include the task's own project: %+v", s)
		}
	}
	if !found {
		t.Errorf("similar tasks lack the completed import task with its comment: %s", body)
	}
	if st, _ := e.do(t, "contact", "GET", "/tasks/"+blocked+"/similar", nil); st != 404 {
		t.Errorf("a contact of another customer: %d, want 404", st)
	}
}
