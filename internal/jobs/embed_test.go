package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// counting counts the texts it embeds.
type counting struct {
	ai.Local
	calls atomic.Int64
}

func (c *counting) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.calls.Add(int64(len(texts)))
	return c.Local.Embed(ctx, texts)
}

func newTenant(t *testing.T, db *postgres.DB) uuid.UUID {
	t.Helper()
	res, err := db.CreateTenant(context.Background(), onboardiq.NewTenant{Name: "Acme", Slug: "acme", AdminEmail: "a@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	return res.Tenant.ID
}

func embedJobs(t *testing.T, d *testdb.DB, tenant uuid.UUID, entity string) int {
	t.Helper()
	var n int
	err := d.App.Pool.QueryRow(context.Background(), `
SELECT count(*) FROM river_job WHERE kind = 'embed' AND args->>'tenant_id' = $1 AND args->>'entity' = $2`,
		tenant.String(), entity).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEmbeddingIsEnqueuedWithTheChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	tenant := newTenant(t, d.App)
	// A rolled-back change enqueues nothing.
	err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		if _, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: "SSO", Content: "…", Visibility: "public"}); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if n := embedJobs(t, d, tenant, "passage"); n != 0 {
		t.Fatalf("%d jobs after a rollback, want 0", n)
	}
	var id uuid.UUID
	err = d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		id, err = tx.CreateArticle(ctx, onboardiq.NewArticle{Title: "Set up SSO", Content: "## Okta\n\nOpen Settings → Security.\n\n## Entra ID\n\nAdd an enterprise application.", Visibility: "public"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// An article is embedded by its passages, not as a whole.
	if n, whole := embedJobs(t, d, tenant, "passage"), embedJobs(t, d, tenant, "article"); n != 2 || whole != 0 {
		t.Errorf("%d passage jobs and %d article jobs after a commit, want 2 and 0", n, whole)
	}
	var passages []uuid.UUID
	err = d.App.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT passage_id FROM kb_passages WHERE article_id = $1 ORDER BY ordinal`, id)
		passages, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	if err != nil || len(passages) != 2 {
		t.Fatalf("passages %v: %v", passages, err)
	}
	articleModel := func() *string {
		var m *string
		err := d.App.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `SELECT embedding_model FROM knowledge_base WHERE article_id = $1`, id).Scan(&m)
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	e := &counting{}
	args := postgres.EmbedArgs{TenantID: tenant, Entity: "passage", ID: passages[0]}
	if err := jobs.Embed(ctx, d.App, e, args); err != nil {
		t.Fatal(err)
	}
	var model string
	var dims int
	err = d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT embedding_model, vector_dims(vector_embedding) FROM kb_passages WHERE passage_id = $1`, passages[0]).Scan(&model, &dims)
	})
	if err != nil || model != ai.LocalModel || dims != 768 {
		t.Fatalf("stored: model %q, %d dims, %v", model, dims, err)
	}
	if m := articleModel(); m != nil {
		t.Errorf("the article counts as embedded by %q with one of its two passages", *m)
	}
	if err := jobs.Embed(ctx, d.App, e, postgres.EmbedArgs{TenantID: tenant, Entity: "passage", ID: passages[1]}); err != nil {
		t.Fatal(err)
	}
	if m := articleModel(); m == nil || *m != ai.LocalModel {
		t.Errorf("the article's model after all its passages: %v, want %q", m, ai.LocalModel)
	}
	// Unchanged content with the same model: not embedded again.
	if err := jobs.Embed(ctx, d.App, e, args); err != nil {
		t.Fatal(err)
	}
	if n := e.calls.Load(); n != 2 {
		t.Errorf("embedded %d texts, want 2 (the second run should see the first passage current)", n)
	}
	// A deleted item: done, nothing embedded.
	gone := postgres.EmbedArgs{TenantID: tenant, Entity: "task", ID: uuid.New()}
	if err := jobs.Embed(ctx, d.App, e, gone); err != nil || e.calls.Load() != 2 {
		t.Errorf("a missing item: %v, %d calls", err, e.calls.Load())
	}
	// A job for an article's own vector, queued before there were none: done.
	legacy := postgres.EmbedArgs{TenantID: tenant, Entity: "article", ID: id}
	if err := jobs.Embed(ctx, d.App, e, legacy); err != nil || e.calls.Load() != 2 {
		t.Errorf("an article job: %v, %d calls", err, e.calls.Load())
	}
}

// TestWorkersEmbedInTheBackground starts the job runner and waits for the
// default template's project and tasks to be embedded.
func TestWorkersEmbedInTheBackground(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	tenant := newTenant(t, d.App)
	runner, err := jobs.Start(ctx, jobs.Deps{DB: d.App, Embedder: ai.Local{}, Logger: slog.New(slog.DiscardHandler)}, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Stop(5 * time.Second)
	err = d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		c, err := tx.CreateCustomer(ctx, onboardiq.NewCustomer{Name: "Globex"})
		if err != nil {
			return err
		}
		var tpl uuid.UUID
		if err := tx.QueryRow(ctx, `SELECT template_id FROM templates WHERE is_default`).Scan(&tpl); err != nil {
			return err
		}
		_, err = tx.CreateProject(ctx, onboardiq.NewProject{CustomerID: c.ID, Name: "Rollout", TemplateID: &tpl})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var missing int
		err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM tasks WHERE vector_embedding IS NULL) + (SELECT count(*) FROM projects WHERE vector_embedding IS NULL)`).Scan(&missing)
		})
		if err != nil {
			t.Fatal(err)
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d items still without an embedding after 30 s", missing)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestArticleModelWhenPassagesAreStoredAtOnce: two passages of an article
// stored by two transactions at once, the second while the first is still
// open, still leave the article embedded by the model (each statement
// alone would see the other passage not yet embedded).
func TestArticleModelWhenPassagesAreStoredAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	tenant := newTenant(t, d.App)
	var id uuid.UUID
	var passages []uuid.UUID
	err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		if id, err = tx.CreateArticle(ctx, onboardiq.NewArticle{Title: "Set up SSO", Content: "## Okta\n\nOpen Settings.\n\n## Entra ID\n\nAdd an application.", Visibility: "public"}); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT passage_id FROM kb_passages WHERE article_id = $1 ORDER BY ordinal`, id)
		passages, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	if err != nil || len(passages) != 2 {
		t.Fatalf("passages %v: %v", passages, err)
	}
	store := func(ctx context.Context, tx *postgres.Tx, passage uuid.UUID) error {
		src, err := tx.LoadEmbeddingSource(ctx, postgres.EntityPassage, passage, ai.LocalModel)
		if err != nil {
			return err
		}
		vecs, _ := ai.Local{}.Embed(ctx, []string{src.Text})
		return tx.StoreEmbedding(ctx, postgres.EntityPassage, passage, vecs[0], ai.LocalModel, src.Hash)
	}
	second := make(chan error, 1)
	err = d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		if err := store(ctx, tx, passages[0]); err != nil {
			return err
		}
		go func() {
			second <- d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error { return store(ctx, tx, passages[1]) })
		}()
		time.Sleep(300 * time.Millisecond) // the second stores (or waits) while the first is open
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	var model *string
	if err := d.App.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT embedding_model FROM knowledge_base WHERE article_id = $1`, id).Scan(&model)
	}); err != nil {
		t.Fatal(err)
	}
	if model == nil || *model != ai.LocalModel {
		t.Errorf("the article's model after both its passages were stored at once: %v, want %q", model, ai.LocalModel)
	}
}
