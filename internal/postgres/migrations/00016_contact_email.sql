-- +goose Up
-- Email to customer contacts (internal/mailtemplate): the tenant's own
-- versions of each kind's subject and Markdown body (none until an admin
-- edits one; the defaults live in the code), the rules of when reminders go
-- out, each contact's time zone, and addresses that bounced.
CREATE TABLE email_templates (
    tenant_id   uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    kind        text        NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 64),
    subject     text        NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
    body        text        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 20000),
    updated_by  uuid,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, kind)
);
ALTER TABLE email_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON email_templates
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- A contact's time zone (the weekly digest's hour, quiet hours; empty: the
-- workspace's) and, after a hard bounce, when and why their address stopped
-- taking mail. Changing the address clears it.
ALTER TABLE tenant_users
    ADD COLUMN time_zone            text NOT NULL DEFAULT '' CHECK (char_length(time_zone) <= 64),
    ADD COLUMN undeliverable_at     timestamptz,
    ADD COLUMN undeliverable_reason text CHECK (char_length(undeliverable_reason) <= 300);

-- An email to a contact is queued once per idempotency key (the kind, what
-- it is about, and its occasion: a task's due date, a digest's week), so a
-- scan or a consumer run twice queues it once; user_id is its recipient.
-- 'skipped' is an email that was not sent by rule (the daily cap, an
-- undeliverable address), with the reason in last_error.
ALTER TABLE deliveries
    ADD COLUMN idempotency_key text CHECK (char_length(idempotency_key) <= 200),
    ADD COLUMN user_id         uuid,
    DROP CONSTRAINT deliveries_status_check,
    ADD CONSTRAINT deliveries_status_check CHECK (status IN ('pending', 'delivered', 'retrying', 'failed', 'skipped'));
CREATE UNIQUE INDEX deliveries_idempotency_idx ON deliveries (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX deliveries_recipient_idx ON deliveries (tenant_id, user_id, created_at DESC) WHERE user_id IS NOT NULL;

-- When reminders go to contacts (settings, "Emails to contacts").
ALTER TABLE tenants
    ADD COLUMN contact_due_soon_days       integer  NOT NULL DEFAULT 2 CHECK (contact_due_soon_days BETWEEN 0 AND 30),
    ADD COLUMN contact_overdue_every_days  integer  NOT NULL DEFAULT 3 CHECK (contact_overdue_every_days BETWEEN 1 AND 30),
    ADD COLUMN contact_overdue_max         integer  NOT NULL DEFAULT 3 CHECK (contact_overdue_max BETWEEN 0 AND 20),
    ADD COLUMN contact_digest_weekday      smallint NOT NULL DEFAULT 1 CHECK (contact_digest_weekday BETWEEN 0 AND 6),
    ADD COLUMN contact_digest_hour         smallint NOT NULL DEFAULT 9 CHECK (contact_digest_hour BETWEEN 0 AND 23),
    ADD COLUMN contact_reengage_days       integer  NOT NULL DEFAULT 7 CHECK (contact_reengage_days BETWEEN 0 AND 90),
    ADD COLUMN contact_daily_cap           integer  NOT NULL DEFAULT 10 CHECK (contact_daily_cap BETWEEN 1 AND 100);

-- The one-click link in an email to a contact (contact_mail.go, LinkEmail)
-- is a login token of its own purpose.
ALTER TABLE login_tokens DROP CONSTRAINT login_tokens_purpose_check;
ALTER TABLE login_tokens ADD CONSTRAINT login_tokens_purpose_check
    CHECK (purpose IN ('magic_link', 'password_reset', 'invitation', 'email_link'));

-- +goose Down
DELETE FROM login_tokens WHERE purpose = 'email_link';
ALTER TABLE login_tokens DROP CONSTRAINT login_tokens_purpose_check;
ALTER TABLE login_tokens ADD CONSTRAINT login_tokens_purpose_check
    CHECK (purpose IN ('magic_link', 'password_reset', 'invitation'));
ALTER TABLE tenants DROP COLUMN contact_due_soon_days, DROP COLUMN contact_overdue_every_days, DROP COLUMN contact_overdue_max,
    DROP COLUMN contact_digest_weekday, DROP COLUMN contact_digest_hour, DROP COLUMN contact_reengage_days, DROP COLUMN contact_daily_cap;
DROP INDEX deliveries_recipient_idx;
DROP INDEX deliveries_idempotency_idx;
DELETE FROM deliveries WHERE status = 'skipped';
ALTER TABLE deliveries DROP COLUMN idempotency_key, DROP COLUMN user_id,
    DROP CONSTRAINT deliveries_status_check,
    ADD CONSTRAINT deliveries_status_check CHECK (status IN ('pending', 'delivered', 'retrying', 'failed'));
ALTER TABLE tenant_users DROP COLUMN time_zone, DROP COLUMN undeliverable_at, DROP COLUMN undeliverable_reason;
DROP TABLE email_templates;
