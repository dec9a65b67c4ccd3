-- +goose Up
-- The delay scan at scale (docs/notifications.md).

-- The cooldown check: has this user had a notification of this kind about
-- this project since a moment? The four equalities and the time lead the
-- index, so the check is one index probe per recipient: the scan asks it
-- through a LATERAL … LIMIT 1, which the planner cannot turn into a join
-- over the whole table, and answers with this index whether the table was
-- never analyzed or was (TestCooldownCheckUsesTheIndex). Project first: it
-- also serves the cascade of a project's deletion to its notifications.
CREATE INDEX notifications_cooldown_idx ON notifications (tenant_id, project_id, kind, user_id, created_at)
    WHERE project_id IS NOT NULL;

-- The third reviewed path across tenants: the tenant ids a page at a time,
-- after a given id in id order, so the periodic scan and `onboardiq scan`
-- walk any number of tenants without holding the whole list. Like
-- all_tenant_ids() it returns ids only; the work on each tenant runs inside
-- that tenant.
CREATE FUNCTION tenant_ids_after(p_after uuid, p_limit integer) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM public.tenants WHERE tenant_id > p_after ORDER BY tenant_id LIMIT p_limit $$;
REVOKE ALL ON FUNCTION tenant_ids_after(uuid, integer) FROM PUBLIC;

-- +goose Down
DROP FUNCTION tenant_ids_after(uuid, integer);
DROP INDEX notifications_cooldown_idx;
