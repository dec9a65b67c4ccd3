package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/pgvector/pgvector-go"

	"github.com/onboardiq/onboardiq"
)

// planNode is a node of EXPLAIN (ANALYZE, FORMAT JSON).
type planNode struct {
	Type     string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Alias    string     `json:"Alias"`
	Index    string     `json:"Index Name"`
	Rows     float64    `json:"Actual Rows"`
	Loops    float64    `json:"Actual Loops"`
	Plans    []planNode `json:"Plans"`
}

func (n planNode) walk(f func(planNode)) {
	f(n)
	for _, c := range n.Plans {
		c.walk(f)
	}
}

// searchTenant opens a pool of its own on the test database (closed when t
// ends) and creates a tenant named slug in it.
func searchTenant(t *testing.T, slug string) (*DB, uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, testAppURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	res, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: slug, Slug: slug, AdminEmail: "admin@" + slug + ".test"})
	if err != nil {
		t.Fatal(err)
	}
	return db, res.Tenant.ID
}

// TestLargeTenantSearchReadsK: in a tenant above the exact-scan size, a
// hybrid search for a word every article has reads no table in proportion
// to the tenant: the statistics are one row, a term's postings are read
// best first up to searchPostingsPerTerm, the vectors come from the HNSW
// index, and the hits are joined back by key. It holds for the plan made
// for the values and for the generic plan a prepared statement switches
// to after five runs.
func TestLargeTenantSearchReadsK(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, tenant := searchTenant(t, "large")
	// More articles than a term's postings read, and (two passages each)
	// more passages than a tenant whose every vector is compared.
	const articles = max(searchPostingsPerTerm, vectorCandidates/2) + 100
	r := rand.New(rand.NewPCG(7, 8))
	words := strings.Fields("invoice billing sso saml okta import csv webhook export report dashboard calendar holiday reminder survey")
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		for i := range articles {
			body := fmt.Sprintf("## Onboarding step %d\n\nOnboarding covers %s and %s.\n\n## Details\n\nSee %s.", i,
				words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))])
			if _, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: fmt.Sprintf("Article %d", i), Content: body, Visibility: onboardiq.VisibilityPublic}); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT passage_id FROM kb_passages WHERE tenant_id = $1`, tenant)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			v := unitVector(r)
			if _, err := tx.Exec(ctx, `UPDATE kb_passages SET vector_embedding = $3, vector_sketch = $4, embedding_model = 'test' WHERE tenant_id = $1 AND passage_id = $2`,
				tenant, id, pgvector.NewVector(v), sketchOf(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	q := "onboarding invoice"
	// The same tenant below the exact-scan size: its passages' sketches
	// are read from the index alone, and only the closest ones' vectors.
	var exact []planNode
	err = db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		for _, set := range append(searchSettings, iterativeScan...) {
			if _, err := tx.Exec(ctx, set); err != nil {
				return err
			}
		}
		var raw []byte
		v := unitVector(r)
		st := searchStatements[searchBandsKey{kwBest, semSketches}]
		if err := tx.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+st.sql, st.bind(searchValues(tenant, q, v))...).Scan(&raw); err != nil {
			return err
		}
		var out []struct{ Plan planNode }
		if err := json.Unmarshal(raw, &out); err != nil {
			return err
		}
		exact = append(exact, out[0].Plan)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var sketches, vectors float64
	exact[0].walk(func(n planNode) {
		if n.Index == "kb_passages_sketch_hnsw_idx" && n.Loops > 0 {
			t.Errorf("the small tenant's exact scan used the HNSW index")
		}
		if n.Relation == "kb_passages" && n.Index == "kb_passages_sketch_idx" {
			sketches += n.Rows * n.Loops
		}
		// (bp: the hits' best passages, read for their text)
		if n.Relation == "kb_passages" && n.Index == "kb_passages_pkey" && n.Alias != "bp" {
			vectors += n.Rows * n.Loops
		}
	})
	if sketches != 2*articles || vectors != 10*sketchCandidates {
		t.Errorf("the exact scan compared %.0f sketches and %.0f vectors; want all %d passages' sketches and %d vectors", sketches, vectors, 2*articles, 10*sketchCandidates)
	}

	for _, mode := range []string{"auto", "force_generic_plan"} {
		var plan []planNode
		err := db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error {
			for _, set := range append(searchSettings, iterativeScan...) {
				if _, err := tx.Exec(ctx, set); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = "+mode); err != nil {
				return err
			}
			var raw []byte
			v := unitVector(r)
			st := searchStatements[searchBandsKey{kwBest, semHNSW}]
			err := tx.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+st.sql, st.bind(searchValues(tenant, q, v))...).Scan(&raw)
			if err != nil {
				return err
			}
			if testing.Verbose() {
				t.Logf("%s", raw)
			}
			var out []struct {
				Plan planNode
				JIT  any
			}
			if err := json.Unmarshal(raw, &out); err != nil {
				return err
			}
			for _, o := range out {
				plan = append(plan, o.Plan)
				if o.JIT != nil {
					t.Errorf("%s: the search was compiled (JIT): %v", mode, o.JIT)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		tables := map[string]bool{"knowledge_base": true, "kb_terms": true, "kb_passages": true, "kb_df": true, "kb_stats": true}
		sawHNSW := false
		for _, p := range plan {
			p.walk(func(n planNode) {
				if n.Index == "kb_passages_sketch_hnsw_idx" && n.Loops > 0 {
					sawHNSW = true
				}
				if !tables[n.Relation] || n.Loops == 0 {
					return
				}
				if n.Type == "Seq Scan" || n.Type == "Bitmap Heap Scan" {
					t.Errorf("%s: %s on %s", mode, n.Type, n.Relation)
				}
				if read := n.Rows * n.Loops; read >= articles {
					t.Errorf("%s: %s on %s (%s) read %.0f rows, as many as the tenant's %d articles", mode, n.Type, n.Relation, n.Index, read, articles)
				}
			})
		}
		if !sawHNSW {
			t.Errorf("%s: the large tenant's semantic half did not use the HNSW index", mode)
		}
	}
}

// searchValues are a hybrid search's arguments by name (searchStatement.bind),
// for a test's own EXPLAIN of a search statement: every article, ten
// hits, vectors of the model "test".
func searchValues(tenant uuid.UUID, q string, v []float32) map[string]any {
	return map[string]any{"tenant": tenant, "q": q, "public": false, "limit": 10, "plain": anyWord(q),
		"min_similarity": MinSimilarity, "model": "test", "vector": pgvector.NewVector(v), "sketch": sketchOf(v)}
}

func unitVector(r *rand.Rand) []float32 {
	v := make([]float32, onboardiq.EmbeddingDimensions)
	var n float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		n += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(n)
	}
	return v
}

// TestSearchFindsNearestWhereSignsMislead: a passage whose vector is by
// far the nearest to the query's, though 300 of its signs differ from the
// query's, against more decoys than the candidates of one result
// (sketchCandidates) whose signs all match the query's and whose vectors
// do not. Candidates kept by the vectors' own signs were decoys (the
// search before migration 00040 found one); by their sketches, every
// branch finds the nearest: the sketches' HNSW index (a tenant above
// exactScanMax), a small tenant's comparison of every vector, and
// SearchParams.Exact, the bench's exact answer.
func TestSearchFindsNearestWhereSignsMislead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, tenant := searchTenant(t, "signs")
	const dims = onboardiq.EmbeddingDimensions
	query := make([]float32, dims)
	for i := range query {
		query[i] = 1
	}
	// The nearest (cosine 0.78): most dimensions as the query's, but 300
	// of them slightly negative.
	nearest := slices.Clone(query)
	for i := range 300 {
		nearest[i] = -0.01
	}
	// The decoys: every sign the query's, and their weight in one
	// dimension (cosine 0.30).
	vectors := map[string][]float32{"Nearest": nearest}
	for d := range sketchCandidates + 1 {
		v := make([]float32, dims)
		for i := range v {
			v[i] = 0.01
		}
		v[d] = 1
		vectors[fmt.Sprintf("Decoy %d", d)] = v
	}
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		for title, v := range vectors {
			id, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: title, Content: "A short article.", Visibility: onboardiq.VisibilityPublic})
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE kb_passages SET vector_embedding = $3, vector_sketch = $4, embedding_model = 'test' WHERE tenant_id = $1 AND article_id = $2`,
				tenant, id, pgvector.NewVector(v), sketchOf(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []SearchParams{{ExactScanMax: -1}, {}, {Exact: true}} {
		p.Vector, p.Model, p.Mode, p.Limit = query, "test", onboardiq.SearchSemantic, 1
		var hits []onboardiq.ArticleHit
		err := db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error {
			for _, set := range iterativeScan {
				if _, err := tx.Exec(ctx, set); err != nil {
					return err
				}
			}
			var err error
			hits, err = tx.SearchArticles(ctx, p)
			return err
		})
		if err != nil || len(hits) != 1 || hits[0].Similarity == nil {
			t.Fatalf("%+v: %v, %v", p, hits, err)
		}
		if title, sim := hits[0].Title, *hits[0].Similarity; title != "Nearest" || sim < 0.77 {
			t.Errorf("exact scan max %d, exact %v: the search found %q (similarity %.2f), want the nearest vector", p.ExactScanMax, p.Exact, title, sim)
		}
	}
}

