-- +goose Up
-- Every call to the assistant, for audit and for the monthly token budget.
CREATE TABLE ai_calls (
    tenant_id        uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    call_id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    user_id          uuid,
    kind             text        NOT NULL CHECK (kind IN ('answer', 'summary', 'troubleshoot', 'unblock')),
    conversation_id  uuid,
    question         text        NOT NULL CHECK (char_length(question) <= 10000),
    sources          jsonb       NOT NULL DEFAULT '[]',
    provider         text        NOT NULL,
    model            text        NOT NULL,
    input_tokens     integer     NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens    integer     NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    latency_ms       integer     NOT NULL CHECK (latency_ms >= 0),
    error            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, call_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE SET NULL (user_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES assistant_conversations (tenant_id, conversation_id) ON DELETE SET NULL (conversation_id)
);
CREATE INDEX ai_calls_created_idx ON ai_calls (tenant_id, created_at DESC);

ALTER TABLE ai_calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_calls FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ai_calls
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Tokens a tenant's assistant may use per calendar month (UTC); NULL: no limit.
ALTER TABLE tenants ADD COLUMN ai_monthly_token_budget bigint CHECK (ai_monthly_token_budget >= 0);

-- +goose Down
ALTER TABLE tenants DROP COLUMN ai_monthly_token_budget;
DROP TABLE ai_calls;
