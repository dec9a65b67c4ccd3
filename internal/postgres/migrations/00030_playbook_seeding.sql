-- +goose Up
-- The fourth reviewed path across tenants: the workspaces that have not
-- been given the default playbooks yet, so that starting the server does
-- not enter every workspace to find the few (those made before playbooks
-- existed) that still need them. Ids only; each is seeded inside its own
-- tenant, which sets playbooks_seeded_at.
CREATE FUNCTION tenant_ids_without_default_playbooks() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM public.tenants WHERE playbooks_seeded_at IS NULL ORDER BY tenant_id $$;
REVOKE ALL ON FUNCTION tenant_ids_without_default_playbooks() FROM PUBLIC;

-- +goose Down
DROP FUNCTION tenant_ids_without_default_playbooks();
