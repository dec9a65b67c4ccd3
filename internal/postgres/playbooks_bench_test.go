package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/secret"
)

// benchPlaybooks is a workspace with customers customers (each with a
// project of two tasks) and, besides the defaults, enabled playbooks.
func benchPlaybooks(b *testing.B, customers int, playbooks ...onboardiq.Playbook) (*DB, uuid.UUID, context.Context, []uuid.UUID) {
	b.Helper()
	ctx := context.Background()
	ring, err := secret.NewKeyring([][]byte{make([]byte, 32)})
	if err != nil {
		b.Fatal(err)
	}
	db, err := Open(ctx, testAppURL(b), WithSecrets(ring))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	ten, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Bench", Slug: "bench", AdminEmail: "a@bench.test"})
	if err != nil {
		b.Fatal(err)
	}
	admin, err := db.Authenticate(ctx, ten.Token)
	if err != nil {
		b.Fatal(err)
	}
	as := onboardiq.NewContextWithPrincipal(ctx, admin)
	var tasks []uuid.UUID
	for i := range customers {
		c, err := db.CreateCustomer(as, onboardiq.NewCustomer{Name: fmt.Sprintf("Customer %d", i), Segment: "enterprise", SupportMemberID: &admin.UserID})
		if err != nil {
			b.Fatal(err)
		}
		if i < 10 {
			pr, err := db.CreateProject(as, onboardiq.NewProject{CustomerID: c.ID, Name: fmt.Sprintf("Project %d", i)})
			if err != nil {
				b.Fatal(err)
			}
			t, err := db.CreateTask(as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Task")})
			if err != nil {
				b.Fatal(err)
			}
			tasks = append(tasks, t.ID)
		}
	}
	for _, p := range playbooks {
		p.Enabled = true
		if _, err := db.CreatePlaybook(as, p); err != nil {
			b.Fatal(err)
		}
	}
	return db, ten.Tenant.ID, as, tasks
}

// BenchmarkTriggerPlaybooks is the playbooks consumer's cost per event, in
// its own transaction: "miss", an event no playbook is triggered by (most
// events); "run", a task.blocked event that a playbook with a condition
// runs on (facts gathered, the run and its two actions recorded, the
// first action's job queued).
func BenchmarkTriggerPlaybooks(b *testing.B) {
	db, tenant, as, tasks := benchPlaybooks(b, 10, onboardiq.Playbook{Name: "Blocked", Trigger: onboardiq.PlaybookTrigger{Event: "task.blocked"},
		Conditions: onboardiq.PlaybookConditions{Rules: []onboardiq.PlaybookCondition{{Field: "customer.segment", Op: "eq", Value: "enterprise"}}},
		Actions:    []onboardiq.PlaybookAction{{Type: "notify", To: []string{"csm"}, Subject: "{{customer_name}}"}, {Type: "create_task", Task: "Call"}}})
	ctx := context.Background()
	if _, err := db.UpdateTask(as, tasks[0], onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusBlocked), BlockedReason: onboardiq.Set("waiting")}); err != nil {
		b.Fatal(err)
	}
	var blocked, updated *onboardiq.Event
	if err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		var ids [2]int64
		if err := tx.QueryRow(ctx, `SELECT max(event_id) FILTER (WHERE kind = 'task.blocked'), max(event_id) FILTER (WHERE kind = 'task.created') FROM events WHERE tenant_id = $1`,
			tenant).Scan(&ids[0], &ids[1]); err != nil {
			return err
		}
		var err error
		if blocked, err = tx.Event(ctx, ids[0]); err != nil {
			return err
		}
		updated, err = tx.Event(ctx, ids[1])
		return err
	}); err != nil {
		b.Fatal(err)
	}
	b.Run("miss", func(b *testing.B) {
		for b.Loop() {
			if err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
				_, err := tx.TriggerPlaybooks(ctx, updated, time.Now())
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("run", func(b *testing.B) {
		for b.Loop() {
			blocked.ID++ // a new trigger key each time: every call records a run
			if err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
				n, err := tx.TriggerPlaybooks(ctx, blocked, time.Now())
				if err == nil && n != 1 {
					err = fmt.Errorf("%d runs", n)
				}
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPlaybookSchedules is one workspace's hourly schedule check over
// 2,000 customers, with a no-activity playbook that none of them meets
// (the common hour: facts read, nothing recorded).
func BenchmarkPlaybookSchedules(b *testing.B) {
	db, tenant, _, _ := benchPlaybooks(b, 2000, onboardiq.Playbook{Name: "Quiet", Trigger: onboardiq.PlaybookTrigger{Schedule: onboardiq.ScheduleNoActivity, Days: 7},
		Actions: []onboardiq.PlaybookAction{{Type: "notify", To: []string{"csm"}, Subject: "{{customer_name}} is quiet"}}})
	ctx := context.Background()
	for b.Loop() {
		if err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
			n, err := tx.RunPlaybookSchedules(ctx, time.Now())
			if err == nil && n != 0 {
				err = fmt.Errorf("%d runs", n)
			}
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}
