package eval

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// modes are the search modes compared.
var modes = []onboardiq.SearchMode{onboardiq.SearchKeyword, onboardiq.SearchSemantic, onboardiq.SearchHybrid}

// Run loads the corpus into a scratch tenant as knowledge-base articles,
// embeds them the way the server does, runs every judged query in each
// mode through the same search as /kb/search, scores the rankings, and
// removes the scratch tenant, whatever happens.
func Run(ctx context.Context, db *postgres.DB, e ai.Embedder, docs []Doc, queries []Query, qrels Qrels, logf func(string, ...any)) (results []Result, err error) {
	scratch := uuid.New()
	slug := "eval-" + scratch.String()[:8]
	if err := db.InTenant(ctx, scratch, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.CreateTenant(ctx, onboardiq.NewTenant{Name: "Retrieval evaluation", Slug: slug, AdminEmail: "eval@" + slug + ".invalid"})
		return err
	}); err != nil {
		return nil, fmt.Errorf("eval: scratch tenant: %w", err)
	}
	defer func() {
		derr := db.InTenant(context.WithoutCancel(ctx), scratch, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.DeleteTenant(ctx)
		})
		if err == nil && derr != nil {
			err = fmt.Errorf("eval: remove the scratch tenant: %w", derr)
		}
	}()

	start := time.Now()
	byArticle := map[uuid.UUID]string{}
	const batch = 500
	for i := 0; i < len(docs); i += batch {
		end := min(i+batch, len(docs))
		err := db.InTenant(ctx, scratch, func(ctx context.Context, tx *postgres.Tx) error {
			for _, d := range docs[i:end] {
				id, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: title(d), Content: truncate(d.Text, 100000), Visibility: onboardiq.VisibilityPublic})
				if err != nil {
					return fmt.Errorf("document %s: %w", d.ID, err)
				}
				byArticle[id] = d.ID
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("eval: load: %w", err)
		}
	}
	n, err := jobs.Reembed(ctx, db, e, []uuid.UUID{scratch}, nil)
	if err != nil {
		return nil, fmt.Errorf("eval: embed: %w", err)
	}
	logf("loaded and embedded %d documents (%d vectors) with %s in %s", len(docs), n, e.Model(), time.Since(start).Round(time.Millisecond))

	judged := 0
	for _, q := range queries {
		if len(qrels[q.ID]) > 0 {
			judged++
		}
	}
	if judged == 0 {
		return nil, fmt.Errorf("eval: no query has a relevance judgement")
	}
	for _, mode := range modes {
		var s Scorer
		for _, q := range queries {
			rel := qrels[q.ID]
			if len(rel) == 0 {
				continue
			}
			t0 := time.Now()
			params := postgres.SearchParams{Q: q.Text, Mode: mode, Limit: 10, Model: e.Model()}
			if mode != onboardiq.SearchKeyword {
				v, err := e.Embed(ctx, []string{q.Text})
				if err != nil {
					return nil, fmt.Errorf("eval: embed query %s: %w", q.ID, err)
				}
				params.Vector = v[0]
			}
			var hits []onboardiq.ArticleHit
			err := db.InTenantReadOnly(ctx, scratch, func(ctx context.Context, tx *postgres.Tx) error {
				var err error
				hits, err = tx.SearchArticles(ctx, params)
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("eval: query %s: %w", q.ID, err)
			}
			latency := time.Since(t0)
			ranked := make([]string, len(hits))
			for i, h := range hits {
				ranked[i] = byArticle[h.ID]
			}
			s.Add(ranked, rel, latency)
		}
		results = append(results, s.Result(string(mode)))
	}
	return results, nil
}

func title(d Doc) string {
	t := strings.TrimSpace(d.Title)
	if t == "" {
		t = d.ID
	}
	return truncate(t, 100)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
