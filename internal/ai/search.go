package ai

import (
	"context"
	"log/slog"

	"github.com/onboardiq/onboardiq"
)

// errEmbedderUnavailable is the error of a semantic search while the
// embedding model cannot be reached: there is nothing to fall back to.
var errEmbedderUnavailable = onboardiq.Errorf(onboardiq.EUNAVAILABLE, "the embedding model is unavailable; try mode=keyword")

// SearchVector embeds q for a search in mode and returns the vector and
// the mode to search in. Keyword search needs no vector. When the embedder
// fails, hybrid search falls back to keyword search (logged), and semantic
// search, which has nothing to fall back to, is errEmbedderUnavailable.
func SearchVector(ctx context.Context, logger *slog.Logger, e Embedder, q string, mode onboardiq.SearchMode) ([]float32, onboardiq.SearchMode, error) {
	if mode == onboardiq.SearchKeyword {
		return nil, mode, nil
	}
	v, err := e.Embed(ctx, []string{q})
	if err == nil && len(v) == 1 {
		return v[0], mode, nil
	}
	if ctx.Err() != nil {
		return nil, mode, ctx.Err()
	}
	logger.WarnContext(ctx, "embed the query; searching by keyword", "model", e.Model(), "err", err)
	if mode == onboardiq.SearchSemantic {
		return nil, mode, errEmbedderUnavailable
	}
	return nil, onboardiq.SearchKeyword, nil
}
