package postgres

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onboardiq/onboardiq"
)

// This file is an internal test: it needs a pool with a tracer, and testdb
// imports this package. The database comes from the exported test below.

// tracer records what a connection sends: each batch with its statements,
// and each single statement.
type tracer struct {
	mu   sync.Mutex
	sent []string
}

func (tr *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.sent = append(tr.sent, "query: "+firstWord(d.SQL))
	return ctx
}

func (tr *tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (tr *tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var words []string
	for _, q := range d.Batch.QueuedQueries {
		words = append(words, firstWord(q.SQL))
	}
	tr.sent = append(tr.sent, "batch: "+strings.Join(words, " + "))
	return ctx
}

func (tr *tracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (tr *tracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func (tr *tracer) take() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := tr.sent
	tr.sent = nil
	return out
}

func firstWord(sql string) string {
	f := strings.Fields(sql)
	if len(f) == 0 {
		return ""
	}
	if sql == setTenantParamSQL || f[0] == "SET" && len(f) > 2 && f[1] == "LOCAL" && f[2] == "app.tenant_id" {
		return "tenant"
	}
	return strings.ToLower(f[0])
}

// tracedDB opens a pool on url whose statements tr records.
func tracedDB(t testing.TB, url string, tr *tracer) *DB {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = tr
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pool.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	db := poolDB(t, pool)
	tr.take()
	return db
}

// poolDB is a DB around pool, knowing whether the database is Citus as
// Open does.
func poolDB(t testing.TB, pool *pgxpool.Pool) *DB {
	t.Helper()
	citus, err := citusVersion(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return &DB{Pool: pool, citus: citus != ""}
}

// TestTxRoundTrips checks that BEGIN, the tenant's entry and the first statement
// leave in one batch, whatever kind the first statement is, and that the
// tenant is set for it.
func TestTxRoundTrips(t *testing.T) {
	t.Parallel()
	url := testAppURL(t)
	tr := &tracer{}
	db := tracedDB(t, url, tr)
	ctx := context.Background()
	tenant := uuid.New()

	first := map[string]func(tx *Tx) (string, error){
		"QueryRow": func(tx *Tx) (string, error) {
			var s string
			err := tx.QueryRow(ctx, "SELECT current_setting('app.tenant_id')").Scan(&s)
			return s, err
		},
		"Query": func(tx *Tx) (string, error) {
			rows, err := tx.Query(ctx, "SELECT current_setting('app.tenant_id')")
			if err != nil {
				return "", err
			}
			return pgx.CollectExactlyOneRow(rows, pgx.RowTo[string])
		},
		"Exec": func(tx *Tx) (string, error) {
			if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
				return "", err
			}
			var s string
			err := tx.QueryRow(ctx, "SELECT current_setting('app.tenant_id')").Scan(&s)
			return s, err
		},
		"SendBatch": func(tx *Tx) (string, error) {
			b := &pgx.Batch{}
			var s string
			b.Queue("SELECT current_setting('app.tenant_id')").QueryRow(func(r pgx.Row) error { return r.Scan(&s) })
			return s, tx.SendBatch(ctx, b).Close()
		},
	}
	want := map[string][]string{
		"QueryRow":  {"batch: begin + tenant + select", "query: commit"},
		"Query":     {"batch: begin + tenant + select", "query: commit"},
		"Exec":      {"batch: begin + tenant + select", "query: select", "query: commit"},
		"SendBatch": {"batch: begin + tenant + select", "query: commit"},
	}
	for name, fn := range first {
		var got string
		err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
			var err error
			got, err = fn(tx)
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != tenant.String() {
			t.Errorf("%s: app.tenant_id = %q inside the transaction, want %s", name, got, tenant)
		}
		if sent := tr.take(); strings.Join(sent, "; ") != strings.Join(want[name], "; ") {
			t.Errorf("%s sent %q, want %q", name, sent, want[name])
		}
	}
	// A function that runs no statement sends nothing.
	if err := db.InTenant(ctx, tenant, func(context.Context, *Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if sent := tr.take(); len(sent) != 0 {
		t.Errorf("an empty transaction sent %q", sent)
	}
}

func TestTxCommitRollbackSavepoint(t *testing.T) {
	t.Parallel()
	url := testAppURL(t)
	db := tracedDB(t, url, &tracer{})
	ctx := context.Background()
	tenant := uuid.New()
	create := func(ctx context.Context, tx pgx.Tx, slug string) error {
		_, err := tx.Exec(ctx, "INSERT INTO tenants (tenant_id, name, slug) VALUES ($1, $2, $2) ON CONFLICT (tenant_id) DO UPDATE SET name = excluded.name", tenant, slug)
		return err
	}
	name := func() string {
		var s string
		err := db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error {
			err := tx.QueryRow(ctx, "SELECT name FROM tenants WHERE tenant_id = $1", tenant).Scan(&s)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// An error from fn rolls everything back.
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		if err := create(ctx, tx, "rolled-back"); err != nil {
			return err
		}
		return errors.New("changed my mind")
	})
	if err == nil || name() != "" {
		t.Fatalf("after a failed transaction: err %v, tenant %q", err, name())
	}
	// A savepoint rolled back keeps what came before it.
	err = db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		if err := create(ctx, tx, "kept"); err != nil {
			return err
		}
		sp, err := tx.Begin(ctx)
		if err != nil {
			return err
		}
		if err := create(ctx, sp, "undone"); err != nil {
			return err
		}
		return sp.Rollback(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := name(); got != "kept" {
		t.Errorf("after a rolled-back savepoint: %q, want kept", got)
	}
	// A read-only transaction refuses writes.
	err = db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error { return create(ctx, tx, "nope") })
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Errorf("write in a read-only transaction: %v", err)
	}
	if err := db.InTenant(ctx, uuid.Nil, func(context.Context, *Tx) error { return nil }); err == nil {
		t.Error("a transaction without a tenant ran")
	}
}

func TestInTenantRetries(t *testing.T) {
	t.Parallel()
	db := tracedDB(t, testAppURL(t), &tracer{})
	ctx := context.Background()
	for _, tc := range []struct {
		err      error
		attempts int
	}{
		{&pgconn.PgError{Code: "40001"}, maxAttempts},
		{&pgconn.PgError{Code: "40P01"}, maxAttempts},
		{&pgconn.PgError{Code: "23505"}, 1},
		{onboardiq.Errorf(onboardiq.EINVALID, "no"), 1},
	} {
		n, before := 0, db.Retries()
		err := db.InTenant(ctx, uuid.New(), func(ctx context.Context, tx *Tx) error {
			n++
			if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
				return err
			}
			return tc.err
		})
		if n != tc.attempts || !errors.Is(err, tc.err) {
			t.Errorf("%v: %d attempts, err %v; want %d attempts and the error", tc.err, n, err, tc.attempts)
		}
		if got := db.Retries() - before; got != int64(tc.attempts-1) {
			t.Errorf("%v: %d retries counted, want %d", tc.err, got, tc.attempts-1)
		}
	}
	// Recovering: the second attempt succeeds.
	n := 0
	err := db.InTenant(ctx, uuid.New(), func(ctx context.Context, tx *Tx) error {
		if n++; n == 1 {
			return &pgconn.PgError{Code: "40001"}
		}
		return nil
	})
	if err != nil || n != 2 {
		t.Errorf("retry: %d attempts, %v", n, err)
	}
}

// TestLostConnectionIsUnavailable: a connection that dies in the middle of
// a transaction (the server restarts: here it ends our own backend) is
// reported as onboardiq.EUNAVAILABLE, which front ends answer with 503 and
// Retry-After, while other failures stay internal.
func TestRetryBackoff(t *testing.T) {
	t.Parallel()
	for attempt := 1; attempt < maxAttempts; attempt++ {
		base := time.Duration(1<<attempt) * time.Millisecond
		seen := map[time.Duration]bool{}
		for range 50 {
			d := retryBackoff(attempt)
			if d < base/2 || d >= base/2+base {
				t.Errorf("attempt %d: %s outside [%s, %s)", attempt, d, base/2, base/2+base)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("attempt %d: only %d distinct waits in 50: no jitter", attempt, len(seen))
		}
	}
}

func TestLostConnectionIsUnavailable(t *testing.T) {
	t.Parallel()
	db := tracedDB(t, testAppURL(t), &tracer{})
	ctx := context.Background()
	err := db.InTenant(ctx, uuid.New(), func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
		return err
	})
	if onboardiq.ErrorCode(err) != onboardiq.EUNAVAILABLE {
		t.Errorf("a killed connection: %v (code %q), want %q", err, onboardiq.ErrorCode(err), onboardiq.EUNAVAILABLE)
	}
	err = db.InTenant(ctx, uuid.New(), func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, "SELECT 1/0")
		return err
	})
	if onboardiq.ErrorCode(err) != onboardiq.EINTERNAL {
		t.Errorf("division by zero: code %q, want internal", onboardiq.ErrorCode(err))
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "57P01"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "53300"}, true},
		{&pgconn.PgError{Code: "57014"}, false}, // statement timeout
		{&pgconn.PgError{Code: "23505"}, false},
		{context.Canceled, false},
		{context.DeadlineExceeded, false},
	} {
		if got := isUnavailable(tc.err); got != tc.want {
			t.Errorf("isUnavailable(%v) = %v", tc.err, got)
		}
	}
}

// TestTenantEntryIsOneStatement: on PostgreSQL every tenant is entered by
// the same prepared statement, so a connection that serves many tenants
// keeps one statement for it in pgx's cache of 512, not one per tenant
// (past 512 each transaction prepared its entry again: a round trip). On
// Citus the entry is a SET LOCAL, one statement per tenant.
func TestTenantEntryIsOneStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, testAppURL(t)+"&pool_max_conns=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	const tenants = 5
	for range tenants {
		err := db.InTenantReadOnly(ctx, uuid.New(), func(ctx context.Context, tx *Tx) error {
			var n int
			return tx.QueryRow(ctx, `SELECT count(*) FROM customers`).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var entries int
	err = db.InTenantReadOnly(ctx, uuid.New(), func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `
SELECT count(*) FROM pg_prepared_statements
WHERE statement LIKE '%app.tenant_id%' AND statement NOT LIKE '%pg_prepared_statements%'`).Scan(&entries)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := 1
	if db.citus {
		want = tenants + 1
	}
	if entries != want {
		t.Errorf("%d prepared statements enter a tenant after %d tenants' transactions on one connection; want %d", entries, tenants+1, want)
	}
}
