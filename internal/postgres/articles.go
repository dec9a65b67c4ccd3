package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/pgvector/pgvector-go"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/excerpt"
	"github.com/onboardiq/onboardiq/internal/sketch"
)

// CreateArticle adds an article (admin or csm); its embedding follows.
func (db *DB) CreateArticle(ctx context.Context, in onboardiq.NewArticle) (*onboardiq.Article, error) {
	var a *onboardiq.Article
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.EditArticles); err != nil {
			return err
		}
		id, err := tx.CreateArticle(ctx, in)
		if err != nil {
			return err
		}
		a, err = getArticle(ctx, tx, p, id, false)
		return err
	})
	return a, err
}

// GetArticle returns an article the caller may see (a contact: public ones).
func (db *DB) GetArticle(ctx context.Context, id uuid.UUID) (*onboardiq.Article, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.Article, error) {
		return getArticle(ctx, tx, p, id, false)
	})
}

// ArticleFilter narrows ListArticles.
type ArticleFilter struct {
	onboardiq.ListOptions
	Tag        string
	Visibility onboardiq.Visibility
}

// ListArticles lists the articles the caller may see, by title.
func (db *DB) ListArticles(ctx context.Context, f ArticleFilter) (onboardiq.Page[*onboardiq.Article], error) {
	var out onboardiq.Page[*onboardiq.Article]
	if err := f.Normalise(); err != nil {
		return out, err
	}
	var afterTitle *string
	var afterID uuid.UUID
	if f.Cursor != "" {
		var title string
		if err := decodeCursor(f.Cursor, &title, &afterID); err != nil {
			return out, err
		}
		afterTitle = &title
	}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		rows, err := tx.Query(ctx, `SELECT `+articleColumns+` FROM knowledge_base a
WHERE a.tenant_id = $1 AND `+articleVisible+` AND ($3::text = '' OR $3 = ANY (a.tags)) AND ($4::text = '' OR a.visibility = $4)
  AND ($5::text IS NULL OR (a.title, a.article_id) > ($5, $6))
ORDER BY a.title, a.article_id LIMIT $7`, tx.TenantID(), publicOnly(p), f.Tag, f.Visibility, afterTitle, afterID, f.Limit+1)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Article, error) { return scanArticle(r) })
		out = page(items, f.Limit, func(a *onboardiq.Article) []any { return []any{a.Title, a.ID} })
		return err
	})
	return out, err
}

// UpdateArticle changes an article (admin or csm); a new title or content
// is embedded again.
func (db *DB) UpdateArticle(ctx context.Context, id uuid.UUID, patch onboardiq.ArticlePatch) (*onboardiq.Article, error) {
	var a *onboardiq.Article
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		before, err := getArticle(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditArticles); err != nil {
			return err
		}
		after := *before
		if err := patch.Apply(&after); err != nil {
			return err
		}
		grows := int64(len(after.Title) + len(after.Content) - len(before.Title) - len(before.Content))
		if err := checkQuota(ctx, tx, onboardiq.QuotaStorage, grows); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
UPDATE knowledge_base SET title = $3, content = $4, visibility = $5, tags = $6, updated_at = now()
WHERE tenant_id = $1 AND article_id = $2`, tx.TenantID(), id, after.Title, after.Content, after.Visibility, after.Tags); err != nil {
			return fmt.Errorf("update article: %w", err)
		}
		if a, err = getArticle(ctx, tx, p, id, false); err != nil {
			return err
		}
		ch := changes(before, a, "title", "visibility", "tags")
		if before.Content != a.Content {
			ch["content"] = map[string]any{"from": len(before.Content), "to": len(a.Content)} // lengths: the text is in the article
		}
		if len(ch) == 0 {
			return nil
		}
		if before.Title != a.Title || before.Content != a.Content || before.Visibility != a.Visibility || !slices.Equal(before.Tags, a.Tags) {
			if err := indexArticle(ctx, tx, indexedArticle{ID: id, Title: a.Title, Tags: a.Tags, Content: a.Content,
				Public: a.Visibility == onboardiq.VisibilityPublic, Retitled: before.Title != a.Title}); err != nil {
				return err
			}
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventArticleUpdated, Data: map[string]any{"article_id": id}, Changes: ch})
	})
	return a, err
}

// DeleteArticle deletes an article (admin or csm).
func (db *DB) DeleteArticle(ctx context.Context, id uuid.UUID) error {
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		a, err := getArticle(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditArticles); err != nil {
			return err
		}
		if err := unindexArticle(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM knowledge_base WHERE tenant_id = $1 AND article_id = $2`, tx.TenantID(), id); err != nil {
			return fmt.Errorf("delete article: %w", err)
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventArticleDeleted, Data: map[string]any{"article_id": id, "title": a.Title}})
	})
}

