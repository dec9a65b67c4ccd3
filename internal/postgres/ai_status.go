package postgres

import (
	"context"
	"time"

	"github.com/onboardiq/onboardiq"
)

// EmbeddingCounts says how many items have a vector from the current model.
type EmbeddingCounts struct {
	Total   int `json:"total"`
	Current int `json:"current" doc:"Embedded by the configured model."`
	Stale   int `json:"stale" doc:"Not embedded yet, or by another model: waiting for a job or onboardiq reembed."`
}

// JobError is a failed attempt of an embedding job.
type JobError struct {
	Entity  string    `json:"entity"`
	ID      string    `json:"id"`
	State   string    `json:"state" doc:"retryable (will run again) or discarded (gave up)."`
	Attempt int       `json:"attempt"`
	Error   string    `json:"error"`
	At      time.Time `json:"at"`
}

// AIStatus is the state of the tenant's embeddings and their jobs.
type AIStatus struct {
	Embeddings map[string]EmbeddingCounts `json:"embeddings"`
	Jobs       map[string]int             `json:"jobs" doc:"Embedding jobs by state."`
	Errors     []JobError                 `json:"errors" doc:"The latest failed attempts."`
}

// AIStatusAs reports the caller's tenant's embeddings for model (admins).
func (db *DB) AIStatusAs(ctx context.Context, model string) (*AIStatus, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*AIStatus, error) {
		if err := p.Check(onboardiq.ManageAI); err != nil {
			return nil, err
		}
		return loadAIStatus(ctx, tx, model)
	})
}

func loadAIStatus(ctx context.Context, tx *Tx, model string) (*AIStatus, error) {
	st := &AIStatus{Embeddings: map[string]EmbeddingCounts{}, Jobs: map[string]int{}, Errors: []JobError{}}
	rows, err := tx.Query(ctx, `
SELECT 'articles', count(*), count(*) FILTER (WHERE embedding_model = $2) FROM knowledge_base WHERE tenant_id = $1
UNION ALL SELECT 'tasks', count(*), count(*) FILTER (WHERE embedding_model = $2) FROM tasks WHERE tenant_id = $1
UNION ALL SELECT 'projects', count(*), count(*) FILTER (WHERE embedding_model = $2) FROM projects WHERE tenant_id = $1`,
		tx.TenantID(), model)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name string
		var c EmbeddingCounts
		if err := rows.Scan(&name, &c.Total, &c.Current); err != nil {
			return nil, err
		}
		c.Stale = c.Total - c.Current
		st.Embeddings[name] = c
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// River's table is shared by all tenants: its rows are filtered
	// by the tenant id every job carries.
	rows, err = tx.Query(ctx, `
SELECT state::text, count(*) FROM river_job
WHERE kind = 'embed' AND args->>'tenant_id' = $1::text GROUP BY 1`, tx.TenantID())
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, err
		}
		st.Jobs[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `
SELECT args->>'entity', args->>'id', state::text, attempt, coalesce(errors[array_length(errors, 1)]->>'error', ''),
       coalesce((errors[array_length(errors, 1)]->>'at')::timestamptz, attempted_at, created_at)
FROM river_job
WHERE kind = 'embed' AND args->>'tenant_id' = $1::text AND state IN ('retryable', 'discarded')
ORDER BY coalesce(attempted_at, created_at) DESC LIMIT 20`, tx.TenantID())
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e JobError
		if err := rows.Scan(&e.Entity, &e.ID, &e.State, &e.Attempt, &e.Error, &e.At); err != nil {
			return nil, err
		}
		st.Errors = append(st.Errors, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return st, nil
}
