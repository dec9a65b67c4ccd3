package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
)

// statements records what a pool sends, one entry per round trip: a batch
// with its statements, or a single statement. Once cut is set, it breaks
// the connection under any statement it matches, as an outage would.
type statements struct {
	mu    sync.Mutex
	sent  []string
	texts []string // the statements themselves, since the last take
	last  []string // … as they were at the last take
	cut   func(sql string) bool
}

func (s *statements) record(conn *pgx.Conn, entry string, sqls ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, entry)
	s.texts = append(s.texts, sqls...)
	if s.cut == nil {
		return
	}
	for _, q := range sqls {
		if s.cut(q) {
			_ = conn.PgConn().Conn().Close()
			return
		}
	}
}

func (s *statements) TraceQueryStart(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	s.record(conn, keyword(d.SQL), d.SQL)
	return ctx
}

func (s *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (s *statements) TraceBatchStart(ctx context.Context, conn *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	var words, sqls []string
	for _, q := range d.Batch.QueuedQueries {
		words, sqls = append(words, keyword(q.SQL)), append(sqls, q.SQL)
	}
	s.record(conn, "["+strings.Join(words, " ")+"]", sqls...)
	return ctx
}

func (s *statements) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (s *statements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func (s *statements) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.sent
	s.sent, s.last, s.texts = nil, s.texts, nil
	return out
}

// writable lists the transactions begun read-write before the last take.
func (s *statements) writable() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, q := range s.last {
		if keyword(q) == "begin" && !strings.Contains(strings.ToLower(q), "read only") {
			out = append(out, q)
		}
	}
	return out
}

// repeated lists the reads sent more than once before the last take.
func (s *statements) repeated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]int{}
	var out []string
	for _, q := range s.last {
		if w := keyword(q); w != "select" && w != "with" {
			continue
		}
		if seen[q]++; seen[q] == 2 {
			out = append(out, strings.Join(strings.Fields(q), " "))
		}
	}
	return out
}

func (s *statements) cutWhen(f func(sql string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut = f
}

// keyword names a statement by its first word, and the tenant's entry by
// its setting.
func keyword(sql string) string {
	f := strings.Fields(sql)
	switch {
	case len(f) == 0:
		return ""
	case strings.Contains(sql, "set_config('app.tenant_id'"):
		return "tenant"
	}
	return strings.ToLower(f[0])
}

// tracedServer serves a's database through a pool whose statements s
// records. It has no job client: it serves pages, not actions that
// enqueue.
func tracedServer(t *testing.T, a *app, s *statements, logger *slog.Logger) string {
	t.Helper()
	cfg := a.db.App.Pool.Config()
	cfg.ConnConfig.Tracer = s
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := &postgres.DB{Pool: pool}
	t.Cleanup(db.Close)
	// A connection's set-up (its pgvector types) is no page's cost.
	if err := pool.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.take()
	srv := httptest.NewServer(server.New(server.Options{DB: db, Logger: logger, BaseURL: a.url, Version: "test"}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// readsFixture adds to the demo workspace a customer, Hooli Games, with a
// contact and one project of 5 tasks; more adds its other projects.
type readsFixture struct {
	a        *app
	as       context.Context // the workspace's admin
	customer *onboardiq.Customer
	contact  *onboardiq.User
}

func newReadsFixture(t *testing.T, a *app) *readsFixture {
	t.Helper()
	var admin uuid.UUID
	actScan(t, a, `SELECT user_id FROM tenant_users WHERE email = 'alex.morgan@acme.example'`, nil, &admin)
	f := &readsFixture{a: a, as: onboardiq.NewContextWithPrincipal(context.Background(),
		&onboardiq.Principal{TenantID: a.demo.TenantID, UserID: admin, Role: onboardiq.RoleAdmin, TenantSlug: "acme"})}
	var err error
	if f.customer, err = a.db.App.CreateCustomer(f.as, onboardiq.NewCustomer{Name: "Hooli Games"}); err != nil {
		t.Fatal(err)
	}
	if f.contact, err = a.db.App.CreateUser(f.as, onboardiq.NewUser{Email: "erlich@hooli-games.example", Name: "Erlich", Role: onboardiq.RoleCustomer, CustomerID: &f.customer.ID}); err != nil {
		t.Fatal(err)
	}
	return f
}

// project creates a project of n tasks assigned to the contact, each
// commented on, and one internal task; it returns its id.
func (f *readsFixture) project(t *testing.T, name string, n int) string {
	t.Helper()
	db := f.a.db.App
	pr, err := db.CreateProject(f.as, onboardiq.NewProject{CustomerID: f.customer.ID, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		task, err := db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set(fmt.Sprintf("Task %d", i)), AssignedTo: onboardiq.Set(f.contact.ID),
			Phase: onboardiq.Set(fmt.Sprintf("Phase %d", i%3))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddComment(f.as, task.ID, "Noted."); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.CreateTask(f.as, pr.ID, onboardiq.TaskPatch{Description: onboardiq.Set("Internal review"), Visibility: onboardiq.Set(onboardiq.VisibilityInternal)}); err != nil {
		t.Fatal(err)
	}
	return pr.ID.String()
}
