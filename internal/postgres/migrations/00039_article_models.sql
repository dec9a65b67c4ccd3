-- +goose Up
-- An article's embedding_model names the model that embedded all its
-- passages (00038), kept by the passages' embedding jobs; the values before
-- came from the article's own vector. Set them from the passages.
UPDATE knowledge_base a SET embedding_model = s.model
FROM (SELECT tenant_id, article_id,
             CASE WHEN count(*) = count(embedding_model) AND min(embedding_model) = max(embedding_model) THEN min(embedding_model) END AS model
      FROM kb_passages GROUP BY tenant_id, article_id) AS s
WHERE a.tenant_id = s.tenant_id AND a.article_id = s.article_id AND a.embedding_model IS DISTINCT FROM s.model;

-- +goose Down
SELECT 1;
