package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/inbound"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestUsageEventsPartialSuccess: a batch with a bad event stores the good
// ones and answers 200 naming the bad one's field; the same batch again is
// all duplicates; the customer's usage shows the stored events once.
func TestUsageEventsPartialSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	batch := map[string]any{"events": []map[string]any{
		{"id": "evt-1", "customer_id": e.c1, "name": "login", "user_email": "Ana@Customer.test", "occurred_at": at.Format(time.RFC3339)},
		{"id": "evt-2", "customer_id": e.c1, "name": "Not A Name", "occurred_at": at.Format(time.RFC3339)},
		{"id": "evt-3", "customer_id": e.c1, "name": "report_exported", "properties": map[string]any{"rows": 12}, "occurred_at": at.Format(time.RFC3339)},
		{"id": "evt-4", "customer_id": e.c1, "name": "login", "properties": []int{1}, "occurred_at": at.Format(time.RFC3339)},
		{"name": "login"},
	}}
	type result struct {
		Accepted   int `json:"accepted"`
		Duplicates int `json:"duplicates"`
		Rejected   []struct {
			Index   int    `json:"index"`
			ID      string `json:"id"`
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"rejected"`
	}
	send := func() result {
		t.Helper()
		status, out := e.do(t, "admin", "POST", "/usage-events", batch)
		if status != http.StatusOK {
			t.Fatalf("%d %s", status, out)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := send()
	var fields []string
	for _, rej := range r.Rejected {
		fields = append(fields, rej.Field)
	}
	if r.Accepted != 2 || r.Duplicates != 0 || strings.Join(fields, " ") != "events[1].name events[3].properties events[4].id" ||
		r.Rejected[0].ID != "evt-2" || r.Rejected[0].Index != 1 {
		t.Fatalf("first: %+v", r)
	}
	if r = send(); r.Accepted != 0 || r.Duplicates != 2 || len(r.Rejected) != 3 {
		t.Fatalf("again: %+v", r)
	}
	status, out := e.do(t, "csm", "GET", "/customers/"+e.c1.String()+"/usage", nil)
	var s struct {
		Events      int `json:"events"`
		ActiveDays  int `json:"active_days"`
		ActiveUsers int `json:"active_users"`
		Days        []struct {
			Day string `json:"day"`
		} `json:"days"`
	}
	if status != http.StatusOK || json.Unmarshal(out, &s) != nil || s.Events != 2 || s.ActiveUsers != 1 || s.ActiveDays < 1 {
		t.Errorf("usage: %d %s", status, out)
	}
}

// BenchmarkUsageEventsEndpoint posts batches of 1,000 new usage events
// (with properties, over 2 customers and 50 users) to POST
// /api/v1/usage-events over loopback HTTP, as an integration does, and
// reports events/s: JSON decoding, checks, the insert, the roll-up and the
// event, one transaction per batch.
func BenchmarkUsageEventsEndpoint(b *testing.B) {
	ctx := context.Background()
	d := testdb.WithFixture(b, fixture)
	acme, err := d.App.TenantIDBySlug(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	var token string
	var customers [2]uuid.UUID
	err = d.App.InTenant(ctx, acme, func(ctx context.Context, tx *postgres.Tx) error {
		var admin uuid.UUID
		if err := tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE email = 'admin@acme.test'`).Scan(&admin); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT customer_id FROM customers WHERE name = 'Customer One'`).Scan(&customers[0]); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT customer_id FROM customers WHERE name = 'Customer Two'`).Scan(&customers[1]); err != nil {
			return err
		}
		token, _, err = tx.CreateToken(ctx, admin, "bench")
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Options{DB: d.App, Logger: slog.New(slog.DiscardHandler), BaseURL: "http://test", Version: "test"}))
	b.Cleanup(srv.Close)
	start := time.Now().UTC().Add(-24 * time.Hour)
	names := []string{"login", "report_exported", "dashboard_viewed", "api_call"}
	n := 0
	events := make([]map[string]any, 1000)
	for b.Loop() {
		for i := range events {
			n++
			events[i] = map[string]any{"id": fmt.Sprintf("evt_%09d", n), "customer_id": customers[n%2], "name": names[n%len(names)],
				"user_email": fmt.Sprintf("user%d@customer.test", n%50), "properties": map[string]any{"plan": "pro", "seats": 12},
				"occurred_at": start.Add(time.Duration(n) * time.Millisecond).Format(time.RFC3339Nano)}
		}
		body, _ := json.Marshal(map[string]any{"events": events})
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/usage-events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(out, []byte(`"accepted":1000`)) {
			b.Fatalf("%d %s", resp.StatusCode, out)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// TestInboundUsageWebhook: a batch signed with the inbound secret and naming
// its workspace is stored like POST /usage-events; unsigned or wrongly
// signed it answers 401 and stores nothing; an unknown workspace is 404;
// without the secret configured the endpoint is off.
func TestInboundUsageWebhook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	off := e.srv.URL
	on := httptest.NewServer(server.New(server.Options{DB: e.db.App, Logger: slog.New(slog.DiscardHandler), BaseURL: "http://test", Version: "test",
		InboundWebhookSecret: inboundSecret}))
	t.Cleanup(on.Close)
	body, _ := json.Marshal(map[string]any{"events": []map[string]any{
		{"id": "hook-1", "customer_id": e.c1, "name": "login", "occurred_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)},
		{"id": "hook-2", "customer_id": e.c1, "name": "BAD", "occurred_at": time.Now().UTC().Format(time.RFC3339)},
	}})
	key := inbound.WebhookKey(inboundSecret)
	// One timestamp for the signatures and the header: a second ticking
	// between them would change what was signed.
	signedAt := time.Now()
	post := func(srvURL, tenant, sig string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srvURL+"/api/v1/inbound/usage?tenant="+tenant, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("webhook-id", "msg_1")
		req.Header.Set("webhook-timestamp", strconv.FormatInt(signedAt.Unix(), 10))
		if sig != "" {
			req.Header.Set("webhook-signature", sig)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	good := inbound.Sign(key, "msg_1", signedAt, body)
	if status, out := post(off, "acme", good); status != http.StatusNotFound {
		t.Errorf("secret not configured: %d %s", status, out)
	}
	for name, sig := range map[string]string{"unsigned": "", "wrong secret": inbound.Sign([]byte("another secret"), "msg_1", signedAt, body)} {
		if status, out := post(on.URL, "acme", sig); status != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, status, out)
		}
	}
	if status, out := post(on.URL, "nobody", good); status != http.StatusNotFound {
		t.Errorf("unknown workspace: %d %s", status, out)
	}
	status, out := post(on.URL, "acme", good)
	if status != http.StatusOK || !strings.Contains(out, `"accepted":1`) || !strings.Contains(out, `"field":"events[1].name"`) {
		t.Fatalf("signed: %d %s", status, out)
	}
	if status, out = post(on.URL, "acme", good); status != http.StatusOK || !strings.Contains(out, `"duplicates":1`) {
		t.Errorf("again: %d %s", status, out)
	}
	// Stored in acme, seen by its staff.
	if st, usage := e.do(t, "admin", "GET", "/customers/"+e.c1.String()+"/usage", nil); st != http.StatusOK || !strings.Contains(string(usage), `"events":1`) {
		t.Errorf("usage: %d %s", st, usage)
	}
}
