-- +goose Up
-- A passage's row holds its vector inline (pgvector stores it plain, 3 KB
-- at 768 dimensions), so with the default TOAST threshold (2 kB) the row
-- is always over it, and PostgreSQL moved every other column of some
-- length — the terms, the body, the heading, the model's name — out of
-- line: choosing a hit's best passage fetched each passage's terms from
-- the TOAST table, most of a small workspace's search time. A row is now
-- kept whole while it fits a page (docs/ai.md, "Scale"). The rows written
-- before are rewritten when each workspace's search index is rebuilt at
-- the next start (search index version 3).
ALTER TABLE kb_passages SET (toast_tuple_target = 8160);
ALTER TABLE tenants ALTER COLUMN search_index_version SET DEFAULT 3;
CREATE OR REPLACE FUNCTION tenant_ids_with_unindexed_articles() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM public.tenants WHERE search_indexed_at IS NULL OR search_index_version < 3 ORDER BY tenant_id $$;
REVOKE ALL ON FUNCTION tenant_ids_with_unindexed_articles() FROM PUBLIC;

-- +goose Down
CREATE OR REPLACE FUNCTION tenant_ids_with_unindexed_articles() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM public.tenants WHERE search_indexed_at IS NULL OR search_index_version < 2 ORDER BY tenant_id $$;
ALTER TABLE tenants ALTER COLUMN search_index_version SET DEFAULT 2;
ALTER TABLE kb_passages RESET (toast_tuple_target);
