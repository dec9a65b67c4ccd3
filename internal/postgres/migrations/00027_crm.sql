-- +goose Up
-- CRM-started onboarding (docs/crm.md). A connection per workspace and
-- CRM: its signing secret sealed like a webhook endpoint's (bound to the
-- workspace and provider), whether it is on, and the deal stage that
-- starts onboarding.
CREATE TABLE crm_connections (
    tenant_id          uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    provider           text        NOT NULL CHECK (provider IN ('hubspot', 'salesforce', 'generic')),
    enabled            boolean     NOT NULL DEFAULT true,
    closed_won_stage   text        NOT NULL DEFAULT '' CHECK (char_length(closed_won_stage) <= 100),
    secret_sealed      bytea       NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    secret_rotated_at  timestamptz,
    PRIMARY KEY (tenant_id, provider)
);
ALTER TABLE crm_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm_connections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON crm_connections
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- The mapping rules, in order: the first whose conditions (pipeline,
-- segment, amount from min inclusive to max exclusive; empty or NULL: any)
-- match a won deal picks the template of its project. Deleting a template
-- deletes the rules that pick it.
CREATE TABLE crm_rules (
    tenant_id    uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    rule_id      uuid        NOT NULL DEFAULT gen_random_uuid(),
    position     integer     NOT NULL CHECK (position >= 0),
    name         text        NOT NULL DEFAULT '' CHECK (char_length(name) <= 100),
    pipeline     text        NOT NULL DEFAULT '' CHECK (char_length(pipeline) <= 100),
    segment      text        NOT NULL DEFAULT '' CHECK (char_length(segment) <= 100),
    min_amount   numeric,
    max_amount   numeric,
    template_id  uuid        NOT NULL,
    PRIMARY KEY (tenant_id, rule_id),
    UNIQUE (tenant_id, position),
    FOREIGN KEY (tenant_id, template_id) REFERENCES templates (tenant_id, template_id) ON DELETE CASCADE,
    CHECK (min_amount IS NULL OR max_amount IS NULL OR max_amount > min_amount)
);
ALTER TABLE crm_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON crm_rules
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- The inbound log: every call to a workspace's CRM address, one row per
-- event of a batch (a refused call: one row). applied marks the event that
-- was acted on (started, updated, ignored): the unique index makes the
-- same event twice do one thing, the second finding the first. Customer
-- and project are kept without foreign keys: the log outlives them.
CREATE TABLE crm_inbound (
    tenant_id     uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    inbound_id    uuid        NOT NULL DEFAULT gen_random_uuid(),
    provider      text        NOT NULL CHECK (provider IN ('hubspot', 'salesforce', 'generic')),
    event_id      text        NOT NULL DEFAULT '',
    deal_id       text        NOT NULL DEFAULT '',
    received_at   timestamptz NOT NULL DEFAULT now(),
    signature_ok  boolean     NOT NULL,
    applied       boolean     NOT NULL DEFAULT false,
    outcome       text        NOT NULL CHECK (outcome IN ('pending', 'started', 'updated', 'ignored', 'duplicate',
                                                          'bad_signature', 'invalid', 'failed', 'disabled')),
    detail        text        NOT NULL DEFAULT '',
    customer_id   uuid,
    project_id    uuid,
    template_id   uuid,
    error         text        NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, inbound_id)
);
CREATE UNIQUE INDEX crm_inbound_once_idx ON crm_inbound (tenant_id, provider, event_id) WHERE applied;
CREATE INDEX crm_inbound_deal_idx ON crm_inbound (tenant_id, provider, deal_id) WHERE applied AND project_id IS NOT NULL;
CREATE INDEX crm_inbound_recent_idx ON crm_inbound (tenant_id, received_at DESC, inbound_id DESC);
ALTER TABLE crm_inbound ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm_inbound FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON crm_inbound
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- +goose Down
DROP TABLE crm_inbound;
DROP TABLE crm_rules;
DROP TABLE crm_connections;
