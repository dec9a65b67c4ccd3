package postgres

import (
	"context"
	"math"

	"github.com/jackc/pgx/v5"

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
