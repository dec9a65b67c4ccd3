package postgres_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestZeroVectorsAreNeverCompared: an article whose text has no words is
// embedded to the zero vector; it is stored as no vector (but counts as
// embedded by the model), and a zero query vector finds nothing in
// semantic search or among tasks, without an error.
func TestZeroVectorsAreNeverCompared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	tenant := seedTenant(t, d.App, "zero")
	var id uuid.UUID
	err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		id, err = tx.CreateArticle(ctx, onboardiq.NewArticle{Title: "The", Content: "And then, to the ... of it!", Visibility: "public"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	model := ai.LocalModel
	var passage uuid.UUID
	err = d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT passage_id FROM kb_passages WHERE article_id = $1`, id).Scan(&passage); err != nil {
			return err
		}
		src, err := tx.LoadEmbeddingSource(ctx, postgres.EntityPassage, passage, model)
		if err != nil {
			return err
		}
		vecs, _ := ai.Local{}.Embed(ctx, []string{src.Text})
		return tx.StoreEmbedding(ctx, postgres.EntityPassage, passage, vecs[0], model, src.Hash)
	})
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]float32, onboardiq.EmbeddingDimensions)
	err = d.App.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var stored bool
		var storedModel *string
		if err := tx.QueryRow(ctx, `SELECT p.vector_embedding IS NOT NULL, a.embedding_model FROM kb_passages p JOIN knowledge_base a USING (tenant_id, article_id)
WHERE p.passage_id = $1`, passage).Scan(&stored, &storedModel); err != nil {
			return err
		}
		if stored || storedModel == nil || *storedModel != model {
			t.Errorf("a text without words: vector stored %v, the article's model %v; want none, and the model", stored, storedModel)
		}
		src, err := tx.LoadEmbeddingSource(ctx, postgres.EntityPassage, passage, model)
		if err != nil || !src.Current {
			t.Errorf("the article is not current after embedding (%v): it would be embedded again and again", err)
		}
		for _, mode := range []onboardiq.SearchMode{onboardiq.SearchSemantic, onboardiq.SearchHybrid} {
			hits, err := tx.SearchArticles(ctx, postgres.SearchParams{Q: "the", Vector: zero, Model: model, Mode: mode, Limit: 10})
			if err != nil || len(hits) != 0 {
				t.Errorf("%s search with a zero vector: %v, %+v; want nothing, no error", mode, err, hits)
			}
		}
		tasks, err := tx.TasksNear(ctx, &onboardiq.Principal{TenantID: tenant, Role: onboardiq.RoleAdmin}, zero, model, 3)
		if err != nil || len(tasks) != 0 {
			t.Errorf("tasks near a zero vector: %v, %+v", err, tasks)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBlockerKind(t *testing.T) {
	t.Parallel()
	for reason, want := range map[string]string{
		"Waiting for Initech's DBA to export the legacy scheduling data; the export fails on its date formats.": "a technical problem",
		"Their Okta admin has not granted us access yet":                                                        "access or credentials",
		"Legal is still reviewing the DPA":                                                                      "an approval or a review",
		"Waiting on the payment processor's sign-off":                                                           "an approval or a review",
		"The ERP vendor has not answered":                                                                       "a third party",
		"Jane is on holiday until Monday":                                                                       "someone's availability",
		"Jane Roe at Initech said qx7canary":                                                                    "something else",
	} {
		if got := postgres.BlockerKind(reason); got != want {
			t.Errorf("BlockerKind(%q) = %q, want %q", reason, got, want)
		}
	}
}
