-- +goose Up
-- Health scores (internal/health; docs/customer-success.md). Each
-- customer's current score with its explanation (components and their
-- evidence), recomputed when an event about it arrives and nightly; the
-- daily history (the last score of each UTC day) draws the trend; a
-- workspace's configuration (NULL: the defaults).
CREATE TABLE customer_health (
    tenant_id    uuid        NOT NULL,
    customer_id  uuid        NOT NULL,
    -- NULL score and level: no signal at all, which is not a score of 0.
    score        integer     CHECK (score BETWEEN 0 AND 100),
    level        text        CHECK (char_length(level) BETWEEN 1 AND 40),
    components   jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(components) = 'array'),
    missing      text[]      NOT NULL DEFAULT '{}',
    computed_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE,
    CHECK ((score IS NULL) = (level IS NULL))
);
CREATE INDEX customer_health_score_idx ON customer_health (tenant_id, score);
ALTER TABLE customer_health ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_health FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_health
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

CREATE TABLE health_history (
    tenant_id    uuid        NOT NULL,
    customer_id  uuid        NOT NULL,
    day          date        NOT NULL,
    score        integer     NOT NULL CHECK (score BETWEEN 0 AND 100),
    level        text        NOT NULL CHECK (char_length(level) BETWEEN 1 AND 40),
    computed_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, day),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE
);
ALTER TABLE health_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE health_history FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON health_history
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE tenants
    ADD COLUMN health_config jsonb,
    -- When every customer was last rescored (the nightly recompute).
    ADD COLUMN health_recomputed_at timestamptz;

-- The latest event of each roll-up row, cited as a usage signal's evidence.
ALTER TABLE usage_daily
    ADD COLUMN last_key text CHECK (char_length(last_key) BETWEEN 1 AND 200),
    ADD COLUMN last_at  timestamptz;

-- The usage signals' own roll-up, one row per customer and UTC day: its
-- events, its distinct users whatever the event name (daily active users),
-- and its latest event. Kept in the ingesting transaction beside
-- usage_daily, so that scoring 10,000 customers reads 60 rows each instead
-- of counting distinct users over every event name.
CREATE TABLE usage_days (
    tenant_id    uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    customer_id  uuid        NOT NULL,
    day          date        NOT NULL,
    events       bigint      NOT NULL CHECK (events >= 0),
    users        integer     NOT NULL CHECK (users >= 0),
    -- NULL for the days rolled up before this table existed.
    last_key     text        CHECK (char_length(last_key) BETWEEN 1 AND 200),
    last_at      timestamptz,
    PRIMARY KEY (tenant_id, customer_id, day),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE
);
CREATE INDEX usage_days_day_brin ON usage_days USING brin (day);
ALTER TABLE usage_days ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_days FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_days
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Who was active on a customer's day, whatever the event name: a new row
-- here is a new user of usage_days.
CREATE TABLE usage_day_users (
    tenant_id    uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    customer_id  uuid NOT NULL,
    day          date NOT NULL,
    user_email   text NOT NULL CHECK (char_length(user_email) BETWEEN 1 AND 320),
    PRIMARY KEY (tenant_id, customer_id, day, user_email),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE
);
CREATE INDEX usage_day_users_day_brin ON usage_day_users USING brin (day);
ALTER TABLE usage_day_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_day_users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_day_users
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Existing usage, rolled up the new way, workspace by workspace: row-level
-- security is forced on these tables for their owner too, so each
-- workspace's rows are written with its app.tenant_id set (and, for Citus,
-- each INSERT … SELECT returns its rows).
-- +goose StatementBegin
DO $$
DECLARE
    t uuid;
    n bigint;
BEGIN
    FOR t IN SELECT all_tenant_ids() LOOP
        PERFORM set_config('app.tenant_id', t::text, true);
        WITH ins AS (
            INSERT INTO usage_day_users (tenant_id, customer_id, day, user_email)
            SELECT DISTINCT u.tenant_id, u.customer_id, u.day, u.user_email FROM usage_daily_users u WHERE u.tenant_id = t
            RETURNING 1)
        SELECT count(*) INTO n FROM ins;
        WITH ins AS (
            INSERT INTO usage_days (tenant_id, customer_id, day, events, users)
            SELECT d.tenant_id, d.customer_id, d.day, sum(d.events),
                   (SELECT count(*) FROM usage_day_users u WHERE u.tenant_id = t AND u.customer_id = d.customer_id AND u.day = d.day)
            FROM usage_daily d WHERE d.tenant_id = t GROUP BY d.tenant_id, d.customer_id, d.day
            RETURNING 1)
        SELECT count(*) INTO n FROM ins;
    END LOOP;
    PERFORM set_config('app.tenant_id', '', true);
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE usage_day_users;
DROP TABLE usage_days;
ALTER TABLE usage_daily DROP COLUMN last_key, DROP COLUMN last_at;
ALTER TABLE tenants DROP COLUMN health_config, DROP COLUMN health_recomputed_at;
DROP TABLE health_history;
DROP TABLE customer_health;
