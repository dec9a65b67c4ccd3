-- +goose Up
-- A large workspace's semantic search (docs/ai.md, "Scale") finds its
-- candidates by their vectors' signs in an HNSW index (Hamming distance,
-- 96 bytes a passage), then compares their full vectors, as a small
-- workspace's exact scan does from its B-tree. With the offline embedder's
-- vectors, the HNSW index of full vectors found a 20,000-article
-- workspace's ten nearest articles at recall 0.58 (0.71 at ef_search
-- 1,000); the signs' index with the comparison after it, at 0.97–0.98.
-- It is also quicker to build and to keep: nothing else read the index of
-- full vectors, so it goes.
CREATE INDEX kb_passages_bits_hnsw_idx ON kb_passages USING hnsw (vector_bits bit_hamming_ops);
DROP INDEX kb_passages_embedding_idx;

-- +goose Down
CREATE INDEX kb_passages_embedding_idx ON kb_passages USING hnsw (vector_embedding vector_cosine_ops);
DROP INDEX kb_passages_bits_hnsw_idx;
