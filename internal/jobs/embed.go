package jobs

import (
	"context"
	"fmt"
	"time"

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
	model := e.Model()
	var src postgres.EmbeddingSource
	err := db.InTenantReadOnly(ctx, a.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		src, err = postgres.LoadEmbeddingSource(ctx, tx, a.Entity, a.ID, model)
		return err
	})
	if err != nil || !src.Found || src.Current {
		return err
	}
	vecs, err := e.Embed(ctx, []string{src.Text})
	if err != nil {
		return fmt.Errorf("embed %s %s: %w", a.Entity, a.ID, err)
	}
	return db.InTenant(ctx, a.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		// Store only if the text is still the one embedded; if it changed
		// meanwhile, the change enqueued a job of its own.
		now, err := postgres.LoadEmbeddingSource(ctx, tx, a.Entity, a.ID, model)
		if err != nil || !now.Found || string(now.Hash) != string(src.Hash) {
			return err
		}
		return postgres.StoreEmbedding(ctx, tx, a.Entity, a.ID, vecs[0], model, src.Hash)
	})
}
