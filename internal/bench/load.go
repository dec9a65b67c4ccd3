package bench

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// DataSet is a set of synthetic tenants with generated articles.
type DataSet struct {
	Corpus  Corpus
	Tenants int
	// Articles is how many articles there are over all tenants.
	Articles int
	// Skewed: a few large tenants and many small ones, else even.
	Skewed bool
}

// Tenant is a loaded tenant of a data set.
type Tenant struct {
	Index    int
	ID       uuid.UUID
	Slug     string
	Articles int
}

// LoadStats says what loading a data set did.
type LoadStats struct {
	Reused   int `json:"tenants_reused"`
	Loaded   int `json:"tenants_loaded"`
	Inserted int `json:"articles_inserted"`
	// Embedded counts the vectors made: its passages', for each article.
	Embedded int     `json:"vectors_embedded"`
	Seconds  float64 `json:"seconds"`
}

// fingerprint names a data set: its tenants' slugs carry it, so a kept data
// set is found again by the same parameters and never mistaken for another.
func (d DataSet) fingerprint() string {
	h := fnv.New32a()
	fmt.Fprintf(h, "v%d/%d/%d/%d/%t", corpusVersion, d.Corpus.Seed, d.Tenants, d.Articles, d.Skewed)
	return fmt.Sprintf("%08x", h.Sum32())
}

// Slug is the slug of tenant i of the data set.
func (d DataSet) Slug(i int) string { return fmt.Sprintf("bench-%s-%d", d.fingerprint(), i) }

// loadBatch is how many articles one transaction inserts.
const loadBatch = 500

// Load makes sure every tenant of the data set exists with all its
// articles, embedded by e: a tenant left by an earlier run with the same
// parameters is reused and completed where it stopped (articles are
// inserted in order, a batch per transaction, so the count says how far it
// got). Articles go in through tx.CreateArticle, the store's own path
// (events, embedding jobs and every index the product keeps); embeddings
// through jobs.Reembed, the path of `onboardiq reembed`. workers tenants
// load at once, largest first.
func Load(ctx context.Context, db *postgres.DB, e ai.Embedder, d DataSet, workers int, logf func(string, ...any)) ([]Tenant, LoadStats, error) {
	start := time.Now()
	sizes := Sizes(d.Articles, d.Tenants, d.Skewed)
	tenants := make([]Tenant, d.Tenants)
	var (
		stats            LoadStats
		reused, inserted atomic.Int64
		embedded, done   atomic.Int64
		mu               sync.Mutex
		firstErr         error
		wg               sync.WaitGroup
	)
	next := atomic.Int64{}
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= d.Tenants || ctx.Err() != nil {
					return
				}
				t := Tenant{Index: i, Slug: d.Slug(i), Articles: sizes[i]}
				r, err := loadTenant(ctx, db, e, d, &t)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("tenant %s: %w", t.Slug, err)
					}
					mu.Unlock()
					return
				}
				tenants[i] = t
				if r.reused {
					reused.Add(1)
				}
				inserted.Add(int64(r.inserted))
				embedded.Add(int64(r.embedded))
				if n := done.Add(1); logf != nil && (r.inserted > 0 || n == int64(d.Tenants)) {
					logf("tenant %d/%d %s: %d articles (%d new, %d vectors embedded), %s elapsed", n, d.Tenants, t.Slug, t.Articles, r.inserted, r.embedded, time.Since(start).Round(time.Second))
				}
			}
		}()
	}
	wg.Wait()
	stats.Reused, stats.Inserted, stats.Embedded = int(reused.Load()), int(inserted.Load()), int(embedded.Load())
	stats.Loaded = d.Tenants - stats.Reused
	stats.Seconds = time.Since(start).Seconds()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return tenants, stats, firstErr
}

type loaded struct {
	reused             bool
	inserted, embedded int
}

