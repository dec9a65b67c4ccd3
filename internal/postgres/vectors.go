package postgres

import (
	"context"
	"fmt"
	"math"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/onboardiq/onboardiq"
)

// comparableVector reports whether v can take part in a cosine comparison:
// the stored length, finite, and not zero. A text with no words (only stop
// words or punctuation) embeds to the zero vector, whose cosine similarity
// to anything is NaN; such a vector is never stored (StoreEmbedding) and
// never used as a query, so it matches nothing.
func comparableVector(v []float32) bool {
	if len(v) != onboardiq.EmbeddingDimensions {
		return false
	}
	var sum float64
	for _, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
		sum += f * f
	}
	return sum > 0 && !math.IsInf(sum, 0)
}

// notNaN filters out the cosine distances of vectors stored with zero
// length before StoreEmbedding refused them: their distance is NaN (which
// PostgreSQL sorts last and counts equal to itself).
const notNaN = "<> 'NaN'::float8"

// Neighbour is an item found by vector search and its cosine distance.
type Neighbour struct {
	ID       uuid.UUID
	Distance float64
}

// enableIterativeScan makes an HNSW scan keep going until it has found k rows
// that pass the tenant filter, instead of stopping after ef_search candidates
// (most of which belong to other tenants when a tenant is small), and
// widens the candidate list from 40 to 100 for better recall. SET LOCAL,
// like the tenant's setting, because it is what Citus passes on to the
// workers that run the scan.
var iterativeScan = []string{"SET LOCAL hnsw.iterative_scan = relaxed_order", "SET LOCAL hnsw.ef_search = 100"}

// enableIterativeScan applies iterativeScan in tx, in one round trip.
func enableIterativeScan(ctx context.Context, tx *Tx) error {
	b := &pgx.Batch{}
	for _, s := range iterativeScan {
		b.Queue(s)
	}
	return tx.SendBatch(ctx, b).Close()
}

// NearestArticles returns the k knowledge-base articles of the tenant tx runs
// in whose embeddings are closest to v, nearest first. Relaxed order lets
// the index return rows slightly out of order; the outer ORDER BY restores it.
func (tx *Tx) NearestArticles(ctx context.Context, v pgvector.Vector, k int) ([]Neighbour, error) {
	if len(v.Slice()) != onboardiq.EmbeddingDimensions {
		return nil, fmt.Errorf("nearest articles: vector has %d dimensions, want %d", len(v.Slice()), onboardiq.EmbeddingDimensions)
	}
	if !comparableVector(v.Slice()) {
		return nil, nil
	}
	if err := enableIterativeScan(ctx, tx); err != nil {
		return nil, fmt.Errorf("nearest articles: %w", err)
	}
	rows, err := tx.Query(ctx, `
WITH nearest AS MATERIALIZED (
    SELECT article_id, vector_embedding <=> $2 AS distance
    FROM knowledge_base
    WHERE tenant_id = $1 AND vector_embedding IS NOT NULL
    ORDER BY vector_embedding <=> $2
    LIMIT $3
)
SELECT article_id, distance FROM nearest WHERE distance `+notNaN+` ORDER BY distance`, tx.TenantID(), v, k)
	if err != nil {
		return nil, fmt.Errorf("nearest articles: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Neighbour])
}
