package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
)

// roundTrips records what a pool sends: one entry a round trip, the first
// word of each statement in it ("tenant" for the tenant's entry).
type roundTrips struct {
	mu   sync.Mutex
	sent [][]string
	sqls []string // every statement, whole
}

func (r *roundTrips) add(sqls ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var words []string
	for _, q := range sqls {
		f := strings.Fields(strings.ToLower(q))
		switch {
		case strings.Contains(q, "set_config('app.tenant_id'") || strings.HasPrefix(q, "SET LOCAL app.tenant_id"):
			words = append(words, "tenant") // the tenant's entry, as PostgreSQL or Citus gets it
		case len(f) > 0:
			words = append(words, f[0])
		}
	}
	r.sent = append(r.sent, words)
	r.sqls = append(r.sqls, sqls...)
}

func (r *roundTrips) take() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent
	r.sent, r.sqls = nil, nil
	return out
}

// containing counts the statements sent since the last take that contain s.
func (r *roundTrips) containing(s string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.sqls {
		if strings.Contains(q, s) {
			n++
		}
	}
	return n
}

// tracedServer serves the API over a pool of its own on e's database,
// traced by rt.
func tracedServer(t *testing.T, e *env, rt *roundTrips) *httptest.Server {
	t.Helper()
	cfg := e.db.App.Pool.Config()
	cfg.ConnConfig.Tracer = rt
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := &postgres.DB{Pool: pool}
	t.Cleanup(db.Close)
	srv := httptest.NewServer(server.New(server.Options{DB: db, Logger: slog.New(slog.DiscardHandler), BaseURL: "http://test", Version: "test"}))
	t.Cleanup(srv.Close)
	return srv
}

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.add(d.SQL)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	var sqls []string
	for _, q := range d.Batch.QueuedQueries {
		sqls = append(sqls, q.SQL)
	}
	r.add(sqls...)
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// TestAPIRequestIsOneTransaction: once the server knows a token (its
// listener for credential changes runs), a point read costs one
// transaction and two round trips: BEGIN, the tenant's setting and the
// read together, then COMMIT. Nothing checks the token in the database,
// and nothing records its use on the request's path.
func TestAPIRequestIsOneTransaction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rt := &roundTrips{}
	srv := tracedServer(t, e, rt)

	get := func() [][]string {
		t.Helper()
		rt.take()
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/projects/"+e.p1.String(), nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["csm"])
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET the project: %d", resp.StatusCode)
		}
		// Leave out the writes made now and then, should one fall in the
		// window: the background write of last uses (a transaction of
		// updates, every 10 s) and the tenant's count of API calls (an
		// insert, at most every APICallFlushEvery).
		var out [][]string
		sent := rt.take()
		for i := 0; i < len(sent); i++ {
			if (slices.Contains(sent[i], "update") || slices.Contains(sent[i], "insert")) && i+1 < len(sent) && slices.Equal(sent[i+1], []string{"commit"}) {
				i++
				continue
			}
			out = append(out, sent[i])
		}
		return out
	}
	var sent [][]string
	for deadline := time.Now().Add(20 * time.Second); ; {
		if sent = get(); len(sent) <= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(sent) != 2 || len(sent[0]) != 3 || sent[0][0] != "begin" || sent[0][1] != "tenant" || sent[0][2] != "select" ||
		len(sent[1]) != 1 || sent[1][0] != "commit" {
		t.Errorf("a point read with a known token sent %v; want [[begin tenant select] [commit]]", sent)
	}
	// And it stays so.
	for range 5 {
		if again := get(); len(again) != 2 {
			t.Fatalf("then %v", again)
		}
	}
}
