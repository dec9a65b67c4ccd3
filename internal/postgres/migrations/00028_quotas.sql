-- +goose Up
-- Tiers and quotas (docs/quotas.md): an operator's per-tenant limits,
-- replacing the tier's (a quota → a number, or null for no limit; a quota
-- absent keeps the tier's).
ALTER TABLE tenants ADD COLUMN quota_overrides jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(quota_overrides) = 'object');

-- Metering, per tenant, month (its first day, UTC) and quota: what the
-- monthly quotas counted (api_calls), and when the tenant's admins were
-- warned that a quota reached 80% (warned_at; once per quota and month,
-- for every quota, hard ones included).
CREATE TABLE quota_usage (
    tenant_id   uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    month       date        NOT NULL CHECK (extract(day FROM month) = 1),
    quota       text        NOT NULL CHECK (quota IN ('users', 'api_calls', 'storage', 'integrations', 'ai_tokens')),
    amount      bigint      NOT NULL DEFAULT 0 CHECK (amount >= 0),
    warned_at   timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, month, quota)
);
ALTER TABLE quota_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE quota_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON quota_usage
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- +goose Down
DROP TABLE quota_usage;
ALTER TABLE tenants DROP COLUMN quota_overrides;
