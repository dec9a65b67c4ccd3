package postgres

import (
	"fmt"
	"strings"

	"github.com/onboardiq/onboardiq/internal/sketch"
)

// A search statement is made of the parts its mode and the tenant's size
// need (docs/ai.md, "Scale"): the keyword half reads every posting of
// each term (kwAll) or the best searchPostingsPerTerm and rescores
// (kwBest); the semantic half compares every passage's vector (semAll),
// scans the sketches (semSketches) or asks their HNSW index (semHNSW).
// SearchArticles chooses by the tenant's counts, read before, so that a
// small tenant's statement holds none of the machinery it never runs:
// PostgreSQL initialises every node of a plan, run or not, and a
// statement with every branch cost a small tenant a fifth more
// (docs/performance.md).
type (
	keywordBand  int
	semanticBand int
)

const (
	kwNone keywordBand = iota
	kwAll              // every posting of each term: the tenant has at most searchPostingsPerTerm articles, or the exact answer
	kwBest             // the best searchPostingsPerTerm postings of each term, the best articles rescored
)

const (
	semNone     semanticBand = iota
	semAll                   // every passage's vector: at most vectorCandidates passages, or the exact answer
	semSketches              // every passage's sketch, then the nearest candidates' vectors: up to exactScanMax passages
	semHNSW                  // the nearest sketches from their HNSW index, then their vectors
)

// searchStatement is a search statement and the names of its arguments,
// in the order of its placeholders.
type searchStatement struct {
	sql  string
	args []string
}

// bind is the statement's arguments, by name from values.
func (st searchStatement) bind(values map[string]any) []any {
	args := make([]any, len(st.args))
	for i, name := range st.args {
		args[i] = values[name]
	}
	return args
}

// searchBandsKey names a search statement by its two bands.
type searchBandsKey struct {
	kw  keywordBand
	sem semanticBand
}

// searchStatements holds every statement SearchArticles can send, by its
// two bands, made once.
var searchStatements = func() map[searchBandsKey]searchStatement {
	m := map[searchBandsKey]searchStatement{}
	for kw := kwNone; kw <= kwBest; kw++ {
		for sem := semNone; sem <= semHNSW; sem++ {
			if kw == kwNone && sem == semNone {
				continue
			}
			sql, args := numbered(searchStatementSQL(kw, sem))
			m[searchBandsKey{kw, sem}] = searchStatement{sql, args}
		}
	}
	return m
}()

// numbered turns a statement's @name placeholders into $1, $2, … in the
// order each name first appears, and returns the names in that order.
// PostgreSQL's @@ (text search match) is not a placeholder.
func numbered(sql string) (string, []string) {
	var b strings.Builder
	var names []string
	index := map[string]int{}
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		if c != '@' || i+1 == len(sql) || !isNameByte(sql[i+1]) || i > 0 && sql[i-1] == '@' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(sql) && isNameByte(sql[j]) {
			j++
		}
		name := sql[i+1 : j]
		n, ok := index[name]
		if !ok {
			names = append(names, name)
			n = len(names)
			index[name] = n
		}
		fmt.Fprintf(&b, "$%d", n)
		i = j - 1
	}
	return b.String(), names
}

func isNameByte(c byte) bool { return c >= 'a' && c <= 'z' || c == '_' }

