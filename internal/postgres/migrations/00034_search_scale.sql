-- +goose Up
-- Search whose cost does not grow with the workspace (docs/ai.md,
-- "Scale"): everything a query needs besides its own terms' postings is
-- one row or one index entry per term.

-- A workspace's search statistics, kept by the store as articles change:
-- how many articles (all, and public ones), their summed lengths, and how
-- many passages. BM25's article count and average length, and the choice
-- between an exact scan and the HNSW index, read this one row.
CREATE TABLE kb_stats (
    tenant_id        uuid    NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    articles         integer NOT NULL DEFAULT 0,
    public_articles  integer NOT NULL DEFAULT 0,
    length           double precision NOT NULL DEFAULT 0,
    public_length    double precision NOT NULL DEFAULT 0,
    passages         integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id)
);
ALTER TABLE kb_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE kb_stats FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kb_stats
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Each term's document frequencies: in how many articles it occurs, and
-- in how many titles, over all articles and over the public ones.
CREATE TABLE kb_df (
    tenant_id        uuid    NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    term             text    NOT NULL,
    df               integer NOT NULL DEFAULT 0,
    title_df         integer NOT NULL DEFAULT 0,
    public_df        integer NOT NULL DEFAULT 0,
    public_title_df  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, term)
);
ALTER TABLE kb_df ENABLE ROW LEVEL SECURITY;
ALTER TABLE kb_df FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kb_df
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- A posting's impact: its BM25 weight before IDF, with the average length
-- when it was written. A query reads each term's postings from the
-- highest impact down, at most searchPostingsPerTerm of them, and scores
-- what it read exactly.
ALTER TABLE kb_terms ADD COLUMN impact real NOT NULL DEFAULT 0;
CREATE INDEX kb_terms_impact_idx ON kb_terms (tenant_id, term, impact DESC) INCLUDE (article_id, tf, title_tf, length, public);

-- A passage's vector as one bit a dimension (its signs): an exact scan
-- compares these first, in the index alone, and then only the closest
-- passages' full vectors.
ALTER TABLE kb_passages ADD COLUMN vector_bits bit(768)
    GENERATED ALWAYS AS (binary_quantize(vector_embedding)::bit(768)) STORED;
CREATE INDEX kb_passages_bits_idx ON kb_passages (tenant_id, embedding_model)
    INCLUDE (vector_bits, public, passage_id) WHERE vector_embedding IS NOT NULL;

-- The statistics above start empty: the workspaces with articles are
-- indexed again at the next start (IndexUnindexedArticles), which fills
-- them. search_index_version says which version of the index a workspace
-- has; a workspace created from now on starts at the current one.
ALTER TABLE tenants ADD COLUMN search_index_version integer NOT NULL DEFAULT 1;
ALTER TABLE tenants ALTER COLUMN search_index_version SET DEFAULT 2;
CREATE OR REPLACE FUNCTION tenant_ids_with_unindexed_articles() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM public.tenants WHERE search_indexed_at IS NULL OR search_index_version < 2 ORDER BY tenant_id $$;
REVOKE ALL ON FUNCTION tenant_ids_with_unindexed_articles() FROM PUBLIC;

-- +goose Down
CREATE OR REPLACE FUNCTION tenant_ids_with_unindexed_articles() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM public.tenants WHERE search_indexed_at IS NULL ORDER BY tenant_id $$;
ALTER TABLE tenants DROP COLUMN search_index_version;
DROP INDEX kb_passages_bits_idx;
ALTER TABLE kb_passages DROP COLUMN vector_bits;
DROP INDEX kb_terms_impact_idx;
ALTER TABLE kb_terms DROP COLUMN impact;
DROP TABLE kb_df;
DROP TABLE kb_stats;