// TestCommonTermsAreScoredWhole: where each of a query's terms is in more
// articles than a search reads postings of (searchPostingsPerTerm), an
// article among one term's best postings but not among the other's is
// scored without the other, and can lose to articles that have only one
// of the terms. The best articles so far are scored again from all their
// postings, so keyword search finds what BM25 over every posting
// (SearchParams.Exact) finds.
func TestCommonTermsAreScoredWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, tenant := searchTenant(t, "common")
	// Every article 34 words long, no title with either word. "invoice" is
	// in 420 articles, the 20 "Both" first by impact; "reminder" in 450,
	// the 400 best of which are the "Once" and "Fill" articles: the "Both"
	// articles' reminder postings are not read.
	kinds := []struct {
		name               string
		n, invoice, remind int
	}{
		{"Both", 20, 6, 2},  // BM25 best: both words
		{"Once", 30, 0, 30}, // a better score from one word than "Both" has from its first
		{"Fill", 400, 0, 3}, // the rest of the reminder postings read
		{"More", 400, 1, 0}, // more invoice postings than are read
	}
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		for _, k := range kinds {
			body := strings.Repeat("invoice ", k.invoice) + strings.Repeat("reminder ", k.remind) + strings.Repeat("text ", 34-k.invoice-k.remind)
			for i := range k.n {
				if _, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: fmt.Sprintf("%s %d", k.name, i), Content: body, Visibility: onboardiq.VisibilityPublic}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got, want []onboardiq.ArticleHit
	err = db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		p := SearchParams{Q: "invoice reminder", Mode: onboardiq.SearchKeyword, Limit: 10}
		var err error
		if got, err = tx.SearchArticles(ctx, p); err != nil {
			return err
		}
		p.Exact = true
		want, err = tx.SearchArticles(ctx, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || len(want) != 10 {
		t.Fatalf("%d hits, %d by every posting", len(got), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(want[i].Title, "Both") {
			t.Fatalf("BM25 over every posting ranks %q at %d: the data set does not hold what it should", want[i].Title, i)
		}
		if !strings.HasPrefix(got[i].Title, "Both") || math.Abs(got[i].Score-want[i].Score) > 1e-9 {
			t.Errorf("hit %d is %q (%.4f), BM25 over every posting says %q (%.4f)", i, got[i].Title, got[i].Score, want[i].Title, want[i].Score)
		}
	}
}