// searchStatementSQL is the statement of one keyword band and one
// semantic band (either may be none, not both). Its placeholders: @tenant,
// @q the query's text, @vector and @sketch the query's vector and its
// sketch, @model the vector's model, @public public articles only,
// @limit, @plain the query is plain words, @min_similarity.
func searchStatementSQL(kw keywordBand, sem semanticBand) string {
	var ctes []string
	if kw != kwNone {
		ctes = append(ctes, keywordCTEs(kw))
	}
	if sem != semNone {
		ctes = append(ctes, semanticCTEs(sem))
	}
	ctes = append(ctes, fusedCTE(kw != kwNone, sem != semNone))
	bestPassage := `
LEFT JOIN kb_passages bp ON bp.tenant_id = @tenant AND bp.passage_id = f.passage_id`
	if kw != kwNone {
		ctes = append(ctes, `best_passage AS (
    -- Each hit's best passage: the one that shares the most of the
    -- query's weight (each of its terms' IDF times how often the passage
    -- has it, saturating as BM25's term frequency does: ts_rank of the
    -- term alone), else the nearest to the query's vector, else the first.
    SELECT DISTINCT ON (p.article_id) p.article_id, p.passage_id
    FROM fused f
    JOIN kb_passages p ON p.tenant_id = @tenant AND p.article_id = f.article_id
    LEFT JOIN idf i ON p.terms @@ i.tq
    GROUP BY p.article_id, p.passage_id, p.ordinal, f.passage_id
    ORDER BY p.article_id, coalesce(sum(i.idf * ts_rank(p.terms, i.tq)), 0) DESC, (p.passage_id = f.passage_id) IS TRUE DESC, p.ordinal
)`)
		bestPassage = `
LEFT JOIN best_passage bpi ON bpi.article_id = f.article_id
LEFT JOIN kb_passages bp ON bp.tenant_id = @tenant AND bp.passage_id = bpi.passage_id`
	}
	// (Semantic alone: the best passage is the nearest.)
	return `
WITH ` + strings.Join(ctes, ",\n") + `
SELECT a.article_id, a.title, a.visibility, a.tags, f.score, coalesce(bp.heading, ''), coalesce(bp.anchor, ''),
       -- The excerpt is cut in Go (internal/excerpt) from the passage
       -- and the query's words as this configuration makes them.
       coalesce(bp.body, left(a.content, 3000)), ARRAY(SELECT lexeme FROM unnest(to_tsvector('english', @q))),
       f.kw_rank::int, f.content, f.sem_rank::int, f.similarity
FROM fused f
JOIN knowledge_base a ON a.tenant_id = @tenant AND a.article_id = f.article_id` + bestPassage + `
ORDER BY f.score DESC, a.article_id`
}

