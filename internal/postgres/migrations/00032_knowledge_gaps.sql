-- +goose Up
-- Knowledge gaps (docs/knowledge-gaps.md): the askers' ratings of the
-- assistant's answers, and the questions the assistant could not answer.

-- One rating per answer (an assistant message), by the conversation's
-- owner, the only one who may rate it; rating again replaces it.
CREATE TABLE assistant_ratings (
    tenant_id        uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    message_id       bigint      NOT NULL,
    conversation_id  uuid        NOT NULL,
    user_id          uuid        NOT NULL,
    helpful          boolean     NOT NULL,
    comment          text        NOT NULL DEFAULT '' CHECK (char_length(comment) <= 2000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, message_id),
    FOREIGN KEY (tenant_id, message_id) REFERENCES assistant_messages (tenant_id, message_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES assistant_conversations (tenant_id, conversation_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX assistant_ratings_conversation_idx ON assistant_ratings (tenant_id, conversation_id);

-- One row per question (a user message of an assistant conversation) the
-- assistant could not answer, with every reason it counts; its embedding is
-- made off the request path (the embed_gap job). customer_id and project_id
-- have no foreign keys: like the activity log, the report outlives a
-- project; the conversation's cascade removes a deleted user's questions.
CREATE TABLE knowledge_gaps (
    tenant_id         uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    gap_id            uuid        NOT NULL DEFAULT gen_random_uuid(),
    message_id        bigint      NOT NULL,
    conversation_id   uuid        NOT NULL,
    user_id           uuid        NOT NULL,
    customer_id       uuid,
    project_id        uuid,
    question          text        NOT NULL CHECK (char_length(question) BETWEEN 1 AND 2000),
    reasons           text[]      NOT NULL CHECK (cardinality(reasons) > 0
                                      AND reasons <@ ARRAY['nothing_found', 'escalated', 'unhelpful']::text[]),
    asked_at          timestamptz NOT NULL,
    vector_embedding  vector(768),
    embedding_model   text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, gap_id),
    UNIQUE (tenant_id, message_id),
    FOREIGN KEY (tenant_id, message_id) REFERENCES assistant_messages (tenant_id, message_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES assistant_conversations (tenant_id, conversation_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX knowledge_gaps_asked_idx ON knowledge_gaps (tenant_id, asked_at DESC);

ALTER TABLE assistant_ratings ENABLE ROW LEVEL SECURITY;
ALTER TABLE assistant_ratings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON assistant_ratings
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE knowledge_gaps ENABLE ROW LEVEL SECURITY;
ALTER TABLE knowledge_gaps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON knowledge_gaps
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- +goose Down
DROP TABLE knowledge_gaps, assistant_ratings;
