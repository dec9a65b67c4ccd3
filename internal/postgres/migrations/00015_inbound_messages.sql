-- +goose Up
-- Replies to OnboardIQ's emails (reply+<token>@ONBOARDIQ_INBOUND_DOMAIN),
-- each with what came of it: applied (a comment, a completion, a block) or
-- refused (the wrong sender, an expired address, a sender who may no longer
-- see or change the task). A reply whose token does not verify names no
-- tenant and goes only to the server's log. Admins read it
-- (GET /api/v1/inbound-messages). No keys to tasks or users: the log
-- outlives what it names, like the event log.
CREATE TABLE inbound_messages (
    tenant_id   uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    message_id  uuid        NOT NULL DEFAULT gen_random_uuid(),
    received_at timestamptz NOT NULL DEFAULT now(),
    transport   text        NOT NULL CHECK (transport IN ('smtp', 'webhook')),
    sender      text        NOT NULL CHECK (char_length(sender) <= 320),
    task_id     uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    outcome     text        NOT NULL CHECK (outcome IN ('commented', 'completed', 'blocked', 'wrong_sender', 'expired', 'not_allowed', 'empty')),
    detail      text        NOT NULL DEFAULT '' CHECK (char_length(detail) <= 500),
    PRIMARY KEY (tenant_id, message_id)
);
CREATE INDEX inbound_messages_recent ON inbound_messages (tenant_id, received_at DESC, message_id DESC);
ALTER TABLE inbound_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE inbound_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inbound_messages
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- +goose Down
DROP TABLE inbound_messages;
