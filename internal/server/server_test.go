package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

type bundle struct {
	db  *testdb.DB
	reg *prometheus.Registry
	srv *httptest.Server
	a   *postgres.NewTenantResult
	b   *postgres.NewTenantResult
}

func setup(t *testing.T) *bundle {
	t.Helper()
	d := testdb.New(t)
	ctx := context.Background()
	a, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Acme", Slug: "acme", AdminEmail: "a@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Bolt", Slug: "bolt", AdminEmail: "b@bolt.test"})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(server.New(server.Options{DB: d.App, Logger: slog.New(slog.DiscardHandler), BaseURL: "http://x", Version: "test", Registry: reg}))
	t.Cleanup(srv.Close)
	return &bundle{db: d, reg: reg, srv: srv, a: a, b: b}
}

func (b *bundle) get(t *testing.T, path, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestMe(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	// A second token of A's admin, then revoked.
	var revoked string
	err := b.db.App.InTenant(ctx, b.a.Tenant.ID, func(ctx context.Context, tx *postgres.Tx) error {
		var tok *onboardiq.Token
		var err error
		revoked, tok, err = tx.CreateToken(ctx, b.a.Admin.ID, "to revoke")
		if err != nil {
			return err
		}
		return tx.RevokeToken(ctx, tok.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	// B's token with A's id in place of B's: names A, but A holds no such hash.
	swapped := "oiq_" + strings.ReplaceAll(b.a.Tenant.ID.String(), "-", "") + b.b.Token[len("oiq_")+32:]

	t.Run("valid", func(t *testing.T) {
		resp, body := b.get(t, "/api/v1/me", b.a.Token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"tenant": map[string]any{"id": b.a.Tenant.ID.String(), "slug": "acme", "name": "Acme"},
			"user":   map[string]any{"id": b.a.Admin.ID.String(), "email": "a@acme.test", "name": "a"},
			"role":   "admin",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("/me (-want +got):\n%s", diff)
		}
	})
	for name, token := range map[string]string{
		"no token":          "",
		"unknown":           "oiq_" + strings.Repeat("ab", 16) + "_" + strings.Repeat("x", 43),
		"malformed":         "not-a-token",
		"revoked":           revoked,
		"other tenant's id": swapped,
		"truncated":         b.a.Token[:len(b.a.Token)-1],
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := b.get(t, "/api/v1/me", token)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate header")
			}
		})
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t)

	resp, body := b.get(t, "/healthz", "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d %s", resp.StatusCode, body)
	}
	resp, body = b.get(t, "/readyz", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ready"`) {
		t.Errorf("/readyz: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id in the response")
	}
	b.get(t, "/api/v1/me", b.a.Token)
	// /metrics is not served beside the app, but on its own listener.
	if resp, _ := b.get(t, "/metrics", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the app's address: %d, want 404", resp.StatusCode)
	}
	metrics := httptest.NewServer(server.MetricsHandler(b.reg, ""))
	defer metrics.Close()
	mresp, err := http.Get(metrics.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{
		`onboardiq_http_requests_total{method="GET",route="GET /api/v1/me",status="200"} 1`,
		`onboardiq_http_requests_total{method="GET",route="GET /readyz",status="200"} 1`,
		"onboardiq_db_pool_max_connections",
		"onboardiq_db_tx_retries_total",
		"go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// A schema behind the binary is not ready.
	owner, err := pgx.Connect(context.Background(), b.db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(context.Background())
	if _, err := owner.Exec(context.Background(), "DELETE FROM goose_db_version WHERE version_id = $1", postgres.LatestMigration()); err != nil {
		t.Fatal(err)
	}
	resp, body = b.get(t, "/readyz", "")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "onboardiq migrate") {
		t.Errorf("/readyz with an old schema: %d %s", resp.StatusCode, body)
	}
}

func TestRequestIDEchoed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for in, keep := range map[string]bool{"abc-123.x_Y": true, "bad id with spaces": false, strings.Repeat("a", 65): false} {
		req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/healthz", nil)
		req.Header.Set("X-Request-Id", in)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("X-Request-Id")
		if (got == in) != keep || got == "" {
			t.Errorf("X-Request-Id %q answered %q (keep=%v)", in, got, keep)
		}
	}
}

func TestHomePage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.get(t, "/", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<h1>OnboardIQ</h1>") {
		t.Errorf("/: %d %s", resp.StatusCode, body)
	}
	resp, _ = b.get(t, "/no-such-page", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/no-such-page: %d", resp.StatusCode)
	}
}

