package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/demo"
	"github.com/onboardiq/onboardiq/internal/excerpt"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// embeddedDemo seeds the demo workspace in a database of its own and
// embeds its articles with the offline embedder.
func embeddedDemo(t *testing.T) (*testdb.DB, uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	d := testdb.New(t)
	res, err := demo.Seed(ctx, d.App, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.Reembed(ctx, d.App, ai.Local{}, []uuid.UUID{res.TenantID}, nil); err != nil {
		t.Fatal(err)
	}
	return d, res.TenantID
}

// TestSearchFindsNothingForNonsense: a query about nothing in the
// knowledge base finds nothing in any mode, where the nearest articles,
// however far, used to fill the list; a real question still finds its
// article, and every hit only the semantic half found is similar enough.
func TestSearchFindsNothingForNonsense(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, tenant := embeddedDemo(t)
	search := func(q string, mode onboardiq.SearchMode) []onboardiq.ArticleHit {
		t.Helper()
		vecs, _ := ai.Local{}.Embed(ctx, []string{q})
		var hits []onboardiq.ArticleHit
		err := d.App.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			var err error
			hits, err = tx.SearchArticles(ctx, postgres.SearchParams{Q: q, Vector: vecs[0], Model: ai.LocalModel, Mode: mode, Limit: 10})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	modes := []onboardiq.SearchMode{onboardiq.SearchHybrid, onboardiq.SearchSemantic, onboardiq.SearchKeyword}
	for _, q := range []string{"zebra xylophone", "blorf snazzle", "banana smoothie recipe", "purple elephant dancing"} {
		for _, mode := range modes {
			if hits := search(q, mode); len(hits) != 0 {
				t.Errorf("%q, %s: %d hits, the first %q (similarity %v); want none", q, mode, len(hits), hits[0].Title, similarity(hits[0].Similarity))
			}
		}
	}
	for _, mode := range modes {
		hits := search("How do I connect Okta for single sign-on?", mode)
		if len(hits) == 0 || !strings.Contains(hits[0].Title, "sign-on") {
			t.Errorf("the Okta question, %s: %+v", mode, hits)
			continue
		}
		for _, h := range hits {
			if h.KeywordRank == nil && (h.Similarity == nil || *h.Similarity < postgres.MinSimilarity) {
				t.Errorf("%s: %q is in the list with similarity %v and no keyword match", mode, h.Title, similarity(h.Similarity))
			}
		}
	}
}

// TestSearchIsPlannedOnce: a connection plans each search statement (one
// for each mode and size of tenant) once and runs that plan (the generic
// plan) for every audience and question. Left to choose, PostgreSQL planned it at every execution: a
// plan made for one mode costs less than the generic plan, so the generic
// plan never won, and planning took a third of the search's time. On
// Citus the statement is planned at every execution (it cannot distribute
// the generic plan), and the search still finds.
func TestSearchIsPlannedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, tenant := embeddedDemo(t)
	// One connection: prepared statements and their plans are its own.
	one, err := postgres.Open(ctx, d.AppURL+"&pool_max_conns=1")
	if err != nil {
		t.Fatal(err)
	}
	testdb.Cleanup(t, one.Close)
	searches := 0
	for _, q := range []string{"How do I connect Okta for single sign-on?", "invite my team", "zebra xylophone"} {
		vecs, _ := ai.Local{}.Embed(ctx, []string{q})
		for _, mode := range []onboardiq.SearchMode{onboardiq.SearchKeyword, onboardiq.SearchSemantic, onboardiq.SearchHybrid} {
			for _, public := range []bool{false, true} {
				var hits []onboardiq.ArticleHit
				err := one.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
					var err error
					hits, err = tx.SearchArticles(ctx, postgres.SearchParams{Q: q, Vector: vecs[0], Model: ai.LocalModel, Mode: mode, Limit: 10, PublicOnly: public})
					return err
				})
				if err != nil {
					t.Fatalf("%q, %s: %v", q, mode, err)
				}
				if strings.Contains(q, "Okta") && (len(hits) == 0 || !strings.Contains(hits[0].Title, "sign-on")) {
					t.Errorf("the Okta question, %s, public only %v: %+v", mode, public, hits)
				}
				searches++
			}
		}
	}
	var generic, custom int64
	err = one.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `
SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements
WHERE statement LIKE '%fused AS (%' AND statement NOT LIKE '%pg_prepared_statements%'`).Scan(&generic, &custom)
	})
	if err != nil {
		t.Fatalf("the search's prepared statements: %v", err)
	}
	if testdb.Citus() {
		if custom != int64(searches) {
			t.Errorf("on Citus: %d generic and %d custom plans for %d searches; want every one planned for its values", generic, custom, searches)
		}
		return
	}
	if generic != int64(searches) || custom != 0 {
		t.Errorf("%d generic and %d custom plans for %d searches; want the generic plan every time", generic, custom, searches)
	}
}

