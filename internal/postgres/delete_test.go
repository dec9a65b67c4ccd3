package postgres_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestDeletesClearWhatReferredToThem: the schema's keys take no action on
// delete (a distributed planner refuses ON DELETE SET NULL), so each delete
// path clears what refers to the row itself. Deleting a template used by a
// project, a task and a project that conversations are about, and a
// customer whose contact acted, asked and was assigned work, all succeed,
// and leave the log, the AI calls and the other conversations in place,
// without the reference.
func TestDeletesClearWhatReferredToThem(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	res, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Refs", Slug: "refs", AdminEmail: "admin@refs.test", AdminName: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	tenant, admin := res.Tenant.ID, res.Admin.ID
	as := onboardiq.NewContextWithPrincipal(ctx, onboardiq.SystemPrincipal(tenant))
	db := d.App
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tpl, err := db.CreateTemplate(as, onboardiq.Template{Name: "Plan", Tasks: []onboardiq.TemplateTask{{Phase: "Setup", Description: "Kick-off", Side: "vendor"}}})
	must(err)
	c, err := db.CreateCustomer(as, onboardiq.NewCustomer{Name: "Leaving Ltd"})
	must(err)
	contact, err := db.CreateUser(as, onboardiq.NewUser{Email: "pat@leaving.test", Name: "Pat", Role: onboardiq.RoleCustomer, CustomerID: &c.ID})
	must(err)
	pr, err := db.CreateProject(as, onboardiq.NewProject{CustomerID: c.ID, Name: "Rollout", TemplateID: &tpl.ID})
	must(err)
	other, err := db.CreateProject(as, onboardiq.NewProject{CustomerID: c.ID, Name: "Second"})
	must(err)
	task, err := db.CreateTask(as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Send the logo"), AssignedTo: onboardiq.Set(contact.ID)})
	must(err)
	gone, err := db.CreateTask(as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Scrapped")})
	must(err)
	contactAs := onboardiq.NewContextWithPrincipal(ctx, &onboardiq.Principal{TenantID: tenant, UserID: contact.ID, Role: onboardiq.RoleCustomer, CustomerID: &c.ID})
	_, err = db.AddComment(contactAs, task.ID, "Sent.")
	must(err)

	// Conversations: the admin's about the task to be deleted and about the
	// other project; the contact's (with an AI call) about the first one.
	var adminOnTask, adminOnProject, contactConv uuid.UUID
	must(db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		ins := `INSERT INTO assistant_conversations (tenant_id, user_id, project_id, task_id) VALUES ($1, $2, $3, $4) RETURNING conversation_id`
		if err := tx.QueryRow(ctx, ins, tenant, admin, pr.ID, gone.ID).Scan(&adminOnTask); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, ins, tenant, admin, other.ID, nil).Scan(&adminOnProject); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, ins, tenant, contact.ID, pr.ID, task.ID).Scan(&contactConv); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO ai_calls (tenant_id, user_id, kind, conversation_id, question, provider, model, latency_ms)
VALUES ($1, $2, 'answer', $3, 'Where do I send the logo?', 'local', 'test', 1)`, tenant, contact.ID, contactConv)
		return err
	}))

	must(db.DeleteTemplate(as, tpl.ID))
	must(db.DeleteTask(as, gone.ID))
	must(db.DeleteProject(as, other.ID))
	must(db.DeleteCustomer(as, c.ID))

	must(db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var convs, calls, callsWithUser, events, eventsByContact int
		var onTask, onProject *uuid.UUID
		err := tx.QueryRow(ctx, `
SELECT (SELECT count(*) FROM assistant_conversations),
       (SELECT task_id FROM assistant_conversations WHERE conversation_id = $1),
       (SELECT project_id FROM assistant_conversations WHERE conversation_id = $2),
       (SELECT count(*) FROM ai_calls), (SELECT count(*) FROM ai_calls WHERE user_id IS NOT NULL OR conversation_id IS NOT NULL),
       (SELECT count(*) FROM events WHERE kind = 'task.commented'), (SELECT count(*) FROM events WHERE actor_user_id = $3)`,
			adminOnTask, adminOnProject, contact.ID).Scan(&convs, &onTask, &onProject, &calls, &callsWithUser, &events, &eventsByContact)
		if err != nil {
			return err
		}
		if convs != 2 || onTask != nil || onProject != nil {
			t.Errorf("the admin's conversations: %d left, about task %v and project %v; want both, about neither", convs, onTask, onProject)
		}
		if calls != 1 || callsWithUser != 0 {
			t.Errorf("AI calls: %d left, %d still naming the contact or their conversation; want 1 and 0", calls, callsWithUser)
		}
		if events != 1 || eventsByContact != 0 {
			t.Errorf("the contact's comment: %d in the log, %d still naming them; want 1 and 0", events, eventsByContact)
		}
		return nil
	}))
}
