package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// EmbedWorker brings one item's embedding up to date. The model is called
// between two short transactions, never inside one.
type EmbedWorker struct {
	river.WorkerDefaults[postgres.EmbedArgs]
	DB       *postgres.DB
	Embedder ai.Embedder
}

// Timeout bounds one embedding, model call included.
func (w *EmbedWorker) Timeout(*river.Job[postgres.EmbedArgs]) time.Duration { return 2 * time.Minute }

// Work embeds the item unless its stored vector is current.
func (w *EmbedWorker) Work(ctx context.Context, job *river.Job[postgres.EmbedArgs]) error {
	return Embed(ctx, w.DB, w.Embedder, job.Args)
}

// Embed brings the embedding of one item up to date; it reports done when
// the item is gone or already current.
func Embed(ctx context.Context, db *postgres.DB, e ai.Embedder, a postgres.EmbedArgs) error {
	_, err := EmbedBatch(ctx, db, e, a.TenantID, []postgres.EmbedArgs{a})
	return err
}

// EmbedBatch brings the embeddings of items of one tenant up to date with
// one model call, and returns how many it stored.
func EmbedBatch(ctx context.Context, db *postgres.DB, e ai.Embedder, tenant uuid.UUID, items []postgres.EmbedArgs) (int, error) {
	model := e.Model()
	var (
		todo  []postgres.EmbedArgs
		srcs  []postgres.EmbeddingSource
		texts []string
	)
	err := db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		for _, a := range items {
			src, err := tx.LoadEmbeddingSource(ctx, a.Entity, a.ID, model)
			if err != nil {
				return err
			}
			if src.Found && !src.Current {
				todo, srcs, texts = append(todo, a), append(srcs, src), append(texts, src.Text)
			}
		}
		return nil
	})
	if err != nil || len(todo) == 0 {
		return 0, err
	}
	vecs, err := e.Embed(ctx, texts)
	if err != nil {
		return 0, fmt.Errorf("embed %d items: %w", len(texts), err)
	}
	stored := 0
	err = db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		stored = 0
		for i, a := range todo {
			// Store only if the text is still the one embedded; if it
			// changed meanwhile, the change enqueued a job of its own.
			now, err := tx.LoadEmbeddingSource(ctx, a.Entity, a.ID, model)
			if err != nil {
				return err
			}
			if !now.Found || string(now.Hash) != string(srcs[i].Hash) {
				continue
			}
			if err := tx.StoreEmbedding(ctx, a.Entity, a.ID, vecs[i], model, srcs[i].Hash); err != nil {
				return err
			}
			stored++
		}
		return nil
	})
	return stored, err
}
