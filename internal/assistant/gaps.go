package assistant

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/gaps"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// The knowledge-gap report's bounds: the questions of the last
// GapWindow, at most maxGapQuestions of them (the newest), and the
// answered check for at most maxGapChecks groups (the best ranked).
const (
	GapWindow       = 90 * 24 * time.Hour
	maxGapQuestions = 500
	maxGapChecks    = 100
)

// GapOptions choose what the report lists.
type GapOptions struct {
	// IncludeAnswered lists the groups an article now answers too.
	IncludeAnswered bool
	// Now is the report's clock; zero: time.Now.
	Now time.Time
}

// KnowledgeGaps is the staff's knowledge-gap report: the questions the
// assistant could not answer, grouped by meaning and ranked
// (internal/gaps). A group is answered when the assistant, asked its
// representative question now, finds a relevant article (by its own rule,
// and public when a contact asked) that was published or changed after the
// group's last question; answered groups are counted and left out unless
// asked for, marked with the article.
func (s *Service) KnowledgeGaps(ctx context.Context, opt GapOptions) (*onboardiq.GapReport, error) {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	since := now.Add(-GapWindow)
	f, err := s.DB.ReadKnowledgeGaps(ctx, since, maxGapQuestions)
	if err != nil {
		return nil, err
	}
	model := s.Embedder.Model()
	// Questions embedded by another model, or not yet: embed them now,
	// in one call (the job stores them; this report does not write).
	var stale []int
	var texts []string
	for i := range f.Questions {
		if f.Models[i] != model {
			f.Questions[i].Vector = nil
			stale, texts = append(stale, i), append(texts, f.Questions[i].Question)
		}
	}
	if len(stale) > 0 {
		vecs, err := s.Embedder.Embed(ctx, texts)
		if err != nil {
			// Grouped by their words only; the report still stands.
			s.Logger.WarnContext(ctx, "knowledge gaps: embed questions", "err", err, "questions", len(texts))
		} else {
			for k, i := range stale {
				f.Questions[i].Vector = vecs[k]
			}
		}
	}
	vectors := map[uuid.UUID][]float32{}
	for _, q := range f.Questions {
		vectors[q.ID] = q.Vector
	}
	groups := gaps.Report(f.Questions, f.Blocked, now)
	p := onboardiq.PrincipalFromContext(ctx)
	err = s.DB.InTenantReadOnly(ctx, p.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		// Only an article changed after a group's last question can answer
		// it: with none, the report searches for no group.
		changed, err := tx.LastArticleChange(ctx)
		if err != nil {
			return err
		}
		for i := range groups {
			if i == maxGapChecks {
				break
			}
			if !changed.After(groups[i].LastAskedAt) {
				continue
			}
			a, err := answeredBy(ctx, tx, model, groups[i], vectors[groups[i].Representative.ID])
			if err != nil {
				return err
			}
			groups[i].AnsweredBy = a
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r := &onboardiq.GapReport{Groups: []onboardiq.GapGroup{}, Since: since}
	for _, g := range groups {
		if g.AnsweredBy != nil {
			r.Answered++
			if !opt.IncludeAnswered {
				continue
			}
		}
		r.Groups = append(r.Groups, g)
	}
	return r, nil
}

// answeredBy searches as the assistant does for the group's representative
// question and returns the first relevant article changed after the
// group's last question, or nil.
func answeredBy(ctx context.Context, tx *postgres.Tx, model string, g onboardiq.GapGroup, vec []float32) (*onboardiq.ArticleRef, error) {
	sp := postgres.SearchParams{Q: g.Representative.Question, Mode: onboardiq.SearchKeyword, Limit: 4, PublicOnly: g.Public}
	if vec != nil {
		sp.Vector, sp.Model, sp.Mode = vec, model, onboardiq.SearchHybrid
	}
	hits, err := tx.SearchArticles(ctx, sp)
	if err != nil {
		return nil, fmt.Errorf("knowledge gaps: search: %w", err)
	}
	var ids []uuid.UUID
	for _, h := range hits {
		if relevant(h) {
			ids = append(ids, h.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	changed, err := tx.ArticleChanges(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, h := range hits {
		if at, ok := changed[h.ID]; ok && relevant(h) && at.After(g.LastAskedAt) {
			return &onboardiq.ArticleRef{ID: h.ID, Title: h.Title}, nil
		}
	}
	return nil, nil
}
