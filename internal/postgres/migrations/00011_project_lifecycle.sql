-- +goose Up
-- A project can be put on hold or cancelled by hand, with a reason, and
-- records when its status last changed. That column has no value for the
-- projects already there (migrations see no tenant's rows, and a guess
-- would be wrong): reads fall back to the completion or creation time.
-- One constraint per statement: Citus refuses ADD CONSTRAINT beside other
-- subcommands.
ALTER TABLE projects DROP CONSTRAINT projects_status_check;
ALTER TABLE projects ADD CONSTRAINT projects_status_check
    CHECK (status IN ('not_started', 'in_progress', 'blocked', 'completed', 'on_hold', 'cancelled'));
-- held_days: the whole days spent on hold, by which resuming moved the
-- deadline and the open tasks' due dates (the forecast's pace leaves them out).
ALTER TABLE projects
    ADD COLUMN status_reason text CHECK (char_length(status_reason) BETWEEN 1 AND 2000),
    ADD COLUMN status_changed_at timestamptz,
    ADD COLUMN held_days integer NOT NULL DEFAULT 0 CHECK (held_days >= 0);
ALTER TABLE projects ALTER COLUMN status_changed_at SET DEFAULT now();
-- A reason only for a project on hold or cancelled, and always for one on
-- hold (a project cancelled before reasons were recorded has none).
ALTER TABLE projects ADD CONSTRAINT projects_reason_when_paused
    CHECK (status IN ('on_hold', 'cancelled') OR status_reason IS NULL);
ALTER TABLE projects ADD CONSTRAINT projects_on_hold_has_reason
    CHECK (status <> 'on_hold' OR status_reason IS NOT NULL);

-- The delay scan leaves projects on hold alone, as it does finished ones.
DROP INDEX projects_open_deadline_idx;
CREATE INDEX projects_open_deadline_idx ON projects (deadline) WHERE status NOT IN ('completed', 'on_hold', 'cancelled');

-- +goose Down
-- Fails while a project is on hold: resume or cancel it first.
DROP INDEX projects_open_deadline_idx;
CREATE INDEX projects_open_deadline_idx ON projects (deadline) WHERE status NOT IN ('completed', 'cancelled');
ALTER TABLE projects DROP CONSTRAINT projects_on_hold_has_reason;
ALTER TABLE projects DROP CONSTRAINT projects_reason_when_paused;
ALTER TABLE projects DROP COLUMN held_days, DROP COLUMN status_changed_at, DROP COLUMN status_reason;
ALTER TABLE projects DROP CONSTRAINT projects_status_check;
ALTER TABLE projects ADD CONSTRAINT projects_status_check
    CHECK (status IN ('not_started', 'in_progress', 'blocked', 'completed', 'cancelled'));
