package postgres

import (
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onboardiq/onboardiq"
)

// statement is a statement a connection sent, with its arguments.
type statement struct {
	sql  string
	args []any
}

// recorder keeps every statement a connection sends, alone or in a batch.
type recorder struct {
	mu   sync.Mutex
	sent []statement
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, statement{d.SQL, d.Args})
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *recorder) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range d.Batch.QueuedQueries {
		r.sent = append(r.sent, statement{q.SQL, q.Arguments})
	}
	return ctx
}

func (r *recorder) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *recorder) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// reading returns the one statement sent since the last call that reads
// table, and forgets them all.
func (r *recorder) reading(t *testing.T, table string) statement {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var found []statement
	from := regexp.MustCompile(`(?i)\bFROM\s+` + table + `\b`)
	for _, s := range r.sent {
		if from.MatchString(s.sql) {
			found = append(found, s)
		}
	}
	r.sent = nil
	if len(found) != 1 {
		t.Fatalf("%d statements read %s, want 1: %v", len(found), table, found)
	}
	return found[0]
}

// TestCitusRouterPlans: the hot paths of one tenant each go to one shard on
// Citus. The store runs them as the application role, and the statements it
// sends, with their arguments, are explained inside the tenant's
// transaction (SET LOCAL app.tenant_id): a point read of a project, the
// lists of a tenant's projects and of a project's tasks, and the knowledge-
// base search, hybrid, so both of its halves are planned.
func TestCitusRouterPlans(t *testing.T) {
	if os.Getenv("ONBOARDIQ_TEST_CITUS") == "" {
		t.Skip("a Citus test: `make test-citus` runs it (ONBOARDIQ_TEST_CITUS=1, DATABASE_URL on the coordinator)")
	}
	t.Parallel()
	ctx := context.Background()
	url := testAppURL(t)
	db, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	res, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Plans", Slug: "plans", AdminEmail: "admin@plans.test"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.Authenticate(ctx, res.Token)
	if err != nil {
		t.Fatal(err)
	}
	admin := onboardiq.NewContextWithPrincipal(ctx, p)
	c, err := db.CreateCustomer(admin, onboardiq.NewCustomer{Name: "Globex"})
	if err != nil {
		t.Fatal(err)
	}
	project, err := db.CreateProject(admin, onboardiq.NewProject{CustomerID: c.ID, Name: "Rollout"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateArticle(admin, onboardiq.NewArticle{Title: "Set up SSO", Content: "Open Settings, then Security.", Visibility: "public"}); err != nil {
		t.Fatal(err)
	}

	// The same database through a pool that records what it sends.
	rec := &recorder{}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = rec
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	traced := &DB{Pool: pool}

	vector := make([]float32, onboardiq.EmbeddingDimensions)
	vector[0], vector[7] = 1, 1
	paths := []struct {
		name, table string
		run         func() error
	}{
		{"point read of a project", "projects", func() error {
			_, err := traced.GetProject(admin, project.ID)
			return err
		}},
		{"list of the tenant's projects", "projects", func() error {
			_, err := traced.ListProjects(admin, ProjectFilter{})
			return err
		}},
		{"list of a project's tasks", "tasks", func() error {
			_, err := traced.ListTasks(admin, project.ID, TaskFilter{})
			return err
		}},
		{"knowledge-base search", "knowledge_base", func() error {
			_, err := traced.SearchArticles(admin, SearchParams{Q: "how do I set up SSO", Vector: vector, Model: "test", Mode: onboardiq.SearchHybrid, Limit: 10})
			return err
		}},
	}
	for _, path := range paths {
		if err := path.run(); err != nil {
			t.Fatalf("%s: %v", path.name, err)
		}
		s := rec.reading(t, path.table)
		plan := explain(t, db, p.TenantID, s)
		checkRouterPlan(t, path.name, plan)
	}
}

// explain returns the plan of s as the application role inside tenant.
func explain(t *testing.T, db *DB, tenant uuid.UUID, s statement) string {
	t.Helper()
	var plan []string
	err := db.InTenantReadOnly(context.Background(), tenant, func(ctx context.Context, tx *Tx) error {
		rows, err := tx.Query(ctx, "EXPLAIN "+s.sql, s.args...)
		if err != nil {
			return err
		}
		plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatalf("explain %s: %v", s.sql, err)
	}
	return strings.Join(plan, "\n")
}

var taskCount = regexp.MustCompile(`Task Count: (\d+)`)

// checkRouterPlan wants a Citus router plan: one Citus scan whose one task
// runs on one node, and nothing planned apart (no subplan, no second scan).
func checkRouterPlan(t *testing.T, name, plan string) {
	t.Helper()
	counts := taskCount.FindAllStringSubmatch(plan, -1)
	switch {
	case strings.Count(plan, "Custom Scan (Citus Adaptive)") != 1:
		t.Errorf("%s: want one Citus Adaptive scan:\n%s", name, plan)
	case len(counts) != 1 || counts[0][1] != "1":
		t.Errorf("%s: want one task on one shard (Task Count: 1):\n%s", name, plan)
	case strings.Contains(plan, "Distributed Subplan"):
		t.Errorf("%s: part of it is planned apart on the coordinator:\n%s", name, plan)
	case strings.Count(plan, "->  Task") != 1:
		t.Errorf("%s: want one task shown:\n%s", name, plan)
	}
}