// TestSearchExcerpt: the excerpt marks the words that matched, and only
// them: guillemets and the private-use characters that mark matches inside
// the database are, in an article, text.
func TestSearchExcerpt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	tenant := seedTenant(t, d.App, "excerpt")
	content := "Prices are in «euros». A stray \uE000mark\uE001 here. **Rotate** the webhook <b>secret</b> every quarter."
	err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: "Webhook secrets", Content: content, Visibility: "public"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var hits []onboardiq.ArticleHit
	err = d.App.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		hits, err = tx.SearchArticles(ctx, postgres.SearchParams{Q: "rotate webhook secrets", Mode: onboardiq.SearchKeyword, Limit: 10})
		return err
	})
	if err != nil || len(hits) != 1 {
		t.Fatalf("%v, %+v", err, hits)
	}
	var matched []string
	for _, p := range hits[0].Excerpt {
		if p.Match {
			matched = append(matched, p.Text)
		}
	}
	if strings.Join(matched, ",") != "Rotate,webhook,secret" {
		t.Errorf("matched parts %q, want Rotate, webhook, secret: %+v", matched, hits[0].Excerpt)
	}
	// (ts_headline leaves out HTML tags.)
	want := "Prices are in «euros». A stray mark here. **«Rotate»** the «webhook»  «secret»  every quarter"
	if hits[0].Snippet != want {
		t.Errorf("snippet\n %q\nwant %q", hits[0].Snippet, want)
	}
}

func similarity(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

// TestExcerptStemsAsTheDatabase: the excerpt (cut in Go, internal/excerpt)
// marks the words whose English stems are the query's lexemes, so its
// stemmer must stem as PostgreSQL's english configuration does: every word
// of the demo knowledge base, stemmed both ways, is the same stem.
func TestExcerptStemsAsTheDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	articles, err := demo.Articles()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var words []string
	for _, a := range articles {
		for _, w := range strings.FieldsFunc(a.Title+" "+a.Content, func(r rune) bool { return !unicode.IsLetter(r) }) {
			if w = strings.ToLower(w); !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
	}
	rows, err := d.App.Pool.Query(ctx, `SELECT w, (ts_lexize('english_stem', w))[1] FROM unnest($1::text[]) w`, words)
	if err != nil {
		t.Fatal(err)
	}
	stems := 0
	for rows.Next() {
		var w string
		var stem *string // none for a stop word
		if err := rows.Scan(&w, &stem); err != nil {
			t.Fatal(err)
		}
		if stem == nil {
			continue
		}
		stems++
		if got := excerpt.Of(w, []string{*stem}); len(got) != 1 || !got[0].Match {
			t.Errorf("%q: the database stems it %q, the excerpt does not match it", w, *stem)
		}
	}
	if rows.Err() != nil || stems < 1000 {
		t.Fatalf("%d words stemmed (%v), want the demo's thousand and more", stems, rows.Err())
	}
}