// keywordCTEs is the keyword half, ending in kw: up to 4×limit articles
// with their BM25 scores and ranks.
func keywordCTEs(band keywordBand) string {
	postingsLimit, scored := "", "partial"
	if band == kwBest {
		postingsLimit = `
        LIMIT ` + fmt.Sprint(searchPostingsPerTerm)
		scored = "bm25"
	}
	sql := `qt AS (
    -- The query's terms, how often each occurs in it, and whether it is a
    -- word that says something (not a stop word).
    SELECT lexeme AS term, coalesce(array_length(positions, 1), 1) AS qtf,
           lexeme IN (SELECT lexeme FROM unnest(to_tsvector('english', @q))) AS content
    FROM unnest(to_tsvector('` + searchConfig + `', @q))
),
stats AS (
    -- The workspace's article count and average length (kb_stats: one
    -- row), over the articles the caller may see.
    SELECT CASE WHEN @public THEN s.public_articles ELSE s.articles END::float8 AS n,
           greatest(CASE WHEN @public THEN s.public_length / nullif(s.public_articles, 0) ELSE s.length / nullif(s.articles, 0) END, 1)::float8 AS avgdl
    FROM kb_stats s WHERE s.tenant_id = @tenant
),
idf AS (
    -- Each term's document frequencies (kb_df: one row a term), and the
    -- term as a query of its own.
    SELECT qt.term, qt.qtf, d.df, quote_literal(qt.term)::tsquery AS tq, ln(1 + (s.n - d.df + 0.5) / (d.df + 0.5)) AS idf, ln(1 + (s.n - d.tdf + 0.5) / (d.tdf + 0.5)) AS tidf
    FROM qt
    CROSS JOIN stats s
    JOIN (SELECT k.term, CASE WHEN @public THEN k.public_df ELSE k.df END AS df, CASE WHEN @public THEN k.public_title_df ELSE k.title_df END AS tdf
          FROM kb_df k WHERE k.tenant_id = @tenant AND k.term = ANY (ARRAY(SELECT term FROM qt))) d ON d.term = qt.term AND d.df > 0
),
postings AS (
    -- Each term's postings, the highest impact first (kwBest: at most
    -- searchPostingsPerTerm of them).
    SELECT t.term, t.article_id, t.tf, t.title_tf, t.length, qt.qtf, qt.content
    FROM qt
    CROSS JOIN LATERAL (
        SELECT k.term, k.article_id, k.tf, k.title_tf, k.length FROM kb_terms k
        WHERE k.tenant_id = @tenant AND k.term = qt.term AND (NOT @public OR k.public)
        ORDER BY k.impact DESC` + postingsLimit + `
    ) t
),
partial AS (
    -- Each article's score from the postings read.
    SELECT p.article_id, bool_or(p.content) AS content, ` + bm25Score("p") + ` AS score
    FROM postings p JOIN idf i ON i.term = p.term CROSS JOIN stats s
    GROUP BY p.article_id
    -- Stop words weigh in the score, but a query whose words that say
    -- something ("banana", not "the") match nothing finds nothing.
    HAVING EXISTS (SELECT FROM postings c WHERE c.content)
),`
	if band == kwBest {
		sql += `
truncated AS MATERIALIZED (
    -- The terms with more postings than were read.
    SELECT term FROM idf WHERE idf.df > ` + fmt.Sprint(searchPostingsPerTerm) + `
),
rescored AS MATERIALIZED (
    -- Where a term has more postings than were read, an article's score
    -- misses that term if the article is not among its best: the best
    -- articles by their scores so far are scored again.
    SELECT article_id FROM partial
    WHERE EXISTS (SELECT FROM truncated)
    ORDER BY score DESC, article_id
    LIMIT @limit * ` + fmt.Sprint(rescoredPerResult) + `
),
repostings AS MATERIALIZED (
    -- Their postings: those read, and the others of the terms whose
    -- postings were not all read, by key (one lookup an article and term).
    SELECT p.article_id, p.term, p.tf, p.title_tf, p.length, p.content
    FROM postings p JOIN rescored c ON c.article_id = p.article_id
    UNION ALL
    SELECT c.article_id, qt.term, k.tf, k.title_tf, k.length, qt.content
    FROM rescored c
    CROSS JOIN qt
    CROSS JOIN LATERAL (
        SELECT k.tf, k.title_tf, k.length FROM kb_terms k
        WHERE k.tenant_id = @tenant AND k.term = qt.term AND k.article_id = c.article_id
        LIMIT 1) k -- (one at most, by the key; LIMIT keeps it a lookup a row)
    WHERE qt.term IN (SELECT term FROM truncated)
      AND NOT EXISTS (SELECT FROM postings p WHERE p.article_id = c.article_id AND p.term = qt.term)
),
bm25 AS (
    -- Where every term's postings were all read, the score so far is
    -- BM25; else the rescored articles' scores are.
    SELECT article_id, content, score FROM partial
    WHERE NOT EXISTS (SELECT FROM truncated)
    UNION ALL
    SELECT x.article_id, bool_or(x.content), ` + bm25Score("x") + `
    FROM repostings x JOIN idf i ON i.term = x.term CROSS JOIN stats s
    GROUP BY x.article_id
),`
	}
	return sql + `
query AS (
    -- Web-search syntax, which must hold when the query has quotes or a
    -- minus (@plain false); a question in plain words matches any of its
    -- words, and BM25 alone ranks it.
    SELECT websearch_to_tsquery('english', @q) AS q
),
qpos AS (
    SELECT u.lexeme AS term, pos FROM unnest(to_tsvector('` + searchConfig + `', @q)) u, unnest(u.positions) pos
),
pairs AS MATERIALIZED (
    -- Two words next to each other in the query, as a phrase.
    SELECT DISTINCT (quote_literal(a.term) || ' <-> ' || quote_literal(b.term))::tsquery AS phrase, ia.idf + ib.idf AS weight
    FROM qpos a JOIN qpos b ON b.pos = a.pos + 1 JOIN idf ia ON ia.term = a.term JOIN idf ib ON ib.term = b.term
),
best AS (
    SELECT article_id, score, content FROM ` + scored + ` ORDER BY score DESC, article_id LIMIT @limit * 8
),
boosted AS (
    SELECT b.article_id, b.content, b.score + ` + titleBonus + ` * coalesce((
        SELECT sum(pr.weight) FROM pairs pr WHERE a.title_terms @@ pr.phrase), 0) AS score
    FROM best b
    JOIN knowledge_base a ON a.tenant_id = @tenant AND a.article_id = b.article_id
    WHERE @plain OR a.search @@ (SELECT q FROM query)
),
kw AS (
    SELECT m.article_id, rank() OVER (ORDER BY m.score DESC, m.article_id) AS rank, m.score, m.content
    FROM boosted m
    ORDER BY m.score DESC, m.article_id
    LIMIT @limit * 4
)`
}

