-- +goose Up
-- The base schema. Every tenant-owned table leads its primary key and its
-- foreign keys with tenant_id (so it can be distributed by tenant) and is
-- protected by forced row-level security (00002_rls.sql).

-- Created only when missing: CREATE EXTENSION IF NOT EXISTS still demands
-- ownership of an existing extension on Citus, and an operator may have
-- created it as a superuser for an owner role that is none.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'vector') THEN
        CREATE EXTENSION vector;
    END IF;
END
$$;
-- +goose StatementEnd

CREATE TABLE tenants (
    tenant_id   uuid        NOT NULL DEFAULT gen_random_uuid(),
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    slug        text        NOT NULL CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
    time_zone   text        NOT NULL DEFAULT 'UTC' CHECK (char_length(time_zone) BETWEEN 1 AND 64),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id),
    UNIQUE (slug)
);

CREATE TABLE tenant_users (
    tenant_id      uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    user_id        uuid        NOT NULL DEFAULT gen_random_uuid(),
    email          text        NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254 AND email = lower(email)),
    name           text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    role           text        NOT NULL CHECK (role IN ('admin', 'csm', 'sales_leader', 'viewer', 'customer')),
    customer_id    uuid,
    password_hash  text,
    disabled_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id),
    UNIQUE (tenant_id, email),
    -- A contact belongs to exactly one customer; staff to none.
    CHECK ((role = 'customer') = (customer_id IS NOT NULL))
);

-- A support member is a staff user (csm or admin) who can be assigned to
-- customers; support_member_id is that user's user_id.
CREATE TABLE support_members (
    tenant_id          uuid        NOT NULL,
    support_member_id  uuid        NOT NULL,
    name               text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    email              text        NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    active             boolean     NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, support_member_id),
    FOREIGN KEY (tenant_id, support_member_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE CASCADE
);

CREATE TABLE customers (
    tenant_id          uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    customer_id        uuid        NOT NULL DEFAULT gen_random_uuid(),
    name               text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    contact_info       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(contact_info) = 'object'),
    support_member_id  uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, customer_id),
    FOREIGN KEY (tenant_id, support_member_id) REFERENCES support_members (tenant_id, support_member_id)
        ON DELETE SET NULL (support_member_id)
);
CREATE INDEX customers_support_member_idx ON customers (tenant_id, support_member_id);
CREATE INDEX customers_name_idx ON customers (tenant_id, lower(name));

ALTER TABLE tenant_users
    ADD FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE;
CREATE INDEX tenant_users_customer_idx ON tenant_users (tenant_id, customer_id) WHERE customer_id IS NOT NULL;

-- Playbooks. A template's tasks carry a due date relative to the project start.
CREATE TABLE templates (
    tenant_id    uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    template_id  uuid        NOT NULL DEFAULT gen_random_uuid(),
    name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description  text        NOT NULL DEFAULT '' CHECK (char_length(description) <= 10000),
    is_default   boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, template_id),
    UNIQUE (tenant_id, name)
);
CREATE UNIQUE INDEX templates_one_default ON templates (tenant_id) WHERE is_default;

CREATE TABLE template_tasks (
    tenant_id         uuid    NOT NULL,
    template_task_id  uuid    NOT NULL DEFAULT gen_random_uuid(),
    template_id       uuid    NOT NULL,
    phase             text    NOT NULL CHECK (char_length(phase) BETWEEN 1 AND 100),
    position          integer NOT NULL CHECK (position >= 0),
    description       text    NOT NULL CHECK (char_length(description) BETWEEN 1 AND 500),
    details           text    NOT NULL DEFAULT '' CHECK (char_length(details) <= 20000),
    offset_days       integer NOT NULL CHECK (offset_days BETWEEN 0 AND 3650),
    duration_days     integer NOT NULL DEFAULT 1 CHECK (duration_days BETWEEN 0 AND 3650),
    side              text    NOT NULL CHECK (side IN ('customer', 'vendor')),
    visibility        text    NOT NULL DEFAULT 'customer' CHECK (visibility IN ('customer', 'internal')),
    PRIMARY KEY (tenant_id, template_task_id),
    FOREIGN KEY (tenant_id, template_id) REFERENCES templates (tenant_id, template_id) ON DELETE CASCADE,
    UNIQUE (tenant_id, template_id, position)
);

