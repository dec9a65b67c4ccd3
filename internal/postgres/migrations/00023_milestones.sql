-- +goose Up
-- Onboarding milestones (internal/metrics; docs/customer-success.md): a
-- workspace's rules, each an event rule or a task completion (rule is a
-- metrics.Milestone). One milestone may be the "first value" milestone
-- (time to first value) and one the activation milestone (user
-- activation); partial unique indexes keep it to one each.
CREATE TABLE milestones (
    tenant_id     uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    milestone_id  uuid        NOT NULL DEFAULT gen_random_uuid(),
    key           text        NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
    name          text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    rule          jsonb       NOT NULL CHECK (jsonb_typeof(rule) = 'object'),
    first_value   boolean     NOT NULL DEFAULT false,
    activation    boolean     NOT NULL DEFAULT false,
    position      integer     NOT NULL DEFAULT 0 CHECK (position >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, milestone_id),
    UNIQUE (tenant_id, key)
);
CREATE UNIQUE INDEX milestones_one_first_value ON milestones (tenant_id) WHERE first_value;
CREATE UNIQUE INDEX milestones_one_activation ON milestones (tenant_id) WHERE activation;
ALTER TABLE milestones ENABLE ROW LEVEL SECURITY;
ALTER TABLE milestones FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON milestones
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- When a customer reached a milestone, once, with the usage events that
-- reached it as evidence. Event milestones are reached per customer
-- (project_id NULL); task milestones per project, since each project has
-- its own tasks.
CREATE TABLE milestone_hits (
    tenant_id     uuid        NOT NULL,
    hit_id        uuid        NOT NULL DEFAULT gen_random_uuid(),
    milestone_id  uuid        NOT NULL,
    customer_id   uuid        NOT NULL,
    project_id    uuid,
    reached_at    timestamptz NOT NULL,
    event_ids     text[]      NOT NULL DEFAULT '{}',
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, hit_id),
    FOREIGN KEY (tenant_id, milestone_id) REFERENCES milestones (tenant_id, milestone_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, project_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX milestone_hits_customer_once ON milestone_hits (tenant_id, milestone_id, customer_id) WHERE project_id IS NULL;
CREATE UNIQUE INDEX milestone_hits_project_once ON milestone_hits (tenant_id, milestone_id, customer_id, project_id) WHERE project_id IS NOT NULL;
CREATE INDEX milestone_hits_customer_idx ON milestone_hits (tenant_id, customer_id, reached_at);
ALTER TABLE milestone_hits ENABLE ROW LEVEL SECURITY;
ALTER TABLE milestone_hits FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON milestone_hits
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- +goose Down
DROP TABLE milestone_hits;
DROP TABLE milestones;
