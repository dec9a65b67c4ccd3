package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/pgvector/pgvector-go"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
)

// Things that carry an embedding. An article is embedded by its passages
// only (docs/ai.md).
const (
	EntityTask    = "task"
	EntityProject = "project"
	EntityPassage = "passage" // a part of an article (kb_passages)
)

// EmbedArgs asks for one item's embedding to be brought up to date. It is
// enqueued in the transaction that changes the item; the worker re-enters
// the tenant, and does nothing when the stored vector already matches the
// content and the model (so a job may run twice, or late).
type EmbedArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	Entity   string    `json:"entity"`
	ID       uuid.UUID `json:"id"`
}

// Kind is River's name for the job.
func (EmbedArgs) Kind() string { return "embed" }

// Enqueue inserts jobs in the transaction: they exist if and only if it
// commits.
func (tx *Tx) Enqueue(ctx context.Context, jobs ...river.JobArgs) error {
	if len(jobs) == 0 {
		return nil
	}
	if tx.jobs == nil {
		return errors.New("postgres: no job client")
	}
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		params[i] = river.InsertManyParams{Args: j}
	}
	if _, err := tx.jobs.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}

// EnqueueAt inserts a job in the transaction to run no earlier than at.
func (tx *Tx) EnqueueAt(ctx context.Context, job river.JobArgs, at time.Time) error {
	if tx.jobs == nil {
		return errors.New("postgres: no job client")
	}
	if _, err := tx.jobs.InsertTx(ctx, tx, job, &river.InsertOpts{ScheduledAt: at}); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}

// enqueueEmbed asks for the embeddings of items of one entity.
func enqueueEmbed(ctx context.Context, tx *Tx, entity string, ids ...uuid.UUID) error {
	jobs := make([]river.JobArgs, len(ids))
	for i, id := range ids {
		jobs[i] = EmbedArgs{TenantID: tx.TenantID(), Entity: entity, ID: id}
	}
	return tx.Enqueue(ctx, jobs...)
}

// The text each entity is embedded from.
var embeddingText = map[string]string{
	EntityTask:    `SELECT description || E'\n\n' || details, embedding_model, embedding_hash FROM tasks WHERE tenant_id = $1 AND task_id = $2`,
	EntityProject: `SELECT name || E'\n\n' || description, embedding_model, embedding_hash FROM projects WHERE tenant_id = $1 AND project_id = $2`,
	// A passage is embedded after its article's title, given twice: the
	// title says what every passage of the article is about (measured on
	// the FAQ development set: semantic nDCG@10 0.437 → 0.480; docs/ai.md).
	EntityPassage: `SELECT a.title || E'\n\n' || a.title || E'\n\n' || p.body, p.embedding_model, p.embedding_hash FROM kb_passages p
JOIN knowledge_base a ON a.tenant_id = p.tenant_id AND a.article_id = p.article_id WHERE p.tenant_id = $1 AND p.passage_id = $2`,
}

var embeddingUpdate = map[string]string{
	EntityTask:    `UPDATE tasks SET vector_embedding = $3, embedding_model = $4, embedding_hash = $5 WHERE tenant_id = $1 AND task_id = $2`,
	EntityProject: `UPDATE projects SET vector_embedding = $3, embedding_model = $4, embedding_hash = $5 WHERE tenant_id = $1 AND project_id = $2`,
	// An article counts as embedded by a model once all its passages are.
	EntityPassage: `WITH p AS (
    UPDATE kb_passages SET vector_embedding = $3, embedding_model = $4, embedding_hash = $5, vector_sketch = $6 WHERE tenant_id = $1 AND passage_id = $2
    RETURNING article_id)
UPDATE knowledge_base a SET embedding_model = $4 FROM p
WHERE a.tenant_id = $1 AND a.article_id = p.article_id AND a.embedding_model IS DISTINCT FROM $4
  AND NOT EXISTS (SELECT FROM kb_passages o WHERE o.tenant_id = $1 AND o.article_id = p.article_id AND o.passage_id <> $2
                  AND (o.embedding_model IS DISTINCT FROM $4 OR o.embedding_hash IS NULL))`,
}

// embeddingLock runs before an entity's embeddingUpdate, in its
// transaction: a passage's locks its article's row, so that two of its
// passages stored at once cannot each see the other not yet embedded and
// leave the article without its model (the second waits, then sees the
// first). UpdateArticle takes the same row first too.
var embeddingLock = map[string]string{
	EntityPassage: `SELECT 1 FROM knowledge_base WHERE tenant_id = $1
  AND article_id = (SELECT article_id FROM kb_passages WHERE tenant_id = $1 AND passage_id = $2) FOR UPDATE`,
}

