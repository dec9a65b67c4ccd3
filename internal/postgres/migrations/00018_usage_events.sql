-- +goose Up
-- Usage events pushed from the vendor's product (POST /api/v1/usage-events,
-- the CSV import): one row per event id the sender gave (event_key), counted
-- once however often it is sent. Months of events stay cheap: rows arrive
-- roughly in occurred_at order, so a BRIN index on it (a few pages per
-- gigabyte) serves the retention cleanup and time-range reads; the only
-- b-tree is the uniqueness key. No key to customers: the store checks the
-- customer when the event arrives, and the log, like the event log,
-- outlives what it names until retention removes it (docs/usage.md).
CREATE TABLE usage_events (
    tenant_id    uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    event_key    text        NOT NULL CHECK (char_length(event_key) BETWEEN 1 AND 200),
    customer_id  uuid        NOT NULL,
    user_email   text        CHECK (char_length(user_email) <= 320),
    name         text        NOT NULL CHECK (name ~ '^[a-z0-9_.-]{1,100}$'),
    properties   jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
    occurred_at  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, event_key)
);
CREATE INDEX usage_events_occurred_brin ON usage_events USING brin (occurred_at);
ALTER TABLE usage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_events
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- The roll-up, per customer per UTC day per event name: how many events and
-- how many distinct users sent them. Kept in the ingesting transaction.
CREATE TABLE usage_daily (
    tenant_id    uuid    NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    customer_id  uuid    NOT NULL,
    day          date    NOT NULL,
    name         text    NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    events       bigint  NOT NULL CHECK (events >= 0),
    users        integer NOT NULL CHECK (users >= 0),
    PRIMARY KEY (tenant_id, customer_id, day, name),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE
);
-- The retention's delete finds old days through BRIN, as for the events.
CREATE INDEX usage_daily_day_brin ON usage_daily USING brin (day);
ALTER TABLE usage_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_daily FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_daily
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Who was active, exactly (no sketches): one row per customer, day, event
-- name and user. A new row here is a new distinct user of usage_daily;
-- daily active users are the distinct emails of a day.
CREATE TABLE usage_daily_users (
    tenant_id    uuid    NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    customer_id  uuid    NOT NULL,
    day          date    NOT NULL,
    name         text    NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    user_email   text    NOT NULL CHECK (char_length(user_email) BETWEEN 1 AND 320),
    PRIMARY KEY (tenant_id, customer_id, day, name, user_email),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE
);
CREATE INDEX usage_daily_users_day_brin ON usage_daily_users USING brin (day);
ALTER TABLE usage_daily_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_daily_users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_daily_users
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- The event names a tenant marks as its product's core features (feature
-- adoption: distinct core features used of those defined).
CREATE TABLE core_features (
    tenant_id  uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (name ~ '^[a-z0-9_.-]{1,100}$'),
    PRIMARY KEY (tenant_id, name)
);
ALTER TABLE core_features ENABLE ROW LEVEL SECURITY;
ALTER TABLE core_features FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON core_features
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- How long usage events and their roll-ups are kept; the delay scan
-- deletes what is older.
ALTER TABLE tenants
    ADD COLUMN usage_retention_days integer NOT NULL DEFAULT 400 CHECK (usage_retention_days BETWEEN 7 AND 3650);

-- +goose Down
ALTER TABLE tenants DROP COLUMN usage_retention_days;
DROP TABLE core_features;
DROP TABLE usage_daily_users;
DROP TABLE usage_daily;
DROP TABLE usage_events;
