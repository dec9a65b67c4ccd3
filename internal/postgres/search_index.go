package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq/internal/passage"
)

// Keyword search is BM25 (docs/ai.md, "Keyword search"): the store keeps
// each article's weighted term frequencies (kb_terms) and length in the
// transaction that writes the article, and a query scores the postings of
// its own terms with the tenant's document frequencies and average length
// as they are at that moment, so nothing is ever rebuilt.
const (
	// searchConfig is the text search configuration terms are made by:
	// English stems, no stop words dropped (migration 00031).
	searchConfig = "search_english"
	// searchTitleWeight is how many times a term of the title counts.
	// Measured on the FAQ development set and the demo set (docs/ai.md):
	// 1 → 3 raised nDCG@10 by 0.05 and 0.02; more gained less.
	searchTitleWeight = 3
	// BM25's constants, the textbook ones.
	bm25K1 = 1.2
	bm25B  = 0.75
	// The title (with the tags) is also scored as a field of its own,
	// with its own document frequencies (a word in few titles says what
	// an article is about even when every body has it), weighted
	// titleField; and two words next to each other in the query that
	// stand next to each other in a title add titleBonus times their
	// IDFs. Measured on the FAQ development set and the demo set
	// (docs/ai.md, "Keyword search"): with both, keyword nDCG@10 rose
	// 0.597 → 0.661 and 0.860 → 0.881.
	titleField = "0.5"
	titleBonus = "2"
)

// indexedArticle is what indexing an article needs of it.
type indexedArticle struct {
	ID      uuid.UUID
	Title   string
	Tags    []string // indexed as words of the title: the author's own keywords
	Content string
	Public  bool
}

// indexArticle brings an article's postings and passages up to date with
// its text and visibility, in the transaction that wrote it, and enqueues
// the embedding of each passage whose text changed. Passages keep their id
// (and so their vector) while their text stays the same.
func indexArticle(ctx context.Context, tx *Tx, a indexedArticle) error {
	var (
		terms  []string
		tfs    []float32
		ttfs   []float32 // in the title (and tags) alone
		length float32
	)
	rows, err := tx.Query(ctx, `
SELECT lexeme, (SELECT sum(CASE w WHEN 'A' THEN $3::real ELSE 1 END) FROM unnest(weights) w)::real,
       (SELECT count(*) FILTER (WHERE w = 'A') FROM unnest(weights) w)::real
FROM unnest(setweight(to_tsvector('`+searchConfig+`', $1), 'A') || to_tsvector('`+searchConfig+`', $2))`,
		strings.Join(append([]string{a.Title}, a.Tags...), "\n"), a.Content, searchTitleWeight)
	if err != nil {
		return fmt.Errorf("index article: terms: %w", err)
	}
	for rows.Next() {
		var t string
		var tf, ttf float32
		if err := rows.Scan(&t, &tf, &ttf); err != nil {
			rows.Close()
			return fmt.Errorf("index article: terms: %w", err)
		}
		terms, tfs, ttfs, length = append(terms, t), append(tfs, tf), append(ttfs, ttf), length+tf
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index article: terms: %w", err)
	}

	b := &pgx.Batch{}
	b.Queue(`DELETE FROM kb_terms WHERE tenant_id = $1 AND article_id = $2`, tx.TenantID(), a.ID)
	b.Queue(`INSERT INTO kb_terms (tenant_id, term, article_id, tf, title_tf, length, public)
SELECT $1, t.term, $2, t.tf, t.title_tf, $6, $7 FROM unnest($3::text[], $4::real[], $5::real[]) AS t (term, tf, title_tf)
RETURNING 1`, // with RETURNING, Citus inserts row by row (its COPY path refuses tables under RLS)
		tx.TenantID(), a.ID, terms, tfs, ttfs, length, a.Public)
	b.Queue(`UPDATE knowledge_base SET search_length = $3 WHERE tenant_id = $1 AND article_id = $2`, tx.TenantID(), a.ID, length)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("index article: postings: %w", err)
	}
	return splitArticle(ctx, tx, a)
}

