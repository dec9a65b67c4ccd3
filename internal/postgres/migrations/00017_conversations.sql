-- +goose Up
-- "Ask my CSM" (docs/web.md): a customer contact's question to the
-- customer's support member, and the thread that follows. A conversation
-- belongs to its customer (it goes when the customer goes); the contact who
-- opened it, the CSM it went to, the project and the task it is about are
-- named without keys, like the event log's names: the thread outlives them,
-- and the store reads them back with outer joins.
CREATE TABLE conversations (
    tenant_id                 uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    conversation_id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    customer_id               uuid        NOT NULL,
    opened_by                 uuid        NOT NULL,
    -- The customer's support member when it was opened; NULL when the
    -- customer had none (the admins answer it).
    csm_id                    uuid,
    project_id                uuid,
    task_id                   uuid,
    -- The assistant's conversation whose answer the contact passed on
    -- (its question, answer and sources are copied into the messages).
    assistant_conversation_id uuid,
    subject                   text        NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
    status                    text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    -- The customer spoke last: a staff reply is due.
    awaiting_reply            boolean     NOT NULL DEFAULT true,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    last_message_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, conversation_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE
);
-- The inbox and the lists: newest activity first, by status and customer.
CREATE INDEX conversations_activity_idx ON conversations (tenant_id, status, last_message_at DESC, conversation_id DESC);
CREATE INDEX conversations_customer_idx ON conversations (tenant_id, customer_id, last_message_at DESC);
CREATE INDEX conversations_csm_idx ON conversations (tenant_id, csm_id) WHERE status = 'open';

CREATE TABLE conversation_messages (
    tenant_id        uuid        NOT NULL,
    message_id       uuid        NOT NULL DEFAULT gen_random_uuid(),
    conversation_id  uuid        NOT NULL,
    -- NULL for the assistant's answer.
    author_id        uuid,
    kind             text        NOT NULL CHECK (kind IN ('question', 'assistant_answer', 'reply')),
    -- Markdown. People write at most 10,000 characters (the store checks);
    -- an assistant's answer may be as long as the assistant's own cap.
    body             text        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 50000),
    -- The assistant's cited sources: [{"title", "link", "type", "id"}].
    sources          jsonb       NOT NULL DEFAULT '[]',
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, message_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, conversation_id) ON DELETE CASCADE
);
CREATE INDEX conversation_messages_thread_idx ON conversation_messages (tenant_id, conversation_id, created_at, message_id);

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['conversations', 'conversation_messages'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE conversation_messages, conversations;
