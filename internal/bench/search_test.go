package bench

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// setup loads a small data set into a fresh database and returns the store,
// the handle for exact scans, and the tenants.
func setup(t testing.TB, d DataSet) (*postgres.DB, *postgres.DB, []Tenant) {
	t.Helper()
	tdb := testdb.New(t)
	ctx := context.Background()
	exact, err := postgres.Open(ctx, tdb.AppURL+"&default_query_exec_mode=exec")
	if err != nil {
		t.Fatal(err)
	}
	testdb.Cleanup(t, exact.Close)
	tenants, stats, err := Load(ctx, tdb.App, ai.Local{}, d, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Inserted != d.Articles || stats.Embedded != d.Articles || stats.Reused != 0 {
		t.Fatalf("load: %+v", stats)
	}
	return tdb.App, exact, tenants
}

// TestExactAnswerIsTheNearestByCosine: the exact answer recall is measured
// against is, for semantic search, the k articles of the tenant nearest to
// the question by cosine similarity computed here in Go over every article
// (as similar as search requires), best first; and the product's search on a
// data set this small (where the index finds everything) agrees with it.
func TestExactAnswerIsTheNearestByCosine(t *testing.T) {
	t.Parallel()
	d := DataSet{Corpus: Corpus{Seed: 3}, Tenants: 2, Articles: 120, Skewed: true}
	db, exact, tenants := setup(t, d)
	ctx := context.Background()
	e := ai.Local{}
	for _, tn := range tenants {
		// Every article of the tenant, embedded here from its stored text.
		var ids []uuid.UUID
		var texts []string
		err := db.InTenantReadOnly(ctx, tn.ID, func(ctx context.Context, tx *postgres.Tx) error {
			rows, err := tx.Query(ctx, `SELECT article_id, title || E'\n\n' || content FROM knowledge_base WHERE tenant_id = $1`, tn.ID)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id uuid.UUID
				var text string
				if err := rows.Scan(&id, &text); err != nil {
					return err
				}
				ids, texts = append(ids, id), append(texts, text)
			}
			return rows.Err()
		})
		if err != nil || len(ids) != tn.Articles {
			t.Fatalf("tenant %d: %d articles, want %d (%v)", tn.Index, len(ids), tn.Articles, err)
		}
		vecs, _ := e.Embed(ctx, texts)
		for q := range 15 {
			text, _ := d.Corpus.Query(tn.Index, tn.Articles, q)
			qv, _ := e.Embed(ctx, []string{text})
			var brute []Scored
			for i, v := range vecs {
				if s := ai.Cosine(qv[0], v); s >= postgres.MinSimilarity {
					brute = append(brute, Scored{ID: ids[i], Score: s})
				}
			}
			slices.SortFunc(brute, func(a, b Scored) int { return -cmpFloat(a.Score, b.Score) })
			brute = brute[:min(10, len(brute))]

			p := params(e, onboardiq.SearchSemantic, query{tenant: tn, text: text, vector: qv[0]}, 10)
			want, err := exactAnswer(ctx, exact, p, tn.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != len(brute) {
				t.Fatalf("%q: exact answer has %d articles, brute force %d", text, len(want), len(brute))
			}
			for i := range want {
				if math.Abs(want[i].Score-brute[i].Score) > 1e-5 {
					t.Fatalf("%q: exact answer %d scores %v, brute force %v", text, i, want[i].Score, brute[i].Score)
				}
			}
			if r := Recall(want, brute, 10); r != 1 {
				t.Fatalf("%q: exact answer's recall against brute force %v", text, r)
			}
			hits, err := search(ctx, db, p, tn.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]Scored, len(hits))
			for i, h := range hits {
				got[i] = Scored{ID: h.ID, Score: h.Score}
			}
			if r := Recall(got, brute, 10); r != 1 || len(hits) != len(brute) {
				t.Errorf("%q: search found %d with recall %v against brute force's %d", text, len(hits), r, len(brute))
			}
			// An answer from another tenant finds none of this one's.
			if r := Recall(got, []Scored{{ID: uuid.New(), Score: 2}}, 10); r != 0 {
				t.Errorf("recall of a foreign answer %v", r)
			}
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestSearchBenchmark runs the whole benchmark at a tiny scale: every mode
// and group is measured, percentiles are ordered, and on a data set this
// small search and the exact scan agree, and no search returns fewer
// results than the exact scan.
func TestSearchBenchmark(t *testing.T) {
	t.Parallel()
	d := DataSet{Corpus: Corpus{Seed: 1}, Tenants: 4, Articles: 160, Skewed: true}
	db, exact, tenants := setup(t, d)
	opts := SearchOptions{Data: d, Clients: 2, K: 10, Queries: 30, Rounds: 2, RecallQueries: 8,
		Modes: []onboardiq.SearchMode{onboardiq.SearchKeyword, onboardiq.SearchSemantic, onboardiq.SearchHybrid}}
	results, err := Search(context.Background(), db, exact, ai.Local{}, tenants, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 9 {
		t.Fatalf("%d results, want 3 modes × 3 groups", len(results))
	}
	sizes := Sizes(160, 4, true)
	for _, r := range results {
		if r.Searches != 60 || r.ReqPerSec <= 0 || r.P50Millis <= 0 || r.P50Millis > r.P95Millis || r.P95Millis > r.P99Millis {
			t.Errorf("%s %s: timings %+v", r.Mode, r.Group, r)
		}
		// Small tenants have fewer than k articles about some questions, so
		// a search may rightly return fewer than k; never fewer than the
		// exact scan, and by keyword at least the article it was made from.
		if r.RecallAt10 != 1 || r.Short != 0 || r.MinResults > 10 || r.Mode != "semantic" && r.MinResults < 1 {
			t.Errorf("%s %s: recall %v, short %d, min results %d", r.Mode, r.Group, r.RecallAt10, r.Short, r.MinResults)
		}
		want := map[string]struct{ tenants, articles, recall int }{"all": {4, 160, 8}, "typical": {1, sizes[2], 8}, "largest": {1, sizes[0], 8}}[r.Group]
		if r.Tenants != want.tenants || r.Articles != want.articles || r.RecallQueries != want.recall {
			t.Errorf("%s %s: %d tenants, %d articles, %d recall queries; want %+v", r.Mode, r.Group, r.Tenants, r.Articles, r.RecallQueries, want)
		}
	}
}

// TestKeptDataIsReused: a second load with the same parameters inserts
// nothing; one that stopped half way is completed; Remove takes it away.
func TestKeptDataIsReused(t *testing.T) {
	t.Parallel()
	tdb := testdb.New(t)
	ctx := context.Background()
	d := DataSet{Corpus: Corpus{Seed: 5}, Tenants: 2, Articles: 30}
	// A first run that stopped after tenant 0's first articles: load
	// a data set of the same name by hand.
	first := Tenant{Index: 0, Slug: d.Slug(0), Articles: 4}
	if _, err := loadTenant(ctx, tdb.App, ai.Local{}, d, &first); err != nil {
		t.Fatal(err)
	}
	_, stats, err := Load(ctx, tdb.App, ai.Local{}, d, 1, nil)
	if err != nil || stats.Inserted != 26 || stats.Embedded != 26 || stats.Reused != 0 {
		t.Fatalf("completing: %+v %v", stats, err)
	}
	tenants, stats, err := Load(ctx, tdb.App, ai.Local{}, d, 2, nil)
	if err != nil || stats.Inserted != 0 || stats.Embedded != 0 || stats.Reused != 2 || tenants[1].Articles != 15 {
		t.Fatalf("again: %+v %+v %v", stats, tenants, err)
	}
	if n, err := Remove(ctx, tdb.App, d); n != 2 || err != nil {
		t.Fatalf("remove: %d %v", n, err)
	}
	if _, err := tdb.App.TenantIDBySlug(ctx, d.Slug(0)); onboardiq.ErrorCode(err) != onboardiq.ENOTFOUND {
		t.Fatalf("tenant left: %v", err)
	}
}

// BenchmarkSearch times one search (its tenant transaction included) of a
// tenant of 431 articles among 1,000 (the largest of four), in each mode.
func BenchmarkSearch(b *testing.B) {
	d := DataSet{Corpus: Corpus{Seed: 1}, Tenants: 4, Articles: 1000, Skewed: true}
	db, _, tenants := setup(b, d)
	opts := SearchOptions{Data: d, RecallQueries: 0}
	groups, err := makeGroups(context.Background(), ai.Local{}, opts, tenants)
	if err != nil {
		b.Fatal(err)
	}
	qs := groups[2].queries // the largest tenant's
	for _, mode := range []onboardiq.SearchMode{onboardiq.SearchKeyword, onboardiq.SearchSemantic, onboardiq.SearchHybrid} {
		b.Run(string(mode), func(b *testing.B) {
			ctx := context.Background()
			i := 0
			for b.Loop() {
				q := qs[i%len(qs)]
				i++
				if _, err := search(ctx, db, params(ai.Local{}, mode, q, 10), q.tenant.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
