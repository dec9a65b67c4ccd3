-- +goose Up
-- The keys that cleared a column when their target was deleted (ON DELETE SET
-- NULL) become plain keys: a distributed planner refuses that action when the
-- key includes the distribution column (tenant_id), so the delete paths clear
-- the columns themselves, the same on every deployment (postgres: DeleteCustomer,
-- DeleteProject, DeleteTask, DeleteTemplate).
ALTER TABLE customers DROP CONSTRAINT customers_tenant_id_support_member_id_fkey,
    ADD CONSTRAINT customers_tenant_id_support_member_id_fkey FOREIGN KEY (tenant_id, support_member_id) REFERENCES support_members (tenant_id, support_member_id);
ALTER TABLE projects DROP CONSTRAINT projects_tenant_id_template_id_fkey,
    ADD CONSTRAINT projects_tenant_id_template_id_fkey FOREIGN KEY (tenant_id, template_id) REFERENCES templates (tenant_id, template_id);
ALTER TABLE tasks DROP CONSTRAINT tasks_tenant_id_assigned_to_fkey,
    ADD CONSTRAINT tasks_tenant_id_assigned_to_fkey FOREIGN KEY (tenant_id, assigned_to) REFERENCES tenant_users (tenant_id, user_id);
ALTER TABLE knowledge_base DROP CONSTRAINT knowledge_base_tenant_id_created_by_fkey,
    ADD CONSTRAINT knowledge_base_tenant_id_created_by_fkey FOREIGN KEY (tenant_id, created_by) REFERENCES tenant_users (tenant_id, user_id);
ALTER TABLE events DROP CONSTRAINT events_tenant_id_actor_user_id_fkey,
    ADD CONSTRAINT events_tenant_id_actor_user_id_fkey FOREIGN KEY (tenant_id, actor_user_id) REFERENCES tenant_users (tenant_id, user_id);
ALTER TABLE assistant_conversations DROP CONSTRAINT assistant_conversations_tenant_id_project_id_fkey,
    ADD CONSTRAINT assistant_conversations_tenant_id_project_id_fkey FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, project_id),
    DROP CONSTRAINT assistant_conversations_tenant_id_task_id_fkey,
    ADD CONSTRAINT assistant_conversations_tenant_id_task_id_fkey FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, task_id);
ALTER TABLE ai_calls DROP CONSTRAINT ai_calls_tenant_id_conversation_id_fkey,
    ADD CONSTRAINT ai_calls_tenant_id_conversation_id_fkey FOREIGN KEY (tenant_id, conversation_id) REFERENCES assistant_conversations (tenant_id, conversation_id),
    DROP CONSTRAINT ai_calls_tenant_id_user_id_fkey,
    ADD CONSTRAINT ai_calls_tenant_id_user_id_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, user_id);

-- +goose Down
ALTER TABLE customers DROP CONSTRAINT customers_tenant_id_support_member_id_fkey,
    ADD CONSTRAINT customers_tenant_id_support_member_id_fkey FOREIGN KEY (tenant_id, support_member_id) REFERENCES support_members (tenant_id, support_member_id) ON DELETE SET NULL (support_member_id);
ALTER TABLE projects DROP CONSTRAINT projects_tenant_id_template_id_fkey,
    ADD CONSTRAINT projects_tenant_id_template_id_fkey FOREIGN KEY (tenant_id, template_id) REFERENCES templates (tenant_id, template_id) ON DELETE SET NULL (template_id);
ALTER TABLE tasks DROP CONSTRAINT tasks_tenant_id_assigned_to_fkey,
    ADD CONSTRAINT tasks_tenant_id_assigned_to_fkey FOREIGN KEY (tenant_id, assigned_to) REFERENCES tenant_users (tenant_id, user_id) ON DELETE SET NULL (assigned_to);
ALTER TABLE knowledge_base DROP CONSTRAINT knowledge_base_tenant_id_created_by_fkey,
    ADD CONSTRAINT knowledge_base_tenant_id_created_by_fkey FOREIGN KEY (tenant_id, created_by) REFERENCES tenant_users (tenant_id, user_id) ON DELETE SET NULL (created_by);
ALTER TABLE events DROP CONSTRAINT events_tenant_id_actor_user_id_fkey,
    ADD CONSTRAINT events_tenant_id_actor_user_id_fkey FOREIGN KEY (tenant_id, actor_user_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE SET NULL (actor_user_id);
ALTER TABLE assistant_conversations DROP CONSTRAINT assistant_conversations_tenant_id_project_id_fkey,
    ADD CONSTRAINT assistant_conversations_tenant_id_project_id_fkey FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, project_id) ON DELETE SET NULL (project_id),
    DROP CONSTRAINT assistant_conversations_tenant_id_task_id_fkey,
    ADD CONSTRAINT assistant_conversations_tenant_id_task_id_fkey FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, task_id) ON DELETE SET NULL (task_id);
ALTER TABLE ai_calls DROP CONSTRAINT ai_calls_tenant_id_conversation_id_fkey,
    ADD CONSTRAINT ai_calls_tenant_id_conversation_id_fkey FOREIGN KEY (tenant_id, conversation_id) REFERENCES assistant_conversations (tenant_id, conversation_id) ON DELETE SET NULL (conversation_id),
    DROP CONSTRAINT ai_calls_tenant_id_user_id_fkey,
    ADD CONSTRAINT ai_calls_tenant_id_user_id_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE SET NULL (user_id);
