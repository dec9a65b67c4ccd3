-- +goose Up
-- Journey stages (internal/journey): each customer's moves from stage to
-- stage, by hand or by a rule, with who and why; the current stage is the
-- latest. A workspace's own stages and rules (NULL: the defaults).
CREATE TABLE customer_stages (
    tenant_id      uuid        NOT NULL,
    transition_id  uuid        NOT NULL DEFAULT gen_random_uuid(),
    customer_id    uuid        NOT NULL,
    stage          text        NOT NULL CHECK (char_length(stage) BETWEEN 1 AND 40),
    entered_at     timestamptz NOT NULL DEFAULT now(),
    by_user        uuid,
    rule           text        CHECK (char_length(rule) <= 100),
    reason         text        CHECK (char_length(reason) <= 500),
    -- The event whose rule made the move: an event moves a customer once,
    -- however often the fan-out runs.
    event_id       bigint,
    PRIMARY KEY (tenant_id, transition_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX customer_stages_event_idx ON customer_stages (tenant_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX customer_stages_history_idx ON customer_stages (tenant_id, customer_id, entered_at DESC);
ALTER TABLE customer_stages ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_stages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_stages
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE tenants
    ADD COLUMN journey_stages jsonb,
    ADD COLUMN journey_rules  jsonb;

-- +goose Down
ALTER TABLE tenants DROP COLUMN journey_stages, DROP COLUMN journey_rules;
DROP TABLE customer_stages;
