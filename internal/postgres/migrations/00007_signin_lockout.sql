-- +goose Up
-- Failed password sign-ins per account. They are counted here rather than
-- in a server's memory so that no flood of other attempts can make the
-- server forget an account under attack, and so that every app server sees
-- the same count. A row exists only for an account with recent failures.
CREATE TABLE signin_failures (
    tenant_id     uuid        NOT NULL,
    user_id       uuid        NOT NULL,
    failures      integer     NOT NULL CHECK (failures > 0),
    window_start  timestamptz NOT NULL,
    locked_until  timestamptz,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE CASCADE
);

ALTER TABLE signin_failures ENABLE ROW LEVEL SECURITY;
ALTER TABLE signin_failures FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON signin_failures
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- +goose Down
DROP TABLE signin_failures;
