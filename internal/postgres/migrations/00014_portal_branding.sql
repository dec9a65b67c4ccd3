-- +goose Up
-- The portal's branding: the name, accent colour and logo a workspace's
-- customers see on its portal (settings, "Branding"). One row per tenant,
-- none until an admin saves it (the portal then shows the workspace's name
-- and the default colour). The logo is kept here, not on tenants: tenants is
-- copied to every node on Citus, this table is distributed with the rest of
-- the tenant's data. Only PNG, JPEG and WebP, at most 256 KiB (the store
-- sniffs the bytes; SVG can carry script and is refused).
CREATE TABLE tenant_branding (
    tenant_id     uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    portal_name   text        NOT NULL DEFAULT '' CHECK (char_length(portal_name) <= 100),
    accent_color  text        NOT NULL DEFAULT '' CHECK (accent_color = '' OR accent_color ~ '^#[0-9a-f]{6}$'),
    logo          bytea       CHECK (octet_length(logo) BETWEEN 1 AND 262144),
    logo_type     text        CHECK (logo_type IN ('image/png', 'image/jpeg', 'image/webp')),
    logo_sha256   text        CHECK (logo_sha256 ~ '^[0-9a-f]{64}$'),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id),
    CHECK ((logo IS NULL) = (logo_type IS NULL) AND (logo IS NULL) = (logo_sha256 IS NULL))
);
ALTER TABLE tenant_branding ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_branding FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_branding
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Who marked a task done, while it is: a customer contact may reopen the
-- tasks they completed (onboardiq.CanChangeTaskStatus). It names a user the
-- way the log's actor does, without a key: users are disabled, not deleted,
-- and a contact's tasks go with their customer. Tasks completed before this
-- column have none (migrations see no tenant's rows), so only staff reopen
-- those.
ALTER TABLE tasks ADD COLUMN completed_by uuid;

-- +goose Down
ALTER TABLE tasks DROP COLUMN completed_by;
DROP TABLE tenant_branding;