func loadTenant(ctx context.Context, db *postgres.DB, e ai.Embedder, d DataSet, t *Tenant) (loaded, error) {
	var r loaded
	id, err := db.TenantIDBySlug(ctx, t.Slug)
	switch {
	case onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND:
		id = uuid.New()
		err = db.InTenant(ctx, id, func(ctx context.Context, tx *postgres.Tx) error {
			_, err := tx.CreateTenant(ctx, onboardiq.NewTenant{Name: fmt.Sprintf("Bench tenant %d", t.Index), Slug: t.Slug, AdminEmail: "bench@" + t.Slug + ".invalid"})
			return err
		})
		if err != nil {
			return r, fmt.Errorf("create: %w", err)
		}
	case err != nil:
		return r, err
	}
	t.ID = id
	have, err := articleCount(ctx, db, id)
	if err != nil {
		return r, err
	}
	if have > t.Articles {
		return r, fmt.Errorf("has %d articles, more than the %d of the data set: remove it (run once without --keep)", have, t.Articles)
	}
	r.reused = have == t.Articles
	for i := have; i < t.Articles; i += loadBatch {
		end := min(i+loadBatch, t.Articles)
		err := db.InTenant(ctx, id, func(ctx context.Context, tx *postgres.Tx) error {
			for j := i; j < end; j++ {
				a := d.Corpus.Article(t.Index, j)
				if _, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: a.Title, Content: a.Content, Visibility: onboardiq.VisibilityPublic}); err != nil {
					return fmt.Errorf("article %d: %w", j, err)
				}
			}
			return nil
		})
		if err != nil {
			return r, err
		}
		r.inserted += end - i
	}
	// Embeds only what is not embedded yet by e's model: nothing, for a
	// tenant a finished run left.
	r.embedded, err = jobs.Reembed(ctx, db, e, []uuid.UUID{id}, nil)
	if err != nil {
		return r, fmt.Errorf("embed: %w", err)
	}
	return r, nil
}

// articleCount counts a tenant's articles, whatever their state.
func articleCount(ctx context.Context, db *postgres.DB, tenant uuid.UUID) (int, error) {
	var n int
	err := db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM knowledge_base WHERE tenant_id = $1`, tenant).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count articles: %w", err)
	}
	return n, nil
}

// Remove deletes the data set's tenants (those that exist), with everything
// in them.
func Remove(ctx context.Context, db *postgres.DB, d DataSet) (int, error) {
	removed := 0
	var errs []error
	for i := range d.Tenants {
		id, err := db.TenantIDBySlug(ctx, d.Slug(i))
		if onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND {
			continue
		}
		if err == nil {
			err = db.InTenant(ctx, id, func(ctx context.Context, tx *postgres.Tx) error { return tx.DeleteTenant(ctx) })
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", d.Slug(i), err))
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// Loaded returns the tenants of the data set that a kept run loaded
// completely — every article inserted and every passage embedded by e's
// model — without loading anything: what `bench search --loaded-only`
// measures when loading the rest would take too long.
func Loaded(ctx context.Context, db *postgres.DB, e ai.Embedder, d DataSet) ([]Tenant, error) {
	sizes := Sizes(d.Articles, d.Tenants, d.Skewed)
	var out []Tenant
	for i := range d.Tenants {
		id, err := db.TenantIDBySlug(ctx, d.Slug(i))
		if onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		var articles, unembedded int
		err = db.InTenantReadOnly(ctx, id, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM knowledge_base WHERE tenant_id = $1),
       (SELECT count(*) FROM kb_passages WHERE tenant_id = $1 AND embedding_model IS DISTINCT FROM $2)`, id, e.Model()).Scan(&articles, &unembedded)
		})
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", d.Slug(i), err)
		}
		if articles == sizes[i] && unembedded == 0 {
			out = append(out, Tenant{Index: i, ID: id, Slug: d.Slug(i), Articles: sizes[i]})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no tenant of the data set is loaded completely (run with --keep --load-only first)")
	}
	return out, nil
}
