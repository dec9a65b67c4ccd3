-- +goose Up
-- Semantic search ranks passages (00031, 00036); nothing reads the HNSW
-- index of the articles' own vectors any more, and every article written
-- paid for an insertion into it (about 5 ms for a 768-dimension vector on
-- two cores, more than the rest of the article's writes).
DROP INDEX knowledge_base_embedding_idx;
-- The knowledge-gap report asks when an article last changed: one row.
CREATE INDEX knowledge_base_updated_idx ON knowledge_base (tenant_id, updated_at);

-- +goose Down
DROP INDEX knowledge_base_updated_idx;
CREATE INDEX knowledge_base_embedding_idx ON knowledge_base USING hnsw (vector_embedding vector_cosine_ops);
