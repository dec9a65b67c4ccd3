-- +goose Up
-- The second reviewed path across tenants: the list of tenant ids, for
-- maintenance (re-embedding) and the periodic delay scan. It returns ids
-- only; the work on each tenant then runs inside that tenant.
CREATE FUNCTION all_tenant_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM public.tenants ORDER BY created_at, tenant_id $$;
REVOKE ALL ON FUNCTION all_tenant_ids() FROM PUBLIC;

-- +goose Down
DROP FUNCTION all_tenant_ids();