// semanticCTEs is the semantic half, ending in sem: up to 4×limit
// articles by their nearest passage, with its similarity and rank.
func semanticCTEs(band semanticBand) string {
	bits := fmt.Sprint(sketch.Bits)
	var near string
	switch band {
	case semAll:
		near = `
    -- Every passage's vector.
    SELECT p.article_id, p.passage_id, p.vector_embedding <=> @vector::vector AS distance
    FROM kb_passages p
    WHERE p.tenant_id = @tenant AND (NOT @public OR p.public)
      AND p.vector_embedding IS NOT NULL AND p.embedding_model = @model
    ORDER BY (p.vector_embedding <=> @vector::vector) + 0 -- (+ 0: never the HNSW index)
    LIMIT @limit * 8`
	case semSketches:
		near = `
    -- The nearest by the sketches of all the tenant's passages (from an
    -- index alone), then the nearest of those by their vectors.
    SELECT p.article_id, p.passage_id, p.vector_embedding <=> @vector::vector AS distance
    FROM (SELECT b.passage_id FROM kb_passages b
          WHERE b.tenant_id = @tenant AND (NOT @public OR b.public)
            AND b.vector_embedding IS NOT NULL AND b.vector_sketch IS NOT NULL AND b.embedding_model = @model
          ORDER BY (b.vector_sketch <~> @sketch::bit(` + bits + `)) + 0 -- (+ 0: every sketch, never the HNSW index)
          LIMIT @limit * ` + fmt.Sprint(sketchCandidates) + `) c
    JOIN kb_passages p ON p.tenant_id = @tenant AND p.passage_id = c.passage_id
    ORDER BY (p.vector_embedding <=> @vector::vector) + 0 -- (+ 0: the candidates give the order)
    LIMIT @limit * 8`
	case semHNSW:
		near = `
    -- The nearest by their sketches from the HNSW index of the sketches,
    -- iteratively, then the nearest of those by their vectors.
    SELECT p.article_id, p.passage_id, p.vector_embedding <=> @vector::vector AS distance
    FROM (SELECT b.passage_id FROM kb_passages b
          WHERE b.tenant_id = @tenant AND (NOT @public OR b.public)
            AND b.vector_sketch IS NOT NULL AND b.embedding_model = @model
          ORDER BY b.vector_sketch <~> @sketch::bit(` + bits + `)
          LIMIT @limit * ` + fmt.Sprint(sketchCandidates) + `) c
    JOIN kb_passages p ON p.tenant_id = @tenant AND p.passage_id = c.passage_id
    ORDER BY (p.vector_embedding <=> @vector::vector) + 0
    LIMIT @limit * 8`
	}
	return `near AS MATERIALIZED (` + near + `
),
nearest AS (
    SELECT DISTINCT ON (article_id) article_id, passage_id, distance FROM near
    WHERE distance ` + notNaN + `
    ORDER BY article_id, distance
),
sem AS (
    SELECT article_id, passage_id, rank() OVER (ORDER BY distance, article_id) AS rank, 1 - distance AS score
    FROM nearest ORDER BY distance, article_id LIMIT @limit * 4
)`
}

// fusedCTE is the hits: the first limit of one half's, or of both fused.
func fusedCTE(keyword, semantic bool) string {
	switch {
	case keyword && semantic:
		return `fused AS (
    SELECT coalesce(kw.article_id, sem.article_id) AS article_id, kw.rank AS kw_rank, coalesce(kw.content, false) AS content, sem.rank AS sem_rank,
           sem.score AS similarity, sem.passage_id,
           -- Each list's scores as standard scores (how far above the
           -- list's mean), summed; a hit missing from a list counts one
           -- standard deviation below that list's mean.
           coalesce((kw.score - avg(kw.score) OVER ()) / nullif(stddev_pop(kw.score) OVER (), 0), ` + missingZ + `)
           + ` + semWeight + ` * coalesce((sem.score - avg(sem.score) OVER ()) / nullif(stddev_pop(sem.score) OVER (), 0), ` + missingZ + `) AS score
    FROM kw FULL OUTER JOIN sem ON sem.article_id = kw.article_id
    -- Nearest is not near: an article only the semantic half found must be
    -- similar enough (it still counts in the ranks of the others).
    WHERE kw.article_id IS NOT NULL OR sem.score >= @min_similarity
    ORDER BY score DESC, article_id
    LIMIT @limit
)`
	case keyword:
		return `fused AS (
    SELECT kw.article_id, kw.rank AS kw_rank, kw.content, NULL::bigint AS sem_rank, NULL::float8 AS similarity, NULL::uuid AS passage_id, kw.score
    FROM kw
    ORDER BY kw.score DESC, kw.article_id
    LIMIT @limit
)`
	default:
		return `fused AS (
    -- Nearest is not near: a hit must be similar enough.
    SELECT sem.article_id, NULL::bigint AS kw_rank, false AS content, sem.rank AS sem_rank, sem.score AS similarity, sem.passage_id, sem.score
    FROM sem
    WHERE sem.score >= @min_similarity
    ORDER BY sem.score DESC, sem.article_id
    LIMIT @limit
)`
	}
}
