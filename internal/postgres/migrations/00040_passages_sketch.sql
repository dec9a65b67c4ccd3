-- +goose Up
-- A passage's sketch (internal/sketch): the signs of a fixed random
-- rotation of its vector, 1,024 bits, written with the vector. Semantic
-- search keeps the passages nearest to the query by their sketches and
-- then compares their full vectors (docs/ai.md, "Scale"). The vector's own
-- signs (vector_bits, 00034), which it kept before, are a poor guide to
-- the offline embedder's sparse vectors: against every vector, the 160
-- passages nearest by their signs held a quarter to two thirds of a large
-- workspace's ten nearest articles; by their sketches, 0.97–1.00.
--
-- The sketches of the vectors stored before are computed in Go at the
-- next start (search index version 4, IndexUnindexedArticles); until then
-- a workspace above 1,000 passages finds only its passages embedded since.
ALTER TABLE kb_passages ADD COLUMN vector_sketch bit(1024);
-- (Its condition is the vector's, as the index it replaces had: a small
-- workspace's search, which compares every vector, finds them by it.)
CREATE INDEX kb_passages_sketch_idx ON kb_passages (tenant_id, embedding_model)
    INCLUDE (vector_sketch, public, passage_id) WHERE vector_embedding IS NOT NULL;
-- The HNSW graph is built denser than the default (m 16, ef_construction
-- 64): on the bench's 200,000-article data set the default graph found a
-- 20,000-article workspace's ten nearest articles at recall 0.89 (0.94 at
-- any ef_search), this one at 0.97; it took 9 minutes to build over
-- 264,449 passages on two cores, where the default took 4.
CREATE INDEX kb_passages_sketch_hnsw_idx ON kb_passages USING hnsw (vector_sketch bit_hamming_ops) WITH (m = 32, ef_construction = 128);
DROP INDEX kb_passages_bits_hnsw_idx;
DROP INDEX kb_passages_bits_idx;
ALTER TABLE kb_passages DROP COLUMN vector_bits;
ALTER TABLE tenants ALTER COLUMN search_index_version SET DEFAULT 4;
CREATE OR REPLACE FUNCTION tenant_ids_with_unindexed_articles() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM public.tenants WHERE search_indexed_at IS NULL OR search_index_version < 4 ORDER BY tenant_id $$;
REVOKE ALL ON FUNCTION tenant_ids_with_unindexed_articles() FROM PUBLIC;

-- +goose Down
CREATE OR REPLACE FUNCTION tenant_ids_with_unindexed_articles() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM public.tenants WHERE search_indexed_at IS NULL OR search_index_version < 3 ORDER BY tenant_id $$;
ALTER TABLE tenants ALTER COLUMN search_index_version SET DEFAULT 3;
ALTER TABLE kb_passages ADD COLUMN vector_bits bit(768)
    GENERATED ALWAYS AS (binary_quantize(vector_embedding)::bit(768)) STORED;
CREATE INDEX kb_passages_bits_idx ON kb_passages (tenant_id, embedding_model)
    INCLUDE (vector_bits, public, passage_id) WHERE vector_embedding IS NOT NULL;
CREATE INDEX kb_passages_bits_hnsw_idx ON kb_passages USING hnsw (vector_bits bit_hamming_ops);
DROP INDEX kb_passages_sketch_hnsw_idx;
DROP INDEX kb_passages_sketch_idx;
ALTER TABLE kb_passages DROP COLUMN vector_sketch;
