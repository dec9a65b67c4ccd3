-- +goose Up
-- Task dependencies (docs/decisions/0011-dependencies.md): finish-to-start
-- only. A row says task_id waits until depends_on_task_id is finished. Both
-- tasks belong to the same project, which the store checks (a key cannot:
-- the row names no project); deleting either task deletes the row.
CREATE TABLE task_dependencies (
    tenant_id           uuid NOT NULL,
    task_id             uuid NOT NULL,
    depends_on_task_id  uuid NOT NULL,
    PRIMARY KEY (tenant_id, task_id, depends_on_task_id),
    CHECK (task_id <> depends_on_task_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, task_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, depends_on_task_id) REFERENCES tasks (tenant_id, task_id) ON DELETE CASCADE
);
-- Who waits on a task: shifting its dependents, "waits on this" on its page.
CREATE INDEX task_dependencies_waiting_idx ON task_dependencies (tenant_id, depends_on_task_id);

-- The same between a template's tasks, copied into task_dependencies when a
-- project is created from the template.
CREATE TABLE template_task_dependencies (
    tenant_id                    uuid NOT NULL,
    template_task_id             uuid NOT NULL,
    depends_on_template_task_id  uuid NOT NULL,
    PRIMARY KEY (tenant_id, template_task_id, depends_on_template_task_id),
    CHECK (template_task_id <> depends_on_template_task_id),
    FOREIGN KEY (tenant_id, template_task_id) REFERENCES template_tasks (tenant_id, template_task_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, depends_on_template_task_id) REFERENCES template_tasks (tenant_id, template_task_id) ON DELETE CASCADE
);
CREATE INDEX template_task_dependencies_waiting_idx ON template_task_dependencies (tenant_id, depends_on_template_task_id);

-- When work on a task is planned to start (the timeline). The store keeps
-- it no later than the due date; a constraint would turn every path that
-- moves a due date into one that can fail on it.
ALTER TABLE tasks ADD COLUMN start_at timestamptz;

-- A tenant's holidays: days that, like weekends, are not working days when
-- template offsets and durations are counted and when dependents are moved.
CREATE TABLE tenant_holidays (
    tenant_id  uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    day        date NOT NULL,
    name       text NOT NULL DEFAULT '' CHECK (char_length(name) <= 100),
    PRIMARY KEY (tenant_id, day)
);

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['task_dependencies', 'template_task_dependencies', 'tenant_holidays'] LOOP
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
DROP TABLE tenant_holidays, template_task_dependencies, task_dependencies;
ALTER TABLE tasks DROP COLUMN start_at;