// SearchParams is a knowledge-base search.
type SearchParams struct {
	Q          string
	Vector     []float32 // the query's embedding (semantic and hybrid)
	Model      string    // the model that made Vector: only vectors of the same model are compared
	Mode       onboardiq.SearchMode
	Limit      int
	PublicOnly bool
	// ExactScanMax, when set, replaces exactScanMax (tests).
	ExactScanMax int
	// Exact searches without approximation (the bench's and the tests'
	// exact answer, never the API's): every posting of each of the query's
	// terms, and every passage's full vector, not only the nearest by their
	// sketches (the bands kwAll and semAll, whatever the tenant's size).
	Exact bool
}

// SearchArticles searches the articles the caller may see.
func (db *DB) SearchArticles(ctx context.Context, s SearchParams) ([]onboardiq.ArticleHit, error) {
	var hits []onboardiq.ArticleHit
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		s.PublicOnly = publicOnly(p)
		var err error
		hits, err = tx.SearchArticles(ctx, s)
		return err
	})
	if hits == nil {
		hits = []onboardiq.ArticleHit{}
	}
	return hits, err
}

// CreateArticle adds a knowledge-base article to the tenant tx runs in and
// returns its id.
func (tx *Tx) CreateArticle(ctx context.Context, in onboardiq.NewArticle) (uuid.UUID, error) {
	if err := in.Validate(); err != nil {
		return uuid.Nil, err
	}
	if err := checkQuota(ctx, tx, onboardiq.QuotaStorage, int64(len(in.Title)+len(in.Content))); err != nil {
		return uuid.Nil, err
	}
	var author *uuid.UUID
	if p := onboardiq.PrincipalFromContext(ctx); p != nil {
		author = p.Actor()
	}
	var slug *string
	if in.Slug != "" {
		slug = &in.Slug
	}
	var id uuid.UUID
	err := tx.QueryRow(ctx, `
INSERT INTO knowledge_base (tenant_id, title, content, visibility, tags, slug, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING article_id`, tx.TenantID(), in.Title, in.Content, in.Visibility, in.Tags, slug, author).Scan(&id)
	if err != nil {
		return uuid.Nil, storeError(err, fmt.Sprintf("article %q", in.Title))
	}
	if err := indexArticle(ctx, tx, indexedArticle{ID: id, Title: in.Title, Tags: in.Tags, Content: in.Content, Public: in.Visibility == onboardiq.VisibilityPublic}); err != nil {
		return uuid.Nil, err
	}
	return id, tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventArticleCreated, Data: map[string]any{"article_id": id, "title": in.Title}})
}