func TestMetricsToken(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(server.MetricsHandler(prometheus.NewRegistry(), "s3cret"))
	defer srv.Close()
	for token, want := range map[string]int{"": 401, "wrong": 401, "s3cret": 200} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("/metrics with token %q: %d, want %d", token, resp.StatusCode, want)
		}
	}
}

// TestNoSniff: every response, whatever serves it, tells browsers not to
// guess its type.
func TestNoSniff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, path := range []string{"/healthz", "/readyz", "/api/v1/me", "/api/v1/openapi.json", "/static/app.css", "/signin", "/no-such-page", "/api/v1/no-such"} {
		resp, _ := b.get(t, path, b.a.Token)
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s (%d): X-Content-Type-Options %q", path, resp.StatusCode, got)
		}
	}
}

// TestDatabaseOutage: while the database cannot be reached, the API, the
// pages and /readyz answer 503 with Retry-After, never a 500 or a sign-in
// page.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: the pool connects lazily, and every
	// request's connection attempt is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	pool, err := pgxpool.New(context.Background(), "postgres://onboardiq_app@"+addr+"/onboardiq?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	db := &postgres.DB{Pool: pool}
	defer db.Close()
	var logs syncBuffer
	srv := httptest.NewServer(server.New(server.Options{DB: db, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), BaseURL: "http://x", Version: "test"}))
	defer srv.Close()
	// Well-formed tokens (a tenant in hex, 43 characters of secret).
	const tenant, secret = "0b6f3f8e6a3e4a8e9d3c2f0c9b7d1a11", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	for _, tc := range []struct{ path, token, cookie, form string }{
		{"/api/v1/me", "oiq_" + tenant + "_" + secret, "", ""},
		{"/app", "", "oiqs_" + tenant + "_" + secret, ""},
		{"/portal/acme", "", "oiqs_" + tenant + "_" + secret, ""},
		{"/readyz", "", "", ""},
		{"/signin", "", "", "workspace=acme&email=a%40acme.test&password=whatever+it+is"},
		{"/portal/acme/magic", "", "", "token=oiql_" + tenant + "_" + secret},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
		if tc.form != "" {
			req, _ = http.NewRequest(http.MethodPost, srv.URL+tc.path, strings.NewReader(tc.form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		if tc.cookie != "" {
			req.AddCookie(&http.Cookie{Name: "oiq_session", Value: tc.cookie})
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s with the database down: %d, Retry-After %q; want 503 with Retry-After", tc.path, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	// What the handlers logged names the request it was about.
	warned := 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "unavailable" {
			warned++
			if id, _ := m["request_id"].(string); id == "" {
				t.Errorf("a handler's log line without the request id: %s", line)
			}
		}
	}
	if warned == 0 {
		t.Error("no handler logged the outage")
	}
}

// TestLogsNameTheRequest: the request log of a page names its tenant and
// user, as the API's does.
func TestLogsNameTheRequest(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	a, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Acme", Slug: "acme", AdminEmail: "a@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.App.Authenticate(ctx, a.Token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.App.UpdateUser(onboardiq.NewContextWithPrincipal(ctx, p), a.Admin.ID, onboardiq.UserPatch{Password: onboardiq.Patch[string]{Set: true, Value: "a long password"}}); err != nil {
		t.Fatal(err)
	}
	session, _, err := d.App.SignIn(ctx, "acme", "a@acme.test", "a long password")
	if err != nil {
		t.Fatal(err)
	}
	var buf syncBuffer
	srv := httptest.NewServer(server.New(server.Options{DB: d.App, Logger: slog.New(slog.NewJSONHandler(&buf, nil)), BaseURL: "http://x", Version: "test"}))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/app", nil)
	req.Header.Set("X-Request-Id", "page-1")
	req.AddCookie(&http.Cookie{Name: "oiq_session", Value: session})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The request line is written once the response has gone out.
	var pageLine map[string]any
	for end := time.Now().Add(5 * time.Second); pageLine == nil && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "request" && m["request_id"] == "page-1" {
				pageLine = m
			}
		}
	}
	if pageLine == nil || pageLine["tenant_id"] != a.Tenant.ID.String() || pageLine["user_id"] != a.Admin.ID.String() {
		t.Errorf("the page's request log: %v; want its tenant and user", pageLine)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
