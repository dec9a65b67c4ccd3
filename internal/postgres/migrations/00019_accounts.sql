-- +goose Up
-- Accounts (docs/accounts.md): a customer can sit under a parent customer
-- of the same tenant (no cycles, at most 5 levels: the store checks both
-- with a recursive query), has an annual recurring revenue in the tenant's
-- currency, a renewal date, a lifecycle status and the vendor's own id for
-- it (unique in the tenant when set). A customer with children cannot be
-- deleted (the store answers 409 naming them), so the parent key needs no
-- nulling action.
ALTER TABLE tenants
    ADD COLUMN currency text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$');

ALTER TABLE customers
    ADD COLUMN parent_id        uuid,
    ADD COLUMN arr              numeric(14, 2) CHECK (arr >= 0),
    ADD COLUMN renewal_date     date,
    ADD COLUMN lifecycle_status text NOT NULL DEFAULT 'onboarding'
        CHECK (lifecycle_status IN ('prospect', 'onboarding', 'active', 'churned')),
    ADD COLUMN external_id      text CHECK (char_length(external_id) BETWEEN 1 AND 100),
    ADD COLUMN custom_fields    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_fields) = 'object');
-- One constraint per statement: Citus refuses ADD CONSTRAINT beside other
-- subcommands.
ALTER TABLE customers ADD CONSTRAINT customers_parent_fkey
    FOREIGN KEY (tenant_id, parent_id) REFERENCES customers (tenant_id, customer_id);
ALTER TABLE customers ADD CONSTRAINT customers_parent_not_self CHECK (parent_id <> customer_id);
CREATE INDEX customers_parent_idx ON customers (tenant_id, parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX customers_lifecycle_idx ON customers (tenant_id, lifecycle_status);
CREATE INDEX customers_renewal_idx ON customers (tenant_id, renewal_date) WHERE renewal_date IS NOT NULL;
CREATE UNIQUE INDEX customers_external_id_idx ON customers (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX customers_custom_fields_idx ON customers USING gin (custom_fields jsonb_path_ops);

ALTER TABLE projects
    ADD COLUMN custom_fields jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_fields) = 'object');
CREATE INDEX projects_custom_fields_idx ON projects USING gin (custom_fields jsonb_path_ops);

-- Typed custom fields: the tenant defines them per entity; the values live
-- in custom_fields of customers and projects, under the definition's key,
-- checked by the store against its type (a number, a YYYY-MM-DD date, text,
-- or one of its options).
CREATE TABLE custom_field_definitions (
    tenant_id   uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    field_id    uuid        NOT NULL DEFAULT gen_random_uuid(),
    entity      text        NOT NULL CHECK (entity IN ('customer', 'project')),
    key         text        NOT NULL CHECK (key ~ '^[a-z0-9_]{1,40}$'),
    label       text        NOT NULL CHECK (char_length(label) BETWEEN 1 AND 100),
    type        text        NOT NULL CHECK (type IN ('text', 'number', 'date', 'one_of')),
    options     text[]      NOT NULL DEFAULT '{}',
    position    integer     NOT NULL DEFAULT 0 CHECK (position >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, field_id),
    UNIQUE (tenant_id, entity, key)
);
ALTER TABLE custom_field_definitions ENABLE ROW LEVEL SECURITY;
ALTER TABLE custom_field_definitions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON custom_field_definitions
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- +goose Down
DROP TABLE custom_field_definitions;
DROP INDEX projects_custom_fields_idx;
ALTER TABLE projects DROP COLUMN custom_fields;
DROP INDEX customers_custom_fields_idx;
DROP INDEX customers_external_id_idx;
DROP INDEX customers_renewal_idx;
DROP INDEX customers_lifecycle_idx;
DROP INDEX customers_parent_idx;
ALTER TABLE customers DROP CONSTRAINT customers_parent_not_self;
ALTER TABLE customers DROP CONSTRAINT customers_parent_fkey;
ALTER TABLE customers DROP COLUMN custom_fields, DROP COLUMN external_id, DROP COLUMN lifecycle_status,
    DROP COLUMN renewal_date, DROP COLUMN arr, DROP COLUMN parent_id;
ALTER TABLE tenants DROP COLUMN currency;