CREATE TABLE projects (
    tenant_id         uuid         NOT NULL,
    project_id        uuid         NOT NULL DEFAULT gen_random_uuid(),
    customer_id       uuid         NOT NULL,
    template_id       uuid,
    name              text         NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description       text         NOT NULL DEFAULT '' CHECK (char_length(description) <= 10000),
    status            text         NOT NULL DEFAULT 'not_started'
                                   CHECK (status IN ('not_started', 'in_progress', 'blocked', 'completed', 'cancelled')),
    progress          numeric(5,2) NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    start_date        timestamptz  NOT NULL DEFAULT now(),
    deadline          timestamptz,
    completed_at      timestamptz,
    created_at        timestamptz  NOT NULL DEFAULT now(),
    updated_at        timestamptz  NOT NULL DEFAULT now(),
    vector_embedding  vector(768),
    embedding_model   text,
    embedding_hash    bytea,
    PRIMARY KEY (tenant_id, project_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, customer_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, template_id) REFERENCES templates (tenant_id, template_id) ON DELETE SET NULL (template_id),
    CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);
CREATE INDEX projects_customer_idx ON projects (tenant_id, customer_id);
CREATE INDEX projects_status_deadline_idx ON projects (tenant_id, status, deadline);
-- The delay scan: open projects by deadline, across tenants.
CREATE INDEX projects_open_deadline_idx ON projects (deadline) WHERE status NOT IN ('completed', 'cancelled');
CREATE INDEX projects_embedding_idx ON projects USING hnsw (vector_embedding vector_cosine_ops);

CREATE TABLE tasks (
    tenant_id         uuid        NOT NULL,
    task_id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    project_id        uuid        NOT NULL,
    description       text        NOT NULL CHECK (char_length(description) BETWEEN 1 AND 500),
    details           text        NOT NULL DEFAULT '' CHECK (char_length(details) <= 20000),
    assigned_to       uuid,
    status            text        NOT NULL DEFAULT 'not_started'
                                  CHECK (status IN ('not_started', 'in_progress', 'blocked', 'completed', 'cancelled')),
    phase             text        NOT NULL DEFAULT '' CHECK (char_length(phase) <= 100),
    position          integer     NOT NULL DEFAULT 0 CHECK (position >= 0),
    due_at            timestamptz,
    visibility        text        NOT NULL DEFAULT 'customer' CHECK (visibility IN ('customer', 'internal')),
    blocked_reason    text        CHECK (char_length(blocked_reason) <= 2000),
    completed_at      timestamptz,
    template_task_id  uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    vector_embedding  vector(768),
    embedding_model   text,
    embedding_hash    bytea,
    PRIMARY KEY (tenant_id, task_id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, project_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, assigned_to) REFERENCES tenant_users (tenant_id, user_id) ON DELETE SET NULL (assigned_to),
    CHECK (status <> 'blocked' OR char_length(blocked_reason) > 0),
    CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);
CREATE INDEX tasks_project_idx ON tasks (tenant_id, project_id, position);
CREATE INDEX tasks_assignee_idx ON tasks (tenant_id, assigned_to) WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_embedding_idx ON tasks USING hnsw (vector_embedding vector_cosine_ops);

CREATE TABLE knowledge_base (
    tenant_id         uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    article_id        uuid        NOT NULL DEFAULT gen_random_uuid(),
    title             text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
    content           text        NOT NULL DEFAULT '' CHECK (char_length(content) <= 100000),
    visibility        text        NOT NULL DEFAULT 'internal' CHECK (visibility IN ('public', 'internal')),
    tags              text[]      NOT NULL DEFAULT '{}',
    slug              text        CHECK (char_length(slug) <= 100),
    created_by        uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    search            tsvector GENERATED ALWAYS AS (
                          setweight(to_tsvector('english', title), 'A') ||
                          setweight(to_tsvector('english', content), 'B')) STORED,
    vector_embedding  vector(768),
    embedding_model   text,
    embedding_hash    bytea,
    PRIMARY KEY (tenant_id, article_id),
    UNIQUE (tenant_id, slug),
    FOREIGN KEY (tenant_id, created_by) REFERENCES tenant_users (tenant_id, user_id) ON DELETE SET NULL (created_by)
);
CREATE INDEX knowledge_base_search_idx ON knowledge_base USING gin (search);
CREATE INDEX knowledge_base_embedding_idx ON knowledge_base USING hnsw (vector_embedding vector_cosine_ops);

