-- +goose Up
-- Playbooks (automation rules; docs/playbooks.md). definition is the
-- playbook as code (onboardiq.Playbook's definition fields, normalised by
-- internal/playbook); trigger_event and trigger_schedule repeat its trigger
-- so the fan-out finds the playbooks an event triggers by index. Each
-- playbook signs its webhook actions with its own secret, sealed like a
-- webhook endpoint's, made when the first webhook action is saved.
CREATE TABLE playbooks (
    tenant_id         uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    playbook_id       uuid        NOT NULL DEFAULT gen_random_uuid(),
    name              text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    enabled           boolean     NOT NULL DEFAULT false,
    definition        jsonb       NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
    trigger_event     text,
    trigger_schedule  text,
    secret_sealed     bytea,
    position          integer     NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, playbook_id),
    UNIQUE (tenant_id, name),
    CHECK ((trigger_event IS NULL) <> (trigger_schedule IS NULL))
);
CREATE INDEX playbooks_event_idx ON playbooks (tenant_id, trigger_event) WHERE enabled AND trigger_event IS NOT NULL;
ALTER TABLE playbooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE playbooks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON playbooks
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- One execution of a playbook on a subject. A playbook runs once per
-- trigger key (event:ID, schedule:KIND:DAY, manual:ID) and subject: the
-- unique index makes a repeated event a no-op. Customer and project are
-- kept without foreign keys: the audit outlives them.
CREATE TABLE playbook_runs (
    tenant_id    uuid        NOT NULL,
    run_id       uuid        NOT NULL DEFAULT gen_random_uuid(),
    playbook_id  uuid        NOT NULL,
    trigger      text        NOT NULL,
    trigger_key  text        NOT NULL,
    subject_key  text        NOT NULL,
    event_id     bigint,
    customer_id  uuid,
    project_id   uuid,
    status       text        NOT NULL CHECK (status IN ('skipped', 'running', 'done', 'failed')),
    reason       text        NOT NULL DEFAULT '',
    conditions   jsonb       NOT NULL DEFAULT '[]',
    evidence     jsonb       NOT NULL DEFAULT '[]',
    facts        jsonb       NOT NULL DEFAULT '{}',
    by_user      uuid,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    PRIMARY KEY (tenant_id, run_id),
    UNIQUE (tenant_id, playbook_id, trigger_key, subject_key),
    FOREIGN KEY (tenant_id, playbook_id) REFERENCES playbooks (tenant_id, playbook_id) ON DELETE CASCADE
);
CREATE INDEX playbook_runs_recent_idx ON playbook_runs (tenant_id, playbook_id, started_at DESC);
CREATE INDEX playbook_runs_subject_idx ON playbook_runs (tenant_id, playbook_id, subject_key, started_at DESC) WHERE status <> 'skipped';
ALTER TABLE playbook_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE playbook_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON playbook_runs
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Each action of a run, carried out once by its own job: the job marks
-- the row done in the transaction that does the work, so a job run twice
-- (a retry, a rescue after a crash) finds it done.
CREATE TABLE playbook_actions (
    tenant_id        uuid        NOT NULL,
    run_id           uuid        NOT NULL,
    idx              integer     NOT NULL CHECK (idx >= 0),
    type             text        NOT NULL,
    action           jsonb       NOT NULL,
    idempotency_key  text        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed', 'skipped')),
    outcome          text        NOT NULL DEFAULT '',
    attempts         integer     NOT NULL DEFAULT 0,
    delivery_ids     uuid[]      NOT NULL DEFAULT '{}',
    created_ids      uuid[]      NOT NULL DEFAULT '{}',
    finished_at      timestamptz,
    PRIMARY KEY (tenant_id, run_id, idx),
    UNIQUE (tenant_id, idempotency_key),
    FOREIGN KEY (tenant_id, run_id) REFERENCES playbook_runs (tenant_id, run_id) ON DELETE CASCADE
);
ALTER TABLE playbook_actions ENABLE ROW LEVEL SECURITY;
ALTER TABLE playbook_actions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON playbook_actions
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- An escalation ladder in progress: step is the last step told; a job per
-- next step checks acknowledged_at before telling anyone.
CREATE TABLE escalations (
    tenant_id        uuid        NOT NULL,
    escalation_id    uuid        NOT NULL DEFAULT gen_random_uuid(),
    run_id           uuid        NOT NULL,
    customer_id      uuid,
    project_id       uuid,
    title            text        NOT NULL,
    message          text        NOT NULL,
    ladder           jsonb       NOT NULL,
    step             integer     NOT NULL DEFAULT 0,
    acknowledged_at  timestamptz,
    acknowledged_by  uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, escalation_id),
    UNIQUE (tenant_id, run_id),
    FOREIGN KEY (tenant_id, run_id) REFERENCES playbook_runs (tenant_id, run_id) ON DELETE CASCADE
);
ALTER TABLE escalations ENABLE ROW LEVEL SECURITY;
ALTER TABLE escalations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON escalations
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- A playbook's webhook action is a delivery like an endpoint's: the
-- worker, the address guard, the retries and the log are the same. It
-- names its playbook (whose secret signs it) and its body's format.
ALTER TABLE deliveries
    ADD COLUMN playbook_id     uuid,
    ADD COLUMN webhook_format  text;
CREATE INDEX deliveries_playbook_idx ON deliveries (tenant_id, playbook_id, created_at DESC) WHERE playbook_id IS NOT NULL;

-- When the workspace was given the default playbooks: at its creation
-- from now on; a workspace created before is given them once by serve at
-- start (CreateMissingDefaultPlaybooks).
ALTER TABLE tenants ADD COLUMN playbooks_seeded_at timestamptz;

-- +goose Down
ALTER TABLE tenants DROP COLUMN playbooks_seeded_at;
DROP INDEX deliveries_playbook_idx;
ALTER TABLE deliveries DROP COLUMN playbook_id, DROP COLUMN webhook_format;
DROP TABLE escalations;
DROP TABLE playbook_actions;
DROP TABLE playbook_runs;
DROP TABLE playbooks;
