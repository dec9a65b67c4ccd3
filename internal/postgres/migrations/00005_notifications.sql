-- +goose Up
-- Notifications: alerts once per project, kind and deadline; delivery by
-- email and signed webhooks with a log of every attempt; preferences,
-- quiet hours, digests, cooldown and escalation.

ALTER TABLE notifications
    ADD COLUMN dedupe_key  text,
    ADD COLUMN email_state text NOT NULL DEFAULT 'none' CHECK (email_state IN ('none', 'pending', 'digest', 'sent', 'skipped'));
CREATE UNIQUE INDEX notifications_dedupe_idx ON notifications (tenant_id, user_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX notifications_digest_idx ON notifications (tenant_id, user_id) WHERE email_state = 'digest';

-- One row per alert raised for a project: the primary key is what makes an
-- alert happen once, however many scans run at the same time.
CREATE TABLE project_alerts (
    tenant_id   uuid        NOT NULL,
    project_id  uuid        NOT NULL,
    kind        text        NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 64),
    dedupe      text        NOT NULL CHECK (char_length(dedupe) BETWEEN 1 AND 200),
    reason      text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, project_id, kind, dedupe),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, project_id) ON DELETE CASCADE
);

ALTER TABLE projects
    ADD COLUMN forecast_finish timestamptz,
    ADD COLUMN at_risk         boolean NOT NULL DEFAULT false,
    ADD COLUMN risk_reason     text CHECK (char_length(risk_reason) <= 1000),
    ADD COLUMN forecast_at     timestamptz;

ALTER TABLE tenants
    ADD COLUMN quiet_hours_start              smallint CHECK (quiet_hours_start BETWEEN 0 AND 23),
    ADD COLUMN quiet_hours_end                smallint CHECK (quiet_hours_end BETWEEN 0 AND 23),
    ADD COLUMN digest_hour                    smallint NOT NULL DEFAULT 8 CHECK (digest_hour BETWEEN 0 AND 23),
    ADD COLUMN notification_cooldown_hours    integer  NOT NULL DEFAULT 24 CHECK (notification_cooldown_hours BETWEEN 0 AND 720),
    ADD COLUMN escalate_to_admins_after_days  integer  NOT NULL DEFAULT 3 CHECK (escalate_to_admins_after_days BETWEEN 1 AND 365),
    ADD COLUMN last_digest_on                 date;

CREATE TABLE notification_preferences (
    tenant_id  uuid    NOT NULL,
    user_id    uuid    NOT NULL,
    kind       text    NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 64),
    in_app     boolean NOT NULL DEFAULT true,
    email      text    NOT NULL DEFAULT 'immediate' CHECK (email IN ('immediate', 'digest', 'off')),
    PRIMARY KEY (tenant_id, user_id, kind),
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE CASCADE
);

ALTER TABLE webhook_endpoints
    ADD COLUMN allow_http        boolean NOT NULL DEFAULT false,
    ADD COLUMN secret_rotated_at timestamptz,
    ADD COLUMN disabled_reason   text;

CREATE TABLE deliveries (
    tenant_id        uuid        NOT NULL,
    delivery_id      uuid        NOT NULL DEFAULT gen_random_uuid(),
    channel          text        NOT NULL CHECK (channel IN ('email', 'webhook')),
    notification_id  uuid,
    endpoint_id      uuid,
    event_type       text        NOT NULL,
    payload          jsonb       NOT NULL DEFAULT '{}',
    recipient        text        NOT NULL,
    message_id       text        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'retrying', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    PRIMARY KEY (tenant_id, delivery_id),
    FOREIGN KEY (tenant_id, notification_id) REFERENCES notifications (tenant_id, notification_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, endpoint_id) ON DELETE CASCADE
);
CREATE INDEX deliveries_notification_idx ON deliveries (tenant_id, notification_id) WHERE notification_id IS NOT NULL;
CREATE INDEX deliveries_endpoint_idx ON deliveries (tenant_id, endpoint_id, created_at DESC) WHERE endpoint_id IS NOT NULL;
CREATE INDEX deliveries_created_idx ON deliveries (tenant_id, created_at DESC);

CREATE TABLE delivery_attempts (
    tenant_id    uuid        NOT NULL,
    delivery_id  uuid        NOT NULL,
    attempt      integer     NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    ok           boolean     NOT NULL,
    result       text        NOT NULL,
    duration_ms  integer     NOT NULL,
    PRIMARY KEY (tenant_id, delivery_id, attempt),
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES deliveries (tenant_id, delivery_id) ON DELETE CASCADE
);

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['project_alerts', 'notification_preferences', 'deliveries', 'delivery_attempts'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$
            CREATE POLICY tenant_isolation ON %I
                USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
                WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
        $p$, t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE delivery_attempts, deliveries, notification_preferences, project_alerts;
ALTER TABLE webhook_endpoints DROP COLUMN allow_http, DROP COLUMN secret_rotated_at, DROP COLUMN disabled_reason;
ALTER TABLE tenants DROP COLUMN quiet_hours_start, DROP COLUMN quiet_hours_end, DROP COLUMN digest_hour,
    DROP COLUMN notification_cooldown_hours, DROP COLUMN escalate_to_admins_after_days, DROP COLUMN last_digest_on;
ALTER TABLE projects DROP COLUMN forecast_finish, DROP COLUMN at_risk, DROP COLUMN risk_reason, DROP COLUMN forecast_at;
DROP INDEX notifications_digest_idx;
DROP INDEX notifications_dedupe_idx;
ALTER TABLE notifications DROP COLUMN dedupe_key, DROP COLUMN email_state;
