package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/pgvector/pgvector-go"

	"github.com/onboardiq/onboardiq/internal/passage"
	"github.com/onboardiq/onboardiq/internal/sketch"
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
	// Retitled: the title changed. Every passage is embedded after the
	// title, so none keeps its vector.
	Retitled bool
}

// searchPostingsPerTerm is how many postings a query reads of each of its
// terms, the highest impact first (docs/ai.md, "Scale"): a term in more
// articles than that scores only its best ones, so a query's cost stops
// growing with the workspace. Below it, BM25 is exact.
const searchPostingsPerTerm = 400

// posting is a term's row of an article, as stored or removed.
type posting struct {
	term    string
	inTitle bool
	public  bool
	length  float64
}

// indexArticle brings an article's postings, passages and the workspace's
// search statistics up to date with its text and visibility, in the
// transaction that wrote it, and enqueues the embedding of each passage
// whose text changed. Passages keep their id (and so their vector) while
// their text stays the same.
func indexArticle(ctx context.Context, tx *Tx, a indexedArticle) error {
	var (
		terms  []string
		tfs    []float32
		ttfs   []float32 // in the title (and tags) alone
		length float32
		old    []posting
		stats  kbStats
		before int // the article's passages before
	)
	b := &pgx.Batch{}
	b.Queue(`
SELECT lexeme, (SELECT sum(CASE w WHEN 'A' THEN $3::real ELSE 1 END) FROM unnest(weights) w)::real,
       (SELECT count(*) FILTER (WHERE w = 'A') FROM unnest(weights) w)::real
FROM unnest(setweight(to_tsvector('`+searchConfig+`', $1), 'A') || to_tsvector('`+searchConfig+`', $2))`,
		strings.Join(append([]string{a.Title}, a.Tags...), "\n"), a.Content, searchTitleWeight).Query(func(rows pgx.Rows) error {
		var t string
		var tf, ttf float32
		_, err := pgx.ForEachRow(rows, []any{&t, &tf, &ttf}, func() error {
			terms, tfs, ttfs, length = append(terms, t), append(tfs, tf), append(ttfs, ttf), length+tf
			return nil
		})
		return err
	})
	queueUnindex(b, tx.TenantID(), a.ID, &old, &before)
	b.Queue(`SELECT articles, length FROM kb_stats WHERE tenant_id = $1`, tx.TenantID()).Query(func(rows pgx.Rows) error {
		_, err := pgx.ForEachRow(rows, []any{&stats.articles, &stats.length}, func() error { return nil })
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("index article: %w", err)
	}
	ps := passage.Split(a.Title, a.Content)
	if len(ps) == 0 {
		ps = []passage.Passage{{Title: a.Title}}
	}

	// Each posting's impact, with the average length as it is now.
	avgdl := float64(length)
	if stats.articles > 0 {
		avgdl = max(stats.length/float64(stats.articles), 1)
	}
	impacts := make([]float32, len(terms))
	now := make([]posting, len(terms))
	for i, tf := range tfs {
		impacts[i] = float32(bm25Weight(float64(tf), float64(length), avgdl))
		now[i] = posting{term: terms[i], inTitle: ttfs[i] > 0, public: a.Public, length: float64(length)}
	}
	b = &pgx.Batch{}
	if len(terms) > 0 {
		b.Queue(`INSERT INTO kb_terms (tenant_id, term, article_id, tf, title_tf, length, public, impact)
SELECT $1, t.term, $2, t.tf, t.title_tf, $6, $7, t.impact FROM unnest($3::text[], $4::real[], $5::real[], $8::real[]) AS t (term, tf, title_tf, impact)
RETURNING 1`, // with RETURNING, Citus inserts row by row (its COPY path refuses tables under RLS)
			tx.TenantID(), a.ID, terms, tfs, ttfs, length, a.Public, impacts)
	}
	b.Queue(`UPDATE knowledge_base SET search_length = $3 WHERE tenant_id = $1 AND article_id = $2`, tx.TenantID(), a.ID, length)
	queueStatsChange(b, tx.TenantID(), old, now, len(ps)-before)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("index article: postings: %w", err)
	}
	return splitArticle(ctx, tx, a, ps)
}

// unindexArticle takes an article out of the search statistics before it
// is deleted (its postings and passages go with it).
func unindexArticle(ctx context.Context, tx *Tx, id uuid.UUID) error {
	var (
		old    []posting
		before int
	)
	b := &pgx.Batch{}
	queueUnindex(b, tx.TenantID(), id, &old, &before)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("unindex article: %w", err)
	}
	b = &pgx.Batch{}
	queueStatsChange(b, tx.TenantID(), old, nil, -before)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("unindex article: %w", err)
	}
	return nil
}

