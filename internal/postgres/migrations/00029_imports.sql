-- +goose Up
-- CSV imports (docs/import.md). A row per import started in the console or
-- through the API (a dry run stores nothing): its options, the mapping of
-- fields to headers, its progress and its report. The file itself is kept
-- until the import has run (the job reads it from here) and then dropped.
CREATE TABLE imports (
    tenant_id    uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    import_id    uuid        NOT NULL DEFAULT gen_random_uuid(),
    kind         text        NOT NULL CHECK (kind IN ('customers', 'users', 'projects', 'tasks')),
    status       text        NOT NULL CHECK (status IN ('draft', 'queued', 'running', 'done', 'failed')),
    mode         text        NOT NULL CHECK (mode IN ('all', 'rows')),
    filename     text        NOT NULL DEFAULT '' CHECK (char_length(filename) <= 255),
    mapping      jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(mapping) = 'object'),
    rows         integer     NOT NULL DEFAULT 0,
    processed    integer     NOT NULL DEFAULT 0,
    report       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(report) = 'object'),
    file         bytea,
    base_url     text        NOT NULL DEFAULT '', -- for the invitations of a users import
    created_by   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    PRIMARY KEY (tenant_id, import_id)
);
CREATE INDEX imports_created_idx ON imports (tenant_id, created_at DESC);
ALTER TABLE imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE imports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON imports
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- +goose Down
DROP TABLE imports;
