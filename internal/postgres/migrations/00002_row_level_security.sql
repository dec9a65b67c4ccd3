-- +goose Up
-- Tenant isolation: every tenant-owned table is visible only inside the
-- tenant named by the transaction-local setting app.tenant_id. No tenant set
-- means no rows (NULLIF turns the empty string into NULL, and NULL matches
-- nothing). FORCE makes the policy apply to the table owner as well.

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'tenants', 'tenant_users', 'support_members', 'customers', 'templates', 'template_tasks',
        'projects', 'tasks', 'knowledge_base', 'notifications', 'events', 'api_tokens',
        'webhook_endpoints', 'assistant_conversations', 'assistant_messages'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$
            CREATE POLICY tenant_isolation ON %I
                USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
                WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
        $p$, t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- The one reviewed path across tenants for a lookup: turning a workspace slug
-- (typed at sign-in, or in a portal URL) into its tenant id. It runs as the
-- schema owner, which may read the tenants directory through the policy below;
-- it returns the id only, never another tenant's data.
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('CREATE POLICY tenant_directory ON tenants FOR SELECT TO %I USING (true)', current_user);
END
$$;
-- +goose StatementEnd

CREATE FUNCTION tenant_id_by_slug(p_slug text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT tenant_id FROM public.tenants WHERE slug = p_slug $$;
REVOKE ALL ON FUNCTION tenant_id_by_slug(text) FROM PUBLIC;

-- +goose Down
DROP FUNCTION tenant_id_by_slug(text);
DROP POLICY tenant_directory ON tenants;
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'tenants', 'tenant_users', 'support_members', 'customers', 'templates', 'template_tasks',
        'projects', 'tasks', 'knowledge_base', 'notifications', 'events', 'api_tokens',
        'webhook_endpoints', 'assistant_conversations', 'assistant_messages'
    ] LOOP
        EXECUTE format('DROP POLICY tenant_isolation ON %I', t);
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
