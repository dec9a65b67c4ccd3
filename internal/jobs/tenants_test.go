package jobs

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
)

// TestFailingTenantDoesNotStopTheScan: one tenant whose scan fails (here a
// trigger refuses its forecast) neither stops nor delays the others' scans,
// in the server's per-tenant jobs and in the CLI's single pass; the failing
// tenant's job is left to retry on its own.
func TestFailingTenantDoesNotStopTheScan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	broken, err := f.db.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Broken", Slug: "broken", AdminEmail: "a@broken.test"})
	if err != nil {
		t.Fatal(err)
	}
	bp, err := f.db.App.Authenticate(ctx, broken.Token)
	if err != nil {
		t.Fatal(err)
	}
	as := onboardiq.NewContextWithPrincipal(ctx, bp)
	c, err := f.db.App.CreateCustomer(as, onboardiq.NewCustomer{Name: "Someone"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().AddDate(0, 0, 30)
	pr, err := f.db.App.CreateProject(as, onboardiq.NewProject{CustomerID: c.ID, Name: "Rollout", Deadline: &deadline})
	if err != nil {
		t.Fatal(err)
	}
	// An open task, so the scan forecasts the project (and writes it).
	if _, err := f.db.App.CreateTask(as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Kickoff"), DueAt: onboardiq.Set(deadline)}); err != nil {
		t.Fatal(err)
	}
	super, err := pgx.Connect(ctx, f.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	if _, err := super.Exec(ctx, `
CREATE FUNCTION refuse_broken() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('app.tenant_id', true) = '`+broken.Tenant.ID.String()+`' THEN
        RAISE EXCEPTION 'this tenant cannot be scanned';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER refuse_broken BEFORE UPDATE ON projects FOR EACH STATEMENT EXECUTE FUNCTION refuse_broken();`); err != nil {
		t.Fatal(err)
	}

	runner, err := Start(ctx, Deps{DB: f.db.App, Embedder: ai.Local{}, Logger: slog.New(slog.DiscardHandler),
		Mailer: f.mailer, Webhooks: f.hooks, ScanInterval: time.Hour}, 4)
	if err != nil {
		t.Fatal(err)
	}
	state := func(tenant string) (string, int) {
		var s string
		var errs int
		err := f.db.App.Pool.QueryRow(ctx, `SELECT state, coalesce(array_length(errors, 1), 0) FROM river_job
WHERE kind = 'delay_scan_tenant' AND args->>'tenant_id' = $1 ORDER BY id DESC LIMIT 1`, tenant).Scan(&s, &errs)
		if err != nil && err != pgx.ErrNoRows {
			t.Fatal(err)
		}
		return s, errs
	}
	var good, bad string
	var badErrs int
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		good, _ = state(f.tenant.String())
		bad, badErrs = state(broken.Tenant.ID.String())
		if good == "completed" && badErrs > 0 {
			break
		}
	}
	_ = runner.Stop(5 * time.Second)
	if good != "completed" || bad == "completed" || bad == "discarded" || badErrs == 0 {
		t.Fatalf("per-tenant scans: the good tenant's is %q, the failing one's %q with %d errors; want completed, and one to retry with an error", good, bad, badErrs)
	}
	if n := f.count(t, `SELECT count(*) FROM notifications WHERE tenant_id = $1`, f.tenant); n == 0 {
		t.Error("the good tenant's scan raised no notification")
	}

	// The CLI's pass: every other tenant's result, and an error naming the
	// one that failed.
	results, err := f.db.App.Scan(ctx, time.Now())
	if err == nil || !strings.Contains(err.Error(), broken.Tenant.ID.String()) {
		t.Errorf("Scan: %v, want an error naming the failing tenant", err)
	}
	if len(results) != 1 || results[0].TenantID != f.tenant {
		t.Errorf("Scan returned %d results, want the good tenant's", len(results))
	}
}
