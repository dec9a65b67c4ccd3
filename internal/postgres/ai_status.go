package postgres

import (
	"context"

	"github.com/onboardiq/onboardiq"
)

// GetAIStatus reports the caller's tenant's embeddings for model (admins).
func (db *DB) GetAIStatus(ctx context.Context, model string) (*onboardiq.AIStatus, error) {
	st := &onboardiq.AIStatus{Embeddings: map[string]onboardiq.EmbeddingCounts{}, Jobs: map[string]int{}, Errors: []onboardiq.JobError{}}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageAI); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
SELECT 'articles', count(*), count(*) FILTER (WHERE embedding_model = $2) FROM knowledge_base WHERE tenant_id = $1
UNION ALL SELECT 'tasks', count(*), count(*) FILTER (WHERE embedding_model = $2) FROM tasks WHERE tenant_id = $1
UNION ALL SELECT 'projects', count(*), count(*) FILTER (WHERE embedding_model = $2) FROM projects WHERE tenant_id = $1`,
			tx.TenantID(), model)
		if err != nil {
			return err
		}
		for rows.Next() {
			var name string
			var c onboardiq.EmbeddingCounts
			if err := rows.Scan(&name, &c.Total, &c.Current); err != nil {
				return err
			}
			c.Stale = c.Total - c.Current
			st.Embeddings[name] = c
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// River's table is shared by all tenants: its rows are filtered
		// by the tenant id every job carries.
		rows, err = tx.Query(ctx, `
SELECT state::text, count(*) FROM river_job
WHERE kind = 'embed' AND args->>'tenant_id' = $1::text GROUP BY 1`, tx.TenantID())
		if err != nil {
			return err
		}
		for rows.Next() {
			var state string
			var n int
			if err := rows.Scan(&state, &n); err != nil {
				return err
			}
			st.Jobs[state] = n
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `
SELECT args->>'entity', args->>'id', state::text, attempt, coalesce(errors[array_length(errors, 1)]->>'error', ''),
       coalesce((errors[array_length(errors, 1)]->>'at')::timestamptz, attempted_at, created_at)
FROM river_job
WHERE kind = 'embed' AND args->>'tenant_id' = $1::text AND state IN ('retryable', 'discarded')
ORDER BY coalesce(attempted_at, created_at) DESC LIMIT 20`, tx.TenantID())
		if err != nil {
			return err
		}
		for rows.Next() {
			var e onboardiq.JobError
			if err := rows.Scan(&e.Entity, &e.ID, &e.State, &e.Attempt, &e.Error, &e.At); err != nil {
				return err
			}
			st.Errors = append(st.Errors, e)
		}
		return rows.Err()
	})
	return st, err
}
