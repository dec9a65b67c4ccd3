package jobs

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Reembed embeds, now, every item of the tenants whose vector is missing
// or was made by another model than e's, in batches of 64 per model call,
// telling progress how far it is (items done, items found so far).
func Reembed(ctx context.Context, db *postgres.DB, e ai.Embedder, tenants []uuid.UUID, progress func(done, total int)) (int, error) {
	const batch = 64
	done, total := 0, 0
	for _, tenant := range tenants {
		seen := map[uuid.UUID]bool{}
		for {
			var stale []postgres.EmbedArgs
			err := db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
				var err error
				stale, err = tx.StaleEmbeddings(ctx, e.Model(), batch)
				return err
			})
			if err != nil {
				return done, err
			}
			fresh := stale[:0]
			for _, a := range stale {
				if !seen[a.ID] {
					seen[a.ID] = true
					fresh = append(fresh, a)
				}
			}
			if len(fresh) == 0 {
				break // done, or only items changing under our feet: their jobs will do them
			}
			total += len(fresh)
			if progress != nil {
				progress(done, total)
			}
			n, err := EmbedBatch(ctx, db, e, tenant, fresh)
			if err != nil {
				return done, fmt.Errorf("reembed: %w", err)
			}
			done += n
			if progress != nil {
				progress(done, total)
			}
		}
	}
	return done, nil
}