// queueUnindex removes an article's postings, reading into old what they
// were, and counts its passages into passages.
func queueUnindex(b *pgx.Batch, tenant, article uuid.UUID, old *[]posting, passages *int) {
	b.Queue(`DELETE FROM kb_terms WHERE tenant_id = $1 AND article_id = $2 RETURNING term, title_tf > 0, public, length`, tenant, article).
		Query(func(rows pgx.Rows) error {
			var p posting
			_, err := pgx.ForEachRow(rows, []any{&p.term, &p.inTitle, &p.public, &p.length}, func() error {
				*old = append(*old, p)
				return nil
			})
			return err
		})
	b.Queue(`SELECT count(*) FROM kb_passages WHERE tenant_id = $1 AND article_id = $2`, tenant, article).QueryRow(func(row pgx.Row) error {
		return row.Scan(passages)
	})
}

// kbStats is a workspace's row of kb_stats, or a change to it.
type kbStats struct {
	articles, publicArticles, passages int
	length, publicLength               float64
}

// statsChange is what replacing an article's postings old by now (either
// empty: the article is new, or gone) changes in the workspace's
// statistics and in its terms' document frequencies.
func statsChange(old, now []posting) (kbStats, []dfChange) {
	var d kbStats
	count := func(ps []posting, sign int) {
		if len(ps) == 0 {
			return
		}
		d.articles += sign
		d.length += float64(sign) * ps[0].length
		if ps[0].public {
			d.publicArticles += sign
			d.publicLength += float64(sign) * ps[0].length
		}
	}
	count(old, -1)
	count(now, 1)
	byTerm := map[string]*dfChange{}
	add := func(ps []posting, sign int) {
		for _, p := range ps {
			c := byTerm[p.term]
			if c == nil {
				c = &dfChange{term: p.term}
				byTerm[p.term] = c
			}
			c.df += sign
			if p.inTitle {
				c.titleDF += sign
			}
			if p.public {
				c.publicDF += sign
				if p.inTitle {
					c.publicTitleDF += sign
				}
			}
		}
	}
	add(old, -1)
	add(now, 1)
	var out []dfChange
	for _, c := range byTerm {
		if *c != (dfChange{term: c.term}) {
			out = append(out, *c)
		}
	}
	// In one order, so that two articles written at once lock the terms
	// they share in the same order.
	slices.SortFunc(out, func(a, b dfChange) int { return strings.Compare(a.term, b.term) })
	return d, out
}

// dfChange is a change to one term's document frequencies.
type dfChange struct {
	term                                 string
	df, titleDF, publicDF, publicTitleDF int
}

// queueStatsChange queues the statements that apply the change from old
// to now postings, and passages more passages, to the statistics.
func queueStatsChange(b *pgx.Batch, tenant uuid.UUID, old, now []posting, passages int) {
	d, terms := statsChange(old, now)
	d.passages = passages
	if d != (kbStats{}) {
		b.Queue(`
INSERT INTO kb_stats AS s (tenant_id, articles, public_articles, length, public_length, passages) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id) DO UPDATE SET articles = s.articles + excluded.articles, public_articles = s.public_articles + excluded.public_articles,
    length = s.length + excluded.length, public_length = s.public_length + excluded.public_length, passages = s.passages + excluded.passages`,
			tenant, d.articles, d.publicArticles, d.length, d.publicLength, d.passages)
	}
	if len(terms) == 0 {
		return
	}
	cols := make([][]int32, 4)
	names := make([]string, len(terms))
	for i, t := range terms {
		names[i] = t.term
		for j, v := range []int{t.df, t.titleDF, t.publicDF, t.publicTitleDF} {
			cols[j] = append(cols[j], int32(v))
		}
	}
	b.Queue(`
INSERT INTO kb_df AS d (tenant_id, term, df, title_df, public_df, public_title_df)
SELECT $1, u.term, u.df, u.title_df, u.public_df, u.public_title_df
FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::int[]) WITH ORDINALITY AS u (term, df, title_df, public_df, public_title_df, n)
ORDER BY u.n
ON CONFLICT (tenant_id, term) DO UPDATE SET df = d.df + excluded.df, title_df = d.title_df + excluded.title_df,
    public_df = d.public_df + excluded.public_df, public_title_df = d.public_title_df + excluded.public_title_df
RETURNING 1`, tenant, names, cols[0], cols[1], cols[2], cols[3])
}

// bm25Weight is BM25's weight of a term tf times in an article of length
// dl, before IDF, where articles are avgdl long on average.
func bm25Weight(tf, dl, avgdl float64) float64 {
	return tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*dl/avgdl))
}

// splitArticle stores an article's passages ps (an article without text
// is one passage: its title).
func splitArticle(ctx context.Context, tx *Tx, a indexedArticle, ps []passage.Passage) error {
	ordinals := make([]int32, len(ps))
	anchors := make([]string, len(ps))
	headings := make([]string, len(ps))
	bodies := make([]string, len(ps))
	for i, p := range ps {
		ordinals[i], anchors[i], headings[i], bodies[i] = int32(i), p.Anchor, strings.Join(p.Path, " › "), p.Text
	}
	// An unchanged passage keeps its vector; a changed one loses it and is
	// embedded again, and so is every passage of a retitled article.
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
	if a.Retitled {
		rows, err := tx.Query(ctx, `UPDATE kb_passages SET embedding_hash = NULL WHERE tenant_id = $1 AND article_id = $2 RETURNING passage_id`, tx.TenantID(), a.ID)
		if err == nil {
			stale, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		}
		if err != nil {
			return fmt.Errorf("index article: passages: %w", err)
		}
	}
	return enqueueEmbed(ctx, tx, EntityPassage, stale...)
}

