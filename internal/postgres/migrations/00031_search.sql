-- +goose Up
-- Keyword search ranks by BM25 (docs/ai.md, "Keyword search"): term
-- statistics kept by the store as articles change, scored inside
-- PostgreSQL with the tenant's own document frequencies and lengths.
--
-- Terms are English stems with no stop words removed: measured on the
-- FAQ development set, dropping stop words cost 0.11 nDCG@10 (questions
-- like "can I …" and "how long …" lean on them), and inverse document
-- frequency already weighs them down.
CREATE TEXT SEARCH DICTIONARY search_english_stem (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION search_english (COPY = english);
ALTER TEXT SEARCH CONFIGURATION search_english
    ALTER MAPPING REPLACE english_stem WITH search_english_stem;

-- An article's length in weighted terms (a title term counts
-- searchTitleWeight times), for BM25's length normalisation.
ALTER TABLE knowledge_base ADD COLUMN search_length real NOT NULL DEFAULT 0;
-- The title's terms, for the word pairs of a query found in a title.
ALTER TABLE knowledge_base ADD COLUMN title_terms tsvector GENERATED ALWAYS AS (to_tsvector('search_english', title)) STORED;
-- A query's statistics (how many articles, their average length) come
-- from this index alone.
CREATE INDEX knowledge_base_search_length_idx ON knowledge_base (tenant_id) INCLUDE (visibility, search_length);

-- The postings: how often each term occurs in each article (weighted),
-- with the article's length and visibility copied in, so a query reads
-- only the index entries of its own terms (an index-only scan).
CREATE TABLE kb_terms (
    tenant_id   uuid    NOT NULL,
    term        text    NOT NULL,
    article_id  uuid    NOT NULL,
    tf          real    NOT NULL,
    title_tf    real    NOT NULL DEFAULT 0, -- in the title and tags alone (unweighted)
    length      real    NOT NULL,
    public      boolean NOT NULL,
    PRIMARY KEY (tenant_id, term, article_id) INCLUDE (tf, title_tf, length, public),
    FOREIGN KEY (tenant_id, article_id) REFERENCES knowledge_base (tenant_id, article_id) ON DELETE CASCADE
);
CREATE INDEX kb_terms_article_idx ON kb_terms (tenant_id, article_id);
ALTER TABLE kb_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE kb_terms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kb_terms
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Passages: an article cut into sections (internal/passage), each with
-- its heading, its anchor in the article's page and its own embedding.
-- Semantic search ranks passages; a hit is an article with its best one.
CREATE TABLE kb_passages (
    tenant_id         uuid    NOT NULL,
    passage_id        uuid    NOT NULL DEFAULT gen_random_uuid(),
    article_id        uuid    NOT NULL,
    ordinal           integer NOT NULL CHECK (ordinal >= 0),
    anchor            text    NOT NULL DEFAULT '',
    heading           text    NOT NULL DEFAULT '',
    body              text    NOT NULL DEFAULT '',
    -- Its terms, to find a hit's best passage without parsing it again.
    terms             tsvector GENERATED ALWAYS AS (to_tsvector('search_english', body)) STORED,
    public            boolean NOT NULL,
    vector_embedding  vector(768),
    embedding_model   text,
    embedding_hash    bytea,
    PRIMARY KEY (tenant_id, passage_id),
    UNIQUE (tenant_id, article_id, ordinal),
    FOREIGN KEY (tenant_id, article_id) REFERENCES knowledge_base (tenant_id, article_id) ON DELETE CASCADE
);
CREATE INDEX kb_passages_embedding_idx ON kb_passages USING hnsw (vector_embedding vector_cosine_ops);
-- Vectors (3 kB) stay in the row, not in TOAST: an exact scan of a small
-- tenant's passages reads each one without a second lookup.
ALTER TABLE kb_passages ALTER COLUMN vector_embedding SET STORAGE PLAIN;
ALTER TABLE kb_passages ENABLE ROW LEVEL SECURITY;
ALTER TABLE kb_passages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kb_passages
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- The fifth reviewed path across tenants: the workspaces whose articles
-- were written before postings and passages existed, so that starting the
-- server indexes them (IndexUnindexedArticles) without entering every
-- workspace. Ids only; each is indexed inside its own tenant, which sets
-- search_indexed_at. A workspace created from now on has nothing to index.
ALTER TABLE tenants ADD COLUMN search_indexed_at timestamptz;
ALTER TABLE tenants ALTER COLUMN search_indexed_at SET DEFAULT now();
CREATE FUNCTION tenant_ids_with_unindexed_articles() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM public.tenants WHERE search_indexed_at IS NULL ORDER BY tenant_id $$;
REVOKE ALL ON FUNCTION tenant_ids_with_unindexed_articles() FROM PUBLIC;

-- +goose Down
DROP FUNCTION tenant_ids_with_unindexed_articles();
ALTER TABLE tenants DROP COLUMN search_indexed_at;
DROP TABLE kb_passages;
DROP TABLE kb_terms;
ALTER TABLE knowledge_base DROP COLUMN search_length;
ALTER TABLE knowledge_base DROP COLUMN title_terms;
DROP TEXT SEARCH CONFIGURATION search_english;
DROP TEXT SEARCH DICTIONARY search_english_stem;
