package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// GapEmbedWorker embeds a knowledge gap's question (docs/knowledge-gaps.md),
// calling the model between two short transactions, never inside one.
type GapEmbedWorker struct {
	river.WorkerDefaults[postgres.GapEmbedArgs]
	DB       *postgres.DB
	Embedder ai.Embedder
}

// Timeout bounds one embedding, model call included.
func (w *GapEmbedWorker) Timeout(*river.Job[postgres.GapEmbedArgs]) time.Duration {
	return 2 * time.Minute
}

// Work embeds the gap unless it is gone or already embedded by the model.
func (w *GapEmbedWorker) Work(ctx context.Context, job *river.Job[postgres.GapEmbedArgs]) error {
	return EmbedGap(ctx, w.DB, w.Embedder, job.Args)
}

// EmbedGap brings a knowledge gap's embedding up to date with e.
func EmbedGap(ctx context.Context, db *postgres.DB, e ai.Embedder, a postgres.GapEmbedArgs) error {
	var (
		question, model string
		found           bool
	)
	err := db.InTenantReadOnly(ctx, a.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		question, model, found, err = tx.GapQuestion(ctx, a.GapID)
		return err
	})
	if err != nil || !found || model == e.Model() {
		return err
	}
	vecs, err := e.Embed(ctx, []string{question})
	if err != nil {
		return fmt.Errorf("embed a knowledge gap: %w", err)
	}
	return db.InTenant(ctx, a.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.StoreGapEmbedding(ctx, a.GapID, vecs[0], e.Model())
	})
}
