-- +goose Up
-- Satisfaction surveys (docs/surveys.md): one request per survey sent to a
-- contact (CSAT at a milestone or the project's completion, NPS on the
-- workspace's schedule), and the answers. survey_responses is read by the
-- health scores and the success metrics: its columns are a contract.
CREATE TABLE survey_requests (
    tenant_id    uuid        NOT NULL,
    request_id   uuid        NOT NULL DEFAULT gen_random_uuid(),
    kind         text        NOT NULL CHECK (kind IN ('csat', 'nps')),
    customer_id  uuid        NOT NULL,
    user_id      uuid        NOT NULL,
    project_id   uuid,
    reason       text        NOT NULL CHECK (reason IN ('project_completed', 'milestone', 'schedule')),
    subject      text        NOT NULL DEFAULT '' CHECK (char_length(subject) <= 300),
    -- What makes the request once: kind, occasion and contact
    -- ("csat:milestone:<project>:<phase>:<contact>").
    dedupe_key   text        NOT NULL CHECK (char_length(dedupe_key) <= 500),
    sent_at      timestamptz NOT NULL,
    answered_at  timestamptz,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, request_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, project_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX survey_requests_dedupe_idx ON survey_requests (tenant_id, dedupe_key);
CREATE INDEX survey_requests_user_idx ON survey_requests (tenant_id, user_id, kind, sent_at DESC);
ALTER TABLE survey_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE survey_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON survey_requests
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

CREATE TABLE survey_responses (
    tenant_id    uuid        NOT NULL,
    response_id  uuid        NOT NULL DEFAULT gen_random_uuid(),
    request_id   uuid,
    kind         text        NOT NULL CHECK (kind IN ('csat', 'nps')),
    customer_id  uuid        NOT NULL,
    user_id      uuid        NOT NULL,
    project_id   uuid,
    score        integer     NOT NULL CHECK ((kind = 'csat' AND score BETWEEN 1 AND 5) OR (kind = 'nps' AND score BETWEEN 0 AND 10)),
    comment      text        CHECK (char_length(comment) <= 2000),
    answered_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, response_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, request_id) REFERENCES survey_requests (tenant_id, request_id) ON DELETE CASCADE
);
-- A request is answered once.
CREATE UNIQUE INDEX survey_responses_request_idx ON survey_responses (tenant_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX survey_responses_customer_idx ON survey_responses (tenant_id, customer_id, answered_at);
ALTER TABLE survey_responses ENABLE ROW LEVEL SECURITY;
ALTER TABLE survey_responses FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON survey_responses
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE tenants
    ADD COLUMN csat_on_completion boolean NOT NULL DEFAULT true,
    ADD COLUMN csat_on_milestones boolean NOT NULL DEFAULT true,
    ADD COLUMN nps_interval_days  integer NOT NULL DEFAULT 90
        CHECK (nps_interval_days = 0 OR nps_interval_days BETWEEN 30 AND 365);

-- +goose Down
ALTER TABLE tenants DROP COLUMN csat_on_completion, DROP COLUMN csat_on_milestones, DROP COLUMN nps_interval_days;
DROP TABLE survey_responses;
DROP TABLE survey_requests;
