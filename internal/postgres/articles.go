package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// CreateArticle adds a knowledge-base article to the tenant tx runs in and
// returns its id.
func (tx *Tx) CreateArticle(ctx context.Context, in onboardiq.NewArticle) (uuid.UUID, error) {
	if err := in.Validate(); err != nil {
		return uuid.Nil, err
	}
	var author *uuid.UUID
	if p := onboardiq.PrincipalFromContext(ctx); p != nil {
		author = p.Actor()
	}
	var slug *string
	if in.Slug != "" {
		slug = &in.Slug
	}
	var id uuid.UUID
	err := tx.QueryRow(ctx, `
INSERT INTO knowledge_base (tenant_id, title, content, visibility, tags, slug, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING article_id`, tx.TenantID(), in.Title, in.Content, in.Visibility, in.Tags, slug, author).Scan(&id)
	if err != nil {
		return uuid.Nil, storeError(err, fmt.Sprintf("article %q", in.Title))
	}
	if err := RecordEvent(ctx, tx, Event{Kind: "article.created", Data: map[string]any{"article_id": id, "title": in.Title}}); err != nil {
		return uuid.Nil, err
	}
	return id, enqueueEmbed(ctx, tx, EntityArticle, id)
}