// splitArticle stores an article's passages (an article without text is
// one passage: its title).
func splitArticle(ctx context.Context, tx *Tx, a indexedArticle) error {
	ps := passage.Split(a.Title, a.Content)
	if len(ps) == 0 {
		ps = []passage.Passage{{Title: a.Title}}
	}
	ordinals := make([]int32, len(ps))
	anchors := make([]string, len(ps))
	headings := make([]string, len(ps))
	bodies := make([]string, len(ps))
	for i, p := range ps {
		ordinals[i], anchors[i], headings[i], bodies[i] = int32(i), p.Anchor, strings.Join(p.Path, " › "), p.Text
	}
	// An unchanged passage keeps its vector; a changed one loses it and is
	// embedded again.
	rows, err := tx.Query(ctx, `
INSERT INTO kb_passages AS p (tenant_id, article_id, ordinal, anchor, heading, body, public)
SELECT $1, $2, n.ordinal, n.anchor, n.heading, n.body, $7
FROM unnest($3::int[], $4::text[], $5::text[], $6::text[]) AS n (ordinal, anchor, heading, body)
ON CONFLICT (tenant_id, article_id, ordinal) DO UPDATE
SET anchor = excluded.anchor, heading = excluded.heading, body = excluded.body, public = excluded.public,
    embedding_hash = CASE WHEN p.body = excluded.body AND p.heading = excluded.heading THEN p.embedding_hash END
RETURNING p.passage_id, p.embedding_hash IS NULL`, tx.TenantID(), a.ID, ordinals, anchors, headings, bodies, a.Public)
	if err != nil {
		return fmt.Errorf("index article: passages: %w", err)
	}
	var stale []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		var changed bool
		if err := rows.Scan(&id, &changed); err != nil {
			rows.Close()
			return fmt.Errorf("index article: passages: %w", err)
		}
		if changed {
			stale = append(stale, id)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index article: passages: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM kb_passages WHERE tenant_id = $1 AND article_id = $2 AND ordinal >= $3`, tx.TenantID(), a.ID, len(ps)); err != nil {
		return fmt.Errorf("index article: passages: %w", err)
	}
	return enqueueEmbed(ctx, tx, EntityPassage, stale...)
}

// IndexUnindexedArticles indexes the articles written before keyword
// search kept postings and passages (serve at start, one tenant
// transaction at a time, in the workspaces not marked indexed); their passages are embedded by the jobs it
// enqueues. It returns how many articles it indexed.
func (db *DB) IndexUnindexedArticles(ctx context.Context) (int, error) {
	rows, err := db.Pool.Query(ctx, `SELECT tenant_ids_with_unindexed_articles()`)
	if err != nil {
		return 0, fmt.Errorf("list tenants with unindexed articles: %w", err)
	}
	tenants, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("list tenants with unindexed articles: %w", err)
	}
	n := 0
	for _, t := range tenants {
		if err := db.InTenant(ctx, t, func(ctx context.Context, tx *Tx) error {
			rows, err := tx.Query(ctx, `
SELECT a.article_id, a.title, a.tags, a.content, a.visibility = 'public' FROM knowledge_base a
WHERE a.tenant_id = $1 AND NOT EXISTS (SELECT FROM kb_passages p WHERE p.tenant_id = a.tenant_id AND p.article_id = a.article_id)`, tx.TenantID())
			if err != nil {
				return err
			}
			todo, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (indexedArticle, error) {
				var a indexedArticle
				return a, r.Scan(&a.ID, &a.Title, &a.Tags, &a.Content, &a.Public)
			})
			if err != nil {
				return err
			}
			for _, a := range todo {
				if err := indexArticle(ctx, tx, a); err != nil {
					return err
				}
			}
			n += len(todo)
			_, err = tx.Exec(ctx, `UPDATE tenants SET search_indexed_at = $2 WHERE tenant_id = $1`, tx.TenantID(), time.Now())
			return err
		}); err != nil {
			return n, fmt.Errorf("tenant %s: %w", t, err)
		}
	}
	return n, nil
}

// ArticlePassage is a passage of an article.
type ArticlePassage struct {
	Heading string // the heading path, « › » between levels
	Anchor  string // the heading's id in the article's page
	Text    string // Markdown, its heading line included
}

// ArticlePassages returns an article's passages in order, for the
// assistant; publicOnly refuses internal articles.
func (tx *Tx) ArticlePassages(ctx context.Context, id uuid.UUID, publicOnly bool) ([]ArticlePassage, error) {
	rows, err := tx.Query(ctx, `
SELECT p.heading, p.anchor, p.body FROM kb_passages p
JOIN knowledge_base a ON a.tenant_id = p.tenant_id AND a.article_id = p.article_id
WHERE p.tenant_id = $1 AND `+articleVisible+` AND p.article_id = $3
ORDER BY p.ordinal`, tx.TenantID(), publicOnly, id)
	if err != nil {
		return nil, fmt.Errorf("article passages: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ArticlePassage, error) {
		var p ArticlePassage
		return p, r.Scan(&p.Heading, &p.Anchor, &p.Text)
	})
}