// SearchArticles searches the tenant tx runs in (docs/ai.md): BM25 over
// the articles' postings (keyword), the nearest passages by cosine
// distance (semantic: all of a small tenant's, else among those nearest by
// their sketches, a large tenant's from the sketches' HNSW index, with
// iterative scans so that a filter cannot starve it), or both fused by
// standard scores (hybrid). Each list
// contributes up to 4×limit candidates. A hit carries its best passage:
// the one sharing the most of the query's weight, else the nearest.
func (tx *Tx) SearchArticles(ctx context.Context, s SearchParams) ([]onboardiq.ArticleHit, error) {
	keyword := s.Mode != onboardiq.SearchSemantic
	if s.Mode == onboardiq.SearchSemantic && len(s.Vector) != onboardiq.EmbeddingDimensions {
		return nil, fmt.Errorf("search: semantic mode needs a %d-dimension query vector", onboardiq.EmbeddingDimensions)
	}
	// A query with no words embeds to the zero vector: it is like nothing
	// else, and the semantic half finds nothing (never NaN scores).
	semantic := s.Mode != onboardiq.SearchKeyword && comparableVector(s.Vector)
	if !keyword && !semantic {
		return nil, nil
	}
	// The tenant's counts choose the statement's parts (search_sql.go),
	// in a round trip of their own with the search's settings.
	var articles, passages int64
	b := &pgx.Batch{}
	for _, set := range searchSettings {
		b.Queue(set)
	}
	if !tx.citus {
		b.Queue(searchGenericPlan)
	}
	b.Queue(`SELECT articles, passages FROM kb_stats WHERE tenant_id = $1`, tx.TenantID()).QueryRow(func(r pgx.Row) error {
		if err := r.Scan(&articles, &passages); !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return nil
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	kw, sem := searchBands(keyword, semantic, articles, passages, cmp.Or(s.ExactScanMax, exactScanMax), s.Exact)
	st := searchStatements[searchBandsKey{kw, sem}]
	values := map[string]any{"tenant": tx.TenantID(), "q": s.Q, "public": s.PublicOnly, "limit": s.Limit, "plain": anyWord(s.Q),
		"min_similarity": MinSimilarity, "model": s.Model}
	if sem != semNone {
		values["vector"] = pgvector.NewVector(s.Vector)
	}
	if slices.Contains(st.args, "sketch") { // the larger tenants' statements: a 768-dimension rotation spared the others
		values["sketch"] = sketchOf(s.Vector)
	}
	b = &pgx.Batch{}
	if sem == semHNSW {
		for _, set := range iterativeScan {
			b.Queue(set)
		}
	}
	var hits []onboardiq.ArticleHit
	var cut *excerpt.Cutter // every row carries the same lexemes
	b.Queue(st.sql, st.bind(values)...).Query(func(rows pgx.Rows) error {
		var err error
		hits, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (onboardiq.ArticleHit, error) {
			var h onboardiq.ArticleHit
			var text string
			var terms []string
			err := r.Scan(&h.ID, &h.Title, &h.Visibility, &h.Tags, &h.Score, &h.Section, &h.Anchor, &text, &terms, &h.KeywordRank, &h.MatchedWords, &h.SemanticRank, &h.Similarity)
			if cut == nil {
				cut = excerpt.For(terms)
			}
			h.Excerpt = cut.Of(text)
			h.Snippet = h.Excerpt.Marked()
			return h, err
		})
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return hits, nil
}

// searchBands chooses the parts of a search statement by the tenant's
// counts: a keyword half that reads every posting where no term can have
// more than searchPostingsPerTerm; a semantic half that compares every
// vector up to vectorCandidates passages, scans the sketches up to
// scanMax, and asks the HNSW index above. The exact answer reads and
// compares everything. Counts read a moment before the statement can be
// out of date by the writes between: the parts chosen then still answer,
// the exact ones more slowly.
func searchBands(keyword, semantic bool, articles, passages int64, scanMax int, exact bool) (keywordBand, semanticBand) {
	kw, sem := kwNone, semNone
	switch {
	case !keyword:
	case exact || articles <= searchPostingsPerTerm:
		kw = kwAll
	default:
		kw = kwBest
	}
	switch {
	case !semantic:
	case exact || passages <= int64(min(scanMax, vectorCandidates)):
		sem = semAll
	case passages <= int64(scanMax):
		sem = semSketches
	default:
		sem = semHNSW
	}
	return kw, sem
}

// searchSettings are SET LOCAL in a search's transaction, in its first
// round trip, with the tenant's counts (docs/ai.md, "Scale"):
//   - No sort where an index gives the order: a large tenant's nearest
//     passages come from the HNSW index, never from sorting all of the
//     tenant's passages, even where the planner estimates, for an average
//     tenant, that sorting would be cheaper. Every other sort of the
//     statement has no alternative and stays.
//   - No JIT compilation: the sorts that stay carry the planner's penalty
//     for disabled sorts, which puts the statement's cost far above JIT's
//     thresholds, and compiling it took a second at every search.
var searchSettings = []string{"SET LOCAL enable_sort = off", "SET LOCAL jit = off"}

// searchGenericPlan plans each search statement once per connection, not
// at every search: its plan does not depend on the values (the statement
// itself is chosen by the tenant's size: search_sql.go;
// TestLargeTenantSearchReadsK checks the plans of the large ones). Left to choose,
// PostgreSQL planned it at every execution — a third of the search's time
// — because a plan made for one mode prunes the other mode's disabled
// sorts and so always costs less than the generic plan
// (TestSearchIsPlannedOnce). A plan_cache_mode set on the connection
// other than the default (bench search --plan) is kept. Not on Citus,
// which cannot distribute a generic plan of this statement.
const searchGenericPlan = `SELECT set_config('plan_cache_mode', CASE current_setting('plan_cache_mode') WHEN 'auto' THEN 'force_generic_plan' ELSE current_setting('plan_cache_mode') END, true)`

// bm25Score is the BM25 score of an article over the postings p of the
// query's terms (alias p: tf, title_tf, length), each term's weights i
// (qtf, idf, tidf), and the statistics s: the body's BM25 plus the
// title's, weighted by titleField.
func bm25Score(p string) string {
	k1, b := fmt.Sprint(bm25K1), fmt.Sprint(bm25B)
	return titleField + ` * coalesce(sum(i.qtf * i.tidf * ` + p + `.title_tf / (` + p + `.title_tf + ` + k1 + `)) FILTER (WHERE ` + p + `.title_tf > 0), 0) +
           sum(i.qtf * i.idf * ` + p + `.tf * (` + k1 + ` + 1) / (` + p + `.tf + ` + k1 + ` * (1 - ` + b + ` + ` + b + ` * ` + p + `.length / s.avgdl)))`
}

// rescoredPerResult is how many articles a result a keyword search scores
// again from all their postings, when one of the query's terms is in more
// articles than it reads postings of (searchPostingsPerTerm): an article
// among one term's best postings but not another's was scored without
// the other. On the bench's 200,000-article data set this took a
// 20,007-article tenant's keyword recall@10 against BM25 over every
// posting from 0.660 to 0.977, and its median search from 8 to 17 ms
// (docs/ai.md, "Scale"); 8 a result found 0.887.
const rescoredPerResult = 20

// sketchOf is v's sketch (internal/sketch) as a bit string.
func sketchOf(v []float32) pgtype.Bits {
	s := sketch.Of(v)
	return pgtype.Bits{Bytes: s[:], Len: sketch.Bits, Valid: true}
}

// ArticleText returns an article's title and content, for the assistant;
// publicOnly refuses internal articles.
func (tx *Tx) ArticleText(ctx context.Context, id uuid.UUID, publicOnly bool) (string, error) {
	var text string
	err := tx.QueryRow(ctx, `SELECT title || E'\n\n' || content FROM knowledge_base a WHERE a.tenant_id = $1 AND `+articleVisible+` AND a.article_id = $3`,
		tx.TenantID(), publicOnly, id).Scan(&text)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", onboardiq.Errorf(onboardiq.ENOTFOUND, "article not found")
	}
	return text, err
}

const articleColumns = `a.article_id, a.title, a.content, a.visibility, a.tags, a.slug, a.embedding_model, a.created_at, a.updated_at`

func scanArticle(row pgx.Row) (*onboardiq.Article, error) {
	a := &onboardiq.Article{}
	err := row.Scan(&a.ID, &a.Title, &a.Content, &a.Visibility, &a.Tags, &a.Slug, &a.EmbeddingModel, &a.CreatedAt, &a.UpdatedAt)
	return a, err
}

// publicOnly is true for a customer contact, who sees public articles only.
func publicOnly(p *onboardiq.Principal) bool { return p.IsCustomer() }

const articleVisible = `(NOT $2::bool OR a.visibility = 'public')`

func getArticle(ctx context.Context, tx *Tx, p *onboardiq.Principal, id uuid.UUID, lock bool) (*onboardiq.Article, error) {
	q := `SELECT ` + articleColumns + ` FROM knowledge_base a WHERE a.tenant_id = $1 AND ` + articleVisible + ` AND a.article_id = $3`
	if lock {
		q += ` FOR UPDATE`
	}
	a, err := scanArticle(tx.QueryRow(ctx, q, tx.TenantID(), publicOnly(p), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "article not found")
	}
	return a, err
}

// missingZ is the standard score a hybrid hit gets in the list that did
// not find it. Hybrid search fuses the two lists' scores as standard
// scores (z-scores over each list's candidates), which keeps how far
// ahead a hit is, where reciprocal-rank fusion keeps only its place: on
// the FAQ development set, where the offline embedder ranks far below
// BM25, rank fusion (k 60, any weights tried) fell below keyword search
// alone, and standard scores did not (docs/ai.md, "Fusion").
const missingZ = "-1"

// exactScanMax is the number of passages up to which a tenant's semantic
// search compares the query's sketch with every one of its passages'
// (from an index alone) instead of asking the HNSW index of the sketches,
// which every tenant shares: a tenant that is a small share of the index
// makes it walk most of the graph to find the tenant's passages (slowly,
// and missing some). On the bench's 200,000-article data set, a tenant of
// 33,261 passages took 25 ms by the exact scan (recall@10 0.997) and 76 ms
// by the index (0.947); one of 46,059, 59 ms (0.997) against 156 ms
// (0.977) (docs/ai.md, "Scale"). SearchParams.ExactScanMax overrides it
// (tests).
const exactScanMax = 50000

// sketchCandidates is how many passages per result a semantic search
// keeps by their sketches (internal/sketch: Hamming distance over the
// signs of a random rotation of the vector) before it compares their full
// vectors, in a tenant above vectorCandidates passages: by an exact scan
// of the sketches below exactScanMax, from the sketches' HNSW index above
// it (docs/ai.md, "Scale"). Against every vector of a 19,287-passage
// workspace, 16 a result held 0.99 of the ten nearest articles, 8 a
// result 0.98.
const sketchCandidates = 16

// vectorCandidates: a tenant with at most this many passages compares
// every passage's full vector, in one scan: that is exact, and faster than
// reading its sketches and then 160 vectors by key (docs/performance.md).
const vectorCandidates = 1000

// semWeight weighs the semantic list's standard scores against the
// keyword list's (1): the offline embedder is the weaker half on every set
// measured, and at equal weights it pulled hybrid below keyword search on
// the FAQ set (0.660 against 0.661); at 0.8 hybrid is above both halves
// on both sets.
const semWeight = "0.8"

// anyWord reports whether a query is plain words (no "phrases", no -words,
// no OR), to be matched by any of them rather than all.
func anyWord(q string) bool {
	if strings.ContainsAny(q, "\"") || strings.Contains(" "+q, " -") || strings.Contains(q, " or ") || strings.Contains(q, " OR ") {
		return false
	}
	return true
}

// MinSimilarity is the cosine similarity below which the semantic half of
// a search finds nothing: without it, a query about nothing in the
// knowledge base (or nonsense) still gets the nearest passages, however
// far. Measured with the offline embedder on passages (docs/ai.md): the
// relevant articles of the demo set score from 0.15, and 33 of 36
// questions about other things stay below it. A keyword match counts
// whatever its similarity.
const MinSimilarity = 0.15
