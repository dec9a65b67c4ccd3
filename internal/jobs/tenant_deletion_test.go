package jobs

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
)

// The hourly deletion job deletes the tenants whose grace has passed, and
// only those.
func TestTenantDeletionJobDeletesOnlyPastGrace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	db := f.db.App
	op := onboardiq.NewContextWithOperator(ctx, &onboardiq.Operator{TokenID: uuid.New(), Name: "tests"})
	due, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Due", Slug: "due", AdminEmail: "a@due.test"})
	if err != nil {
		t.Fatal(err)
	}
	later, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Later", Slug: "later", AdminEmail: "a@later.test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ScheduleTenantDeletion(op, due.Tenant.ID, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ScheduleTenantDeletion(op, later.Tenant.ID, 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	w := &TenantDeletionWorker{DB: db, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Now().Add(48 * time.Hour) }}
	if err := w.Work(ctx, &river.Job[TenantDeletionArgs]{}); err != nil {
		t.Fatal(err)
	}
	for slug, want := range map[string]bool{"due": false, "later": true, "acme": true} {
		_, err := db.TenantIDBySlug(ctx, slug)
		if exists := err == nil; exists != want {
			t.Errorf("%s exists: %v, want %v (%v)", slug, exists, want, err)
		}
	}
}
