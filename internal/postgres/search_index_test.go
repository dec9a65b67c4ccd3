package postgres_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/pgvector/pgvector-go"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/sketch"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

func keywordSearch(t *testing.T, d *testdb.DB, tenant uuid.UUID, q string, publicOnly bool) []onboardiq.ArticleHit {
	t.Helper()
	var hits []onboardiq.ArticleHit
	err := d.App.InTenantReadOnly(context.Background(), tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		hits, err = tx.SearchArticles(ctx, postgres.SearchParams{Q: q, Mode: onboardiq.SearchKeyword, Limit: 10, PublicOnly: publicOnly})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// emptyTenant creates a tenant with its admin and nothing else.
func emptyTenant(t *testing.T, d *testdb.DB, slug string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if err := d.App.InTenant(context.Background(), id, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.CreateTenant(ctx, onboardiq.NewTenant{Name: slug, Slug: slug, AdminEmail: "admin@" + slug + ".example"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// principalCtx is a context signed in as the tenant's admin.
func principalCtx(t *testing.T, d *testdb.DB, tenant uuid.UUID) context.Context {
	t.Helper()
	ctx := context.Background()
	var user uuid.UUID
	if err := d.App.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND role = 'admin' LIMIT 1`, tenant).Scan(&user)
	}); err != nil {
		t.Fatal(err)
	}
	return onboardiq.NewContextWithPrincipal(ctx, &onboardiq.Principal{TenantID: tenant, UserID: user, Role: onboardiq.RoleAdmin})
}

// TestKeywordSearchIsBM25: three articles whose titles share no word with
// the query, scored by hand with BM25 (k1 1.2, b 0.75) over the tenant's
// own statistics: a title word counts three times in an article's length.
func TestKeywordSearchIsBM25(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	tenant := emptyTenant(t, d, "bm25")
	ids := map[string]uuid.UUID{}
	err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		for _, a := range []struct{ title, content string }{
			{"Alpha", "saml sso"},
			{"Beta", "sso sso saml saml okta"},
			{"Gamma", "okta okta okta"},
		} {
			id, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: a.title, Content: a.content, Visibility: onboardiq.VisibilityPublic})
			if err != nil {
				return err
			}
			ids[a.title] = id
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Lengths: the title's one word counts 3: 5, 8 and 6; average 19/3.
	// idf(t) = ln(1 + (N − n + 0.5)/(n + 0.5)), N = 3; saml and sso are in
	// two articles each.
	idf := math.Log(1 + (3-2+0.5)/(2+0.5))
	part := func(tf, length float64) float64 {
		return idf * tf * 2.2 / (tf + 1.2*(0.25+0.75*length/(19.0/3)))
	}
	want := map[string]float64{"Alpha": 2 * part(1, 5), "Beta": 2 * part(2, 8)}
	hits := keywordSearch(t, d, tenant, "sso saml", false)
	if len(hits) != 2 || hits[0].ID != ids["Beta"] || hits[1].ID != ids["Alpha"] {
		t.Fatalf("hits %+v, want Beta then Alpha", hits)
	}
	for _, h := range hits {
		if math.Abs(h.Score-want[h.Title]) > 1e-4 {
			t.Errorf("%s scores %.6f, by hand %.6f", h.Title, h.Score, want[h.Title])
		}
	}
}

// TestKeywordSearchHoldsWebSyntax: a plain question matches any of its
// words, but a minus excludes and quotes ask for the phrase, in that order.
func TestKeywordSearchHoldsWebSyntax(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	tenant := emptyTenant(t, d, "websyntax")
	err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		for _, a := range []struct{ title, content string }{
			{"Okta", "Single sign-on with okta."},
			{"Azure", "Single sign-on with azure ad."},
			{"Billing", "Invoices and payment."},
		} {
			if _, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: a.title, Content: a.content, Visibility: onboardiq.VisibilityPublic}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"sign-on okta azure", []string{"Azure", "Okta"}},
		{"sign-on -okta", []string{"Azure"}},
		{`"azure ad"`, []string{"Azure"}},
		{`"ad azure"`, nil},
	} {
		var got []string
		for _, h := range keywordSearch(t, d, tenant, c.q, false) {
			got = append(got, h.Title)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.q, got, c.want)
		}
	}
}

// TestKeywordIndexFollowsTheArticle: the postings change with the article
// in the same transaction (title, content, tags, visibility, deletion),
// and a passage whose text did not change keeps its vector, unless the
// article's title changed.
func TestKeywordIndexFollowsTheArticle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	tenant := emptyTenant(t, d, "follow")
	var id uuid.UUID
	err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		id, err = tx.CreateArticle(ctx, onboardiq.NewArticle{Title: "Rotate keys", Content: "## Steps\n\nCreate a new key.\n\n## Later\n\nRevoke the old one.", Visibility: onboardiq.VisibilityPublic})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	found := func(q string, publicOnly bool) bool {
		hits := keywordSearch(t, d, tenant, q, publicOnly)
		return len(hits) == 1 && hits[0].ID == id
	}
	if !found("revoke", true) || found("zeppelin", false) {
		t.Fatal("a new article is not searchable at once")
	}
	hit := keywordSearch(t, d, tenant, "revoke", true)[0]
	if hit.Anchor != "sec-later" || hit.Section != "Later" {
		t.Errorf("the best passage for revoke: %q %q, want the section Later", hit.Section, hit.Anchor)
	}
	vectorOf := func(ordinal int) *string {
		var hash *string
		err := d.App.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `SELECT encode(embedding_hash, 'hex') FROM kb_passages WHERE tenant_id = $1 AND article_id = $2 AND ordinal = $3`, tenant, id, ordinal).Scan(&hash)
		})
		if err != nil && err != pgx.ErrNoRows {
			t.Fatal(err)
		}
		return hash
	}
	// Embed the passages as the job would (any vector will do here).
	if err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE kb_passages SET embedding_hash = '\x01', embedding_model = 'm' WHERE tenant_id = $1`, tenant)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	admin := principalCtx(t, d, tenant)
	title := "Rotate zeppelin keys"
	content := "## Steps\n\nCreate a new key.\n\n## Later\n\nDelete the old one."
	tags := []string{"credentials"}
	if _, err := d.App.UpdateArticle(admin, id, onboardiq.ArticlePatch{Content: onboardiq.Set(content), Tags: onboardiq.Set(tags)}); err != nil {
		t.Fatal(err)
	}
	if !found("credentials", true) || found("revoke", false) || !found("delete", true) {
		t.Error("the postings did not follow the new tags and content")
	}
	if h := vectorOf(0); h == nil {
		t.Error("the unchanged passage lost its vector")
	}
	if h := vectorOf(1); h != nil {
		t.Errorf("the changed passage keeps its old vector's hash %v: it would never be embedded again", *h)
	}
	// Every passage is embedded after its article's title: a new title
	// leaves none with its vector.
	if _, err := d.App.UpdateArticle(admin, id, onboardiq.ArticlePatch{Title: onboardiq.Set(title)}); err != nil {
		t.Fatal(err)
	}
	if !found("zeppelin", true) {
		t.Error("the postings did not follow the new title")
	}
	if h := vectorOf(0); h != nil {
		t.Errorf("a passage of a retitled article keeps its old vector's hash %v: it would never be embedded again", *h)
	}
	var jobs int
	if err := d.App.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'embed' AND args->>'entity' = 'passage'
  AND (args->>'id')::uuid IN (SELECT passage_id FROM kb_passages WHERE tenant_id = $1 AND article_id = $2 AND ordinal = 0)`, tenant, id).Scan(&jobs)
	}); err != nil || jobs != 2 {
		t.Errorf("%d embedding jobs for the first passage (%v), want 2: one when written, one when retitled", jobs, err)
	}

	if _, err := d.App.UpdateArticle(admin, id, onboardiq.ArticlePatch{Visibility: onboardiq.Set(onboardiq.VisibilityInternal)}); err != nil {
		t.Fatal(err)
	}
	if found("zeppelin", true) || !found("zeppelin", false) {
		t.Error("an internal article is found by a customer, or no longer by staff")
	}
	if err := d.App.DeleteArticle(admin, id); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := d.App.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM kb_terms WHERE tenant_id = $1) + (SELECT count(*) FROM kb_passages WHERE tenant_id = $1)`, tenant).Scan(&left)
	}); err != nil || left != 0 {
		t.Errorf("a deleted article leaves %d postings and passages (%v)", left, err)
	}
}

// TestArticlesWrittenBeforeAreIndexed: an article with no postings and no
// passages in a workspace not marked indexed (written before they
// existed) is indexed by IndexUnindexedArticles, once.
func TestArticlesWrittenBeforeAreIndexed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	tenant := emptyTenant(t, d, "before")
	var id uuid.UUID
	err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		if id, err = tx.CreateArticle(ctx, onboardiq.NewArticle{Title: "Old article", Content: "## Heading\n\nWritten long ago.", Visibility: onboardiq.VisibilityPublic}); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `DELETE FROM kb_passages WHERE tenant_id = $1`, tenant); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `DELETE FROM kb_terms WHERE tenant_id = $1`, tenant); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE tenants SET search_indexed_at = NULL WHERE tenant_id = $1`, tenant)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if hits := keywordSearch(t, d, tenant, "long ago", false); len(hits) != 0 {
		t.Fatalf("an unindexed article is found: %+v", hits)
	}
	n, err := d.App.IndexUnindexedArticles(ctx)
	if err != nil || n != 1 {
		t.Fatalf("indexed %d articles (%v), want 1", n, err)
	}
	if hits := keywordSearch(t, d, tenant, "long ago", false); len(hits) != 1 || hits[0].ID != id || hits[0].Anchor != "sec-heading" {
		t.Errorf("after indexing: %+v", hits)
	}
	if n, err := d.App.IndexUnindexedArticles(ctx); err != nil || n != 0 {
		t.Errorf("a second start indexed %d articles (%v), want 0", n, err)
	}
}

// TestPassagesGetSketches: a passage's vector is stored with its sketch
// (internal/sketch), and the passages stored before sketches existed
// (migration 00040: a workspace at search index version 3) get theirs at
// the next start, without their articles being indexed again.
func TestPassagesGetSketches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	tenant := emptyTenant(t, d, "sketches")
	r := rand.New(rand.NewPCG(9, 10))
	vectors := map[uuid.UUID][]float32{}
	err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		for i := range 3 {
			if _, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: fmt.Sprintf("Article %d", i), Visibility: onboardiq.VisibilityPublic,
				Content: "## One\n\nThe first part.\n\n## Two\n\nThe second part."}); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT passage_id FROM kb_passages WHERE tenant_id = $1`, tenant)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return err
		}
		for _, id := range ids {
			v := make([]float32, onboardiq.EmbeddingDimensions)
			for i := range v {
				v[i] = float32(r.NormFloat64())
			}
			vectors[id] = v
			if err := tx.StoreEmbedding(ctx, postgres.EntityPassage, id, v, "test", []byte("hash")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(vectors) < 6 {
		t.Fatalf("%d passages, want 6", len(vectors))
	}
	stored := func() {
		t.Helper()
		err := d.App.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			rows, err := tx.Query(ctx, `SELECT passage_id, vector_sketch FROM kb_passages WHERE tenant_id = $1`, tenant)
			if err != nil {
				return err
			}
			var id uuid.UUID
			var got pgtype.Bits
			_, err = pgx.ForEachRow(rows, []any{&id, &got}, func() error {
				want := sketch.Of(vectors[id])
				if !got.Valid || got.Len != sketch.Bits || string(got.Bytes) != string(want[:]) {
					t.Errorf("passage %s: sketch %x (%d bits), want %x", id, got.Bytes, got.Len, want)
				}
				return nil
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	stored()

	// As stored before migration 00040.
	err = d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE kb_passages SET vector_sketch = NULL WHERE tenant_id = $1`, tenant); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE tenants SET search_index_version = 3 WHERE tenant_id = $1`, tenant)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.App.IndexUnindexedArticles(ctx); err != nil || n != 0 {
		t.Fatalf("indexed %d articles (%v), want 0: the index of version 3 stays", n, err)
	}
	stored()
	var version int
	if err := d.App.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT search_index_version FROM tenants WHERE tenant_id = $1`, tenant).Scan(&version)
	}); err != nil || version != 4 {
		t.Errorf("search index version %d (%v), want 4", version, err)
	}
}

// TestPassageRowsStayWhole: a passage of the usual size (about 250
// words) with its 768-dimension vector is kept in one row of kb_passages,
// nothing of it moved to the TOAST table (migration 00035): a search that
// picks a hit's best passage reads its terms from the row itself.
func TestPassageRowsStayWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	tenant := emptyTenant(t, d, "whole")
	words := strings.Fields("invite your team to the workspace then open settings and choose single sign on with saml enter the metadata url from your identity provider test the connection before you turn it on for everyone")
	section := func(n int) string {
		var b strings.Builder
		for i := range 250 {
			b.WriteString(words[(i*7+n)%len(words)])
			b.WriteString(" ")
		}
		return b.String()
	}
	r := rand.New(rand.NewPCG(3, 5))
	err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: "Single sign-on", Visibility: onboardiq.VisibilityPublic,
			Content: "## Before you start\n\n" + section(1) + "\n\n## Turn it on\n\n" + section(2)})
		if err != nil {
			return err
		}
		v := make([]float32, onboardiq.EmbeddingDimensions)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		tag, err := tx.Exec(ctx, `UPDATE kb_passages SET vector_embedding = $2, embedding_model = 'test' WHERE tenant_id = $1`, tenant, pgvector.NewVector(v))
		if err == nil && tag.RowsAffected() < 2 {
			err = fmt.Errorf("%d passages, want 2 or more", tag.RowsAffected())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, d.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var toast string
	if err := conn.QueryRow(ctx, `SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = 'kb_passages'::regclass`).Scan(&toast); err != nil {
		t.Fatal(err)
	}
	var chunks, width int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+toast).Scan(&chunks); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT max(pg_column_size(p.*)) FROM kb_passages p WHERE tenant_id = $1`, tenant).Scan(&width); err != nil {
		t.Fatal(err)
	}
	if chunks != 0 {
		t.Errorf("%d chunks of kb_passages in %s; want none (rows up to %d bytes)", chunks, toast, width)
	}
}