// legacyEntities were embedded once; jobs for them queued before they
// stopped being (an article's own vector, migration 00038) find nothing.
var legacyEntities = map[string]bool{"article": true}

// maxEmbedChars bounds the text sent to an embedding model (about 6,000
// tokens, inside every provider's limit).
const maxEmbedChars = 24000

// EmbeddingSource is what an item is embedded from, and what it was last
// embedded with.
type EmbeddingSource struct {
	Text    string
	Hash    []byte // of the text and the model asked about
	Current bool   // the stored vector was made from this text by this model
	Found   bool
}

// LoadEmbeddingSource reads an item's text in the tenant tx runs in and
// whether its stored vector is current for model.
func (tx *Tx) LoadEmbeddingSource(ctx context.Context, entity string, id uuid.UUID, model string) (EmbeddingSource, error) {
	q, ok := embeddingText[entity]
	if !ok && legacyEntities[entity] {
		return EmbeddingSource{}, nil
	}
	if !ok {
		return EmbeddingSource{}, fmt.Errorf("embed: unknown entity %q", entity)
	}
	var (
		src       EmbeddingSource
		haveModel *string
		haveHash  []byte
	)
	err := tx.QueryRow(ctx, q, tx.TenantID(), id).Scan(&src.Text, &haveModel, &haveHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return src, nil // deleted since: nothing to do
	}
	if err != nil {
		return src, fmt.Errorf("embed: load %s: %w", entity, err)
	}
	src.Found = true
	if r := []rune(src.Text); len(r) > maxEmbedChars {
		src.Text = string(r[:maxEmbedChars])
	}
	sum := sha256.Sum256([]byte(model + "\x00" + src.Text))
	src.Hash = sum[:]
	src.Current = haveModel != nil && *haveModel == model && string(haveHash) == string(src.Hash)
	return src, nil
}

// StoreEmbedding saves an item's vector with the model and source hash
// that made it. A zero vector (a text with no words) is stored as none,
// with the model and hash, so the item counts as embedded and matches
// nothing.
func (tx *Tx) StoreEmbedding(ctx context.Context, entity string, id uuid.UUID, vec []float32, model string, hash []byte) error {
	if len(vec) != onboardiq.EmbeddingDimensions {
		return fmt.Errorf("embed: %d dimensions, want %d", len(vec), onboardiq.EmbeddingDimensions)
	}
	var v *pgvector.Vector
	var sk pgtype.Bits // a passage's sketch (migration 00040), with its vector
	if comparableVector(vec) {
		pv := pgvector.NewVector(vec)
		v = &pv
		sk = sketchOf(vec)
	}
	args := []any{tx.TenantID(), id, v, model, hash}
	if entity == EntityPassage {
		args = append(args, sk)
	}
	if lock, ok := embeddingLock[entity]; ok {
		if _, err := tx.Exec(ctx, lock, tx.TenantID(), id); err != nil {
			return fmt.Errorf("embed: store %s: %w", entity, err)
		}
	}
	if _, err := tx.Exec(ctx, embeddingUpdate[entity], args...); err != nil {
		return fmt.Errorf("embed: store %s: %w", entity, err)
	}
	return nil
}

// AllTenantIDs lists every tenant through the reviewed cross-tenant
// function; it is for maintenance commands (reembed) and the delay scan.
func (db *DB) AllTenantIDs(ctx context.Context) ([]uuid.UUID, error) {
	rows, err := db.Pool.Query(ctx, `SELECT all_tenant_ids()`)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// StaleEmbeddings lists up to limit items of the tenant tx runs in whose
// vector is missing or was made by another model.
func (tx *Tx) StaleEmbeddings(ctx context.Context, model string, limit int) ([]EmbedArgs, error) {
	rows, err := tx.Query(ctx, `
(SELECT 'task', task_id FROM tasks WHERE tenant_id = $1 AND embedding_model IS DISTINCT FROM $2 LIMIT $3)
UNION ALL
(SELECT 'project', project_id FROM projects WHERE tenant_id = $1 AND embedding_model IS DISTINCT FROM $2 LIMIT $3)
UNION ALL
(SELECT 'passage', passage_id FROM kb_passages WHERE tenant_id = $1 AND (embedding_model IS DISTINCT FROM $2 OR embedding_hash IS NULL) LIMIT $3)
LIMIT $3`, tx.TenantID(), model, limit)
	if err != nil {
		return nil, fmt.Errorf("stale embeddings: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (EmbedArgs, error) {
		a := EmbedArgs{TenantID: tx.TenantID()}
		return a, r.Scan(&a.Entity, &a.ID)
	})
}
