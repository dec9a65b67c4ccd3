-- +goose Up
-- An article is embedded by its passages alone: search ranks passages
-- (00031), and the article's own vector, read by nothing since 00037, cost
-- a model call on every change of its text. knowledge_base.embedding_model
-- stays: the model that embedded all the article's passages.
ALTER TABLE knowledge_base DROP COLUMN vector_embedding, DROP COLUMN embedding_hash;

-- +goose Down
ALTER TABLE knowledge_base ADD COLUMN vector_embedding vector(768), ADD COLUMN embedding_hash bytea;