// searchIndexVersion is the version of the search index this code keeps
// (tenants.search_index_version): a workspace at an older one is indexed
// again at start. 2 added the statistics and impacts of migration 00034;
// 3 rewrites the passages, to keep them whole in their rows (00035); 4
// gives the passages stored before 00040 their sketches.
const searchIndexVersion = 4

// IndexUnindexedArticles brings the search index of the workspaces whose
// index is missing or older than searchIndexVersion up to date (serve at
// start, one tenant transaction at a time). Below version 3 it rebuilds
// their postings and statistics from the articles; passages whose text is
// unchanged keep their vectors, and the others are embedded by the jobs it
// enqueues. Every such workspace's passages with a vector and no sketch
// get one. It returns how many articles it indexed.
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
			var indexed bool
			if err := tx.QueryRow(ctx, `SELECT search_indexed_at IS NOT NULL AND search_index_version >= 3 FROM tenants WHERE tenant_id = $1`,
				tx.TenantID()).Scan(&indexed); err != nil {
				return err
			}
			if !indexed {
				k, err := reindexArticles(ctx, tx)
				if err != nil {
					return err
				}
				n += k
			}
			if err := sketchPassages(ctx, tx); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE tenants SET search_indexed_at = $2, search_index_version = $3 WHERE tenant_id = $1`,
				tx.TenantID(), time.Now(), searchIndexVersion)
			return err
		}); err != nil {
			return n, fmt.Errorf("tenant %s: %w", t, err)
		}
	}
	return n, nil
}

// reindexArticles rebuilds the search index of the tenant tx runs in from
// its articles and returns how many it indexed.
func reindexArticles(ctx context.Context, tx *Tx) (int, error) {
	// From nothing: the statistics count what is indexed below, and the
	// passages that are already there.
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM kb_terms WHERE tenant_id = $1`, tx.TenantID())
	b.Queue(`DELETE FROM kb_df WHERE tenant_id = $1`, tx.TenantID())
	b.Queue(`DELETE FROM kb_stats WHERE tenant_id = $1`, tx.TenantID())
	b.Queue(`INSERT INTO kb_stats (tenant_id, passages) SELECT $1, count(*) FROM kb_passages WHERE tenant_id = $1 RETURNING 1`, tx.TenantID())
	// Rewritten as they are, each passage row is stored as the table's
	// settings now say (migration 00035).
	b.Queue(`UPDATE kb_passages SET body = body WHERE tenant_id = $1`, tx.TenantID())
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, err
	}
	rows, err := tx.Query(ctx, `
SELECT a.article_id, a.title, a.tags, a.content, a.visibility = 'public' FROM knowledge_base a
WHERE a.tenant_id = $1 ORDER BY a.article_id`, tx.TenantID())
	if err != nil {
		return 0, err
	}
	todo, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (indexedArticle, error) {
		var a indexedArticle
		return a, r.Scan(&a.ID, &a.Title, &a.Tags, &a.Content, &a.Public)
	})
	if err != nil {
		return 0, err
	}
	for _, a := range todo {
		if err := indexArticle(ctx, tx, a); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}

// sketchPassages gives the passages of the tenant tx runs in that have a
// vector and no sketch (stored before migration 00040) their sketches,
// sketchBatch at a time in the order of their keys.
func sketchPassages(ctx context.Context, tx *Tx) error {
	after := uuid.Nil
	for {
		rows, err := tx.Query(ctx, `
SELECT passage_id, vector_embedding FROM kb_passages
WHERE tenant_id = $1 AND passage_id > $2 AND vector_embedding IS NOT NULL AND vector_sketch IS NULL
ORDER BY passage_id LIMIT $3`, tx.TenantID(), after, sketchBatch)
		if err != nil {
			return fmt.Errorf("sketch passages: %w", err)
		}
		var (
			ids      []uuid.UUID
			sketches []pgtype.Bits
		)
		var id uuid.UUID
		var v pgvector.Vector
		if _, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error {
			ids, sketches = append(ids, id), append(sketches, sketchOf(v.Slice()))
			return nil
		}); err != nil {
			return fmt.Errorf("sketch passages: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `
UPDATE kb_passages p SET vector_sketch = s.sketch
FROM unnest($2::uuid[], $3::bit(`+fmt.Sprint(sketch.Bits)+`)[]) AS s (passage_id, sketch)
WHERE p.tenant_id = $1 AND p.passage_id = s.passage_id`, tx.TenantID(), ids, sketches); err != nil {
			return fmt.Errorf("sketch passages: %w", err)
		}
		after = ids[len(ids)-1]
	}
}

// sketchBatch is how many passages sketchPassages reads and writes at a
// time.
const sketchBatch = 1000

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
