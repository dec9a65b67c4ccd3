package postgres

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

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

// readsFrom matches a statement that reads a table.
var readsFrom = regexp.MustCompile(`(?i)\bFROM\s+[a-z_]+`)

// readings returns every statement sent since the last call that reads a
// table (what a batch of a page's reads holds, not BEGIN or SET LOCAL),
// after checking that one of them reads table; it forgets them all.
func (r *recorder) readings(t *testing.T, table string) []statement {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var found []statement
	named := false
	from := regexp.MustCompile(`(?i)\b(FROM|JOIN)\s+` + table + `\b`)
	for _, s := range r.sent {
		if readsFrom.MatchString(s.sql) {
			found = append(found, s)
			named = named || from.MatchString(s.sql)
		}
	}
	r.sent = nil
	if !named {
		t.Fatalf("no statement read %s: %v", table, found)
	}
	return found
}

// TestCitusRouterPlans: the hot paths of one tenant each go to one shard on
// Citus. The store runs them as the application role, and every statement
// they send that reads a table, with its arguments, is explained inside the
// tenant's transaction (SET LOCAL app.tenant_id): a point read of a
// project, the lists of a tenant's projects (with and without every filter)
// and of a project's tasks with their dependencies, the knowledge-base
// search, hybrid, so both of its halves are planned, the console's project
// page (every read of its batch, and the dependencies after it), a task's
// page, the customers page, and the caller's open tasks.
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
	// Two tasks, the second waiting on the first, assigned to the admin,
	// with a comment: the page reads and the dependencies have rows.
	first, err := db.CreateTask(admin, project.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Kickoff"), AssignedTo: onboardiq.Set(p.UserID)})
	if err != nil {
		t.Fatal(err)
	}
	second, err := db.CreateTask(admin, project.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Configure SSO"),
		AssignedTo: onboardiq.Set(p.UserID), DependsOn: onboardiq.Set([]uuid.UUID{first.ID})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddComment(admin, second.ID, "Waiting on the kickoff."); err != nil {
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
	traced := &DB{Pool: pool, citus: db.citus} // as Open found, without a statement the recorder would see

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
		{"list of the tenant's projects, filtered", "projects", func() error {
			_, err := traced.ListProjects(admin, ProjectFilter{CustomerID: &c.ID, SupportMemberID: &p.UserID, Status: onboardiq.StatusInProgress,
				Overdue: true, AtRisk: true, Q: "roll", Sort: "deadline"})
			return err
		}},
		{"list of a project's tasks", "tasks", func() error {
			_, err := traced.ListTasks(admin, project.ID, TaskFilter{})
			return err
		}},
		{"console project page", "task_dependencies", func() error {
			page, err := traced.LoadStaffProjectPage(admin, project.ID, ViewAll)
			if err == nil && len(page.Tasks) != 2 {
				err = fmt.Errorf("%d tasks, want 2", len(page.Tasks))
			}
			return err
		}},
		{"console task page", "tasks", func() error {
			page, err := traced.LoadStaffTaskPage(admin, second.ID)
			if err == nil && len(page.Predecessors) != 1 {
				err = fmt.Errorf("%d predecessors, want 1", len(page.Predecessors))
			}
			return err
		}},
		{"customers page", "customers", func() error {
			_, err := traced.LoadCustomersPage(admin, CustomerFilter{Q: "glo", SupportMemberID: &p.UserID})
			return err
		}},
		{"the caller's open tasks", "tasks", func() error {
			mine, err := traced.ListMyTasks(admin, onboardiq.ListOptions{}, time.Now())
			if err == nil && len(mine.Items) != 2 {
				err = fmt.Errorf("%d of my tasks, want 2", len(mine.Items))
			}
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
		for _, s := range rec.readings(t, path.table) {
			plan := explain(t, db, p.TenantID, s)
			checkRouterPlan(t, path.name+": "+firstLine(s.sql), plan)
		}
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

// firstLine names a statement in a failure: the start of its first line
// that is not blank.
func firstLine(sql string) string {
	for _, l := range strings.Split(sql, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if len(l) > 100 {
				l = l[:100] + "…"
			}
			return l
		}
	}
	return sql
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