CREATE TABLE notifications (
    tenant_id        uuid        NOT NULL,
    notification_id  uuid        NOT NULL DEFAULT gen_random_uuid(),
    user_id          uuid        NOT NULL,
    kind             text        NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 64),
    project_id       uuid,
    title            text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 300),
    body             text        NOT NULL DEFAULT '' CHECK (char_length(body) <= 10000),
    data             jsonb       NOT NULL DEFAULT '{}',
    read_at          timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, notification_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, project_id) ON DELETE CASCADE
);
CREATE INDEX notifications_user_idx ON notifications (tenant_id, user_id, created_at DESC);
CREATE INDEX notifications_unread_idx ON notifications (tenant_id, user_id) WHERE read_at IS NULL;

-- The activity log: append-only, one row per change, written in the same
-- transaction as the change.
CREATE TABLE events (
    tenant_id      uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    event_id       bigint      GENERATED ALWAYS AS IDENTITY,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    actor_user_id  uuid,
    kind           text        NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 64),
    customer_id    uuid,
    project_id     uuid,
    task_id        uuid,
    changes        jsonb       NOT NULL DEFAULT '{}',
    data           jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, event_id),
    FOREIGN KEY (tenant_id, actor_user_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE SET NULL (actor_user_id)
);
-- No foreign keys to customers, projects or tasks: the log outlives them.
CREATE INDEX events_customer_idx ON events (tenant_id, customer_id, event_id DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX events_project_idx ON events (tenant_id, project_id, event_id DESC) WHERE project_id IS NOT NULL;
CREATE INDEX events_task_idx ON events (tenant_id, task_id, event_id DESC) WHERE task_id IS NOT NULL;

-- API tokens are stored as SHA-256 hashes; the token itself names its tenant
-- so authentication can enter that tenant before looking the hash up.
CREATE TABLE api_tokens (
    tenant_id     uuid        NOT NULL,
    token_id      uuid        NOT NULL DEFAULT gen_random_uuid(),
    user_id       uuid        NOT NULL,
    name          text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    token_hash    bytea       NOT NULL CHECK (octet_length(token_hash) = 32),
    hint          text        NOT NULL CHECK (char_length(hint) <= 16),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    PRIMARY KEY (tenant_id, token_id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_user_idx ON api_tokens (tenant_id, user_id);

CREATE TABLE webhook_endpoints (
    tenant_id    uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    endpoint_id  uuid        NOT NULL DEFAULT gen_random_uuid(),
    url          text        NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2000),
    events       text[]      NOT NULL DEFAULT '{}',
    format       text        NOT NULL DEFAULT 'standard' CHECK (format IN ('standard', 'slack')),
    secret       text        NOT NULL,
    description  text        NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
    disabled_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, endpoint_id)
);

CREATE TABLE assistant_conversations (
    tenant_id        uuid        NOT NULL,
    conversation_id  uuid        NOT NULL DEFAULT gen_random_uuid(),
    user_id          uuid        NOT NULL,
    project_id       uuid,
    task_id          uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, conversation_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, project_id) ON DELETE SET NULL (project_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, task_id) ON DELETE SET NULL (task_id)
);
CREATE INDEX assistant_conversations_user_idx ON assistant_conversations (tenant_id, user_id, updated_at DESC);

CREATE TABLE assistant_messages (
    tenant_id        uuid        NOT NULL,
    conversation_id  uuid        NOT NULL,
    message_id       bigint      GENERATED ALWAYS AS IDENTITY,
    role             text        NOT NULL CHECK (role IN ('user', 'assistant')),
    content          text        NOT NULL CHECK (char_length(content) <= 50000),
    citations        jsonb       NOT NULL DEFAULT '[]',
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, message_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES assistant_conversations (tenant_id, conversation_id) ON DELETE CASCADE
);
CREATE INDEX assistant_messages_conversation_idx ON assistant_messages (tenant_id, conversation_id, message_id);

-- +goose Down
DROP TABLE assistant_messages, assistant_conversations, webhook_endpoints, api_tokens, events,
    notifications, knowledge_base, tasks, projects, template_tasks, templates, customers,
    support_members, tenant_users, tenants;
