package bench

import (
	"context"
	"math"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// setup loads a small data set into a fresh database and returns the
// store, the handle for exact scans, and the tenants.
func setup(t testing.TB, d DataSet) (*postgres.DB, *postgres.DB, []Tenant) {
	t.Helper()
	return load(t, testdb.New(t), d)
}

func load(t testing.TB, tdb *testdb.DB, d DataSet) (*postgres.DB, *postgres.DB, []Tenant) {
	t.Helper()
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
	if stats.Inserted != d.Articles || stats.Embedded < d.Articles || stats.Reused != 0 {
		t.Fatalf("load: %+v", stats)
	}
	return tdb.App, exact, tenants
}

// TestExactAnswerNeedsNoIndex: the exact answer recall is measured against
// is what search returns when there is nothing to approximate with: the
// same articles with the same scores, in every mode, as the product's search
// after every vector index is dropped, in tenants small enough (below
// 1,000 passages) that the search compares every passage's vector. (A
// larger tenant's search also approximates by the passages' sketches,
// which TestMiddleTenantRecall covers.)
func TestExactAnswerNeedsNoIndex(t *testing.T) {
	t.Parallel()
	d := DataSet{Corpus: Corpus{Seed: 3}, Tenants: 2, Articles: 120, Skewed: true}
	tdb := testdb.New(t)
	_, exact, tenants := load(t, tdb, d)
	ctx := context.Background()
	e := ai.Local{}
	modes := []onboardiq.SearchMode{onboardiq.SearchKeyword, onboardiq.SearchSemantic, onboardiq.SearchHybrid}
	type asked struct {
		p      postgres.SearchParams
		tenant uuid.UUID
		want   []Scored
	}
	var all []asked
	for _, tn := range tenants {
		for q := range 10 {
			text, _ := d.Corpus.Query(tn.Index, tn.Articles, q)
			v, _ := e.Embed(ctx, []string{text})
			for _, m := range modes {
				p := params(e, m, query{tenant: tn, text: text, vector: v[0]}, 10)
				want, err := exactAnswer(ctx, exact, p, tn.ID)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, asked{p, tn.ID, want})
			}
		}
	}
	super, err := pgx.Connect(ctx, tdb.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	rows, err := super.Query(ctx, `SELECT c.oid::regclass::text FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE am.amname IN ('hnsw', 'ivfflat')`)
	if err != nil {
		t.Fatal(err)
	}
	indexes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(indexes) == 0 {
		t.Fatalf("vector indexes: %v %v", indexes, err)
	}
	for _, ix := range indexes {
		if _, err := super.Exec(ctx, "DROP INDEX "+ix); err != nil {
			t.Fatal(err)
		}
	}
	plain := tdb.Open(t) // no statement planned while the indexes were there
	short := 0
	for _, a := range all {
		hits, err := search(ctx, plain, a.p, a.tenant)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != len(a.want) {
			t.Fatalf("%s %q: %d hits without an index, the exact answer %d", a.p.Mode, a.p.Q, len(hits), len(a.want))
		}
		for i, h := range hits {
			if math.Abs(h.Score-a.want[i].Score) > scoreTie {
				t.Fatalf("%s %q: hit %d scores %v without an index, %v in the exact answer", a.p.Mode, a.p.Q, i, h.Score, a.want[i].Score)
			}
		}
		got := make([]Scored, len(hits))
		for i, h := range hits {
			got[i] = Scored{ID: h.ID, Score: h.Score}
		}
		if r := Recall(got, a.want, 10); r != 1 {
			t.Errorf("%s %q: recall %v of the search without an index", a.p.Mode, a.p.Q, r)
		}
		if len(a.want) < 10 {
			short++
		}
	}
	if short == len(all) {
		t.Error("no question has ten answers: the data set asks nothing of the search")
	}
}

// TestMiddleTenantRecall: a tenant above 1,000 passages, whose semantic
// search compares the full vectors only of the passages nearest by their
// sketches, finds the exact answer's ten nearest articles at recall 0.95
// or more, on texts embedded by the offline embedder. (Candidates kept by
// the vectors' own signs found about half.)
func TestMiddleTenantRecall(t *testing.T) {
	t.Parallel()
	d := DataSet{Corpus: Corpus{Seed: 4}, Tenants: 1, Articles: 360}
	db, exact, tenants := setup(t, d)
	ctx := context.Background()
	tn := tenants[0]
	var passages int
	if err := db.InTenantReadOnly(ctx, tn.ID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT passages FROM kb_stats WHERE tenant_id = $1`, tn.ID).Scan(&passages)
	}); err != nil {
		t.Fatal(err)
	}
	if passages <= 1000 {
		t.Fatalf("%d passages: the tenant compares every vector", passages)
	}
	e := ai.Local{}
	const questions = 30
	var sum float64
	for q := range questions {
		text, _ := d.Corpus.Query(tn.Index, tn.Articles, q)
		v, _ := e.Embed(ctx, []string{text})
		p := params(e, onboardiq.SearchSemantic, query{tenant: tn, text: text, vector: v[0]}, 10)
		want, err := exactAnswer(ctx, exact, p, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		hits, err := search(ctx, db, p, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]Scored, len(hits))
		for i, h := range hits {
			got[i] = Scored{ID: h.ID, Score: h.Score}
		}
		sum += Recall(got, want, 10)
	}
	if r := sum / questions; r < 0.95 {
		t.Errorf("semantic recall@10 %.3f over %d passages, want 0.95 or more", r, passages)
	} else {
		t.Logf("semantic recall@10 %.3f over %d passages", r, passages)
	}
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
	if err != nil || stats.Inserted != 26 || stats.Embedded < 26 || stats.Reused != 0 {
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
