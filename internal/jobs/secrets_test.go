package jobs

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// endpointRows returns every column of every webhook endpoint as text, read
// as the database superuser (past row-level security).
func endpointRows(t *testing.T, f *fixture) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, f.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var all string
	if err := conn.QueryRow(ctx, `SELECT coalesce(string_agg(w::text, '|'), '') FROM webhook_endpoints w`).Scan(&all); err != nil {
		t.Fatal(err)
	}
	return all
}

// TestWebhookSecretsSealedAtRest: no column holds a webhook's secret in any
// readable form, after registration and after rotation, and deliveries are
// still signed with it.
func TestWebhookSecretsSealedAtRest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := newReceiver(t, nil)
	id, secret := f.register(t, rcv.URL, string(onboardiq.EventProjectOverdue))
	rotated, err := f.db.App.RotateWebhookSecret(f.admin, id)
	if err != nil {
		t.Fatal(err)
	}
	other, otherSecret := f.register(t, rcv.URL+"/other", string(onboardiq.EventTaskCompleted))

	rows := endpointRows(t, f)
	if !strings.Contains(rows, id.String()) || !strings.Contains(rows, other.String()) {
		t.Fatalf("the endpoints are not in %q", rows)
	}
	for _, s := range []string{secret, rotated, otherSecret} {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		if err != nil || len(raw) != 32 {
			t.Fatalf("secret %q: %v", s, err)
		}
		for _, form := range []string{s, strings.TrimPrefix(s, "whsec_"), hex.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw)} {
			if strings.Contains(rows, form) {
				t.Errorf("webhook_endpoints holds a secret in the clear (%q)", form)
			}
		}
	}

	f.scan(t)
	ids := f.pending(t, "webhook")
	if len(ids) != 1 {
		t.Fatalf("%d webhooks queued, want 1", len(ids))
	}
	w := &WebhookWorker{DB: f.db.App, Webhooks: f.hooks}
	if err := w.Work(context.Background(), job(postgres.WebhookArgs{TenantID: f.tenant, DeliveryID: ids[0]}, 1)); err != nil {
		t.Fatal(err)
	}
	got := rcv.got()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	wh, err := standardwebhooks.NewWebhook(rotated)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got[0].body, got[0].header); err != nil {
		t.Errorf("the delivery does not verify with the rotated secret: %v", err)
	}
	if old, _ := standardwebhooks.NewWebhook(secret); old.Verify(got[0].body, got[0].header) == nil {
		t.Error("the delivery still verifies with the secret before rotation")
	}
}

// TestSealedSecretBoundToItsEndpoint: a sealed secret copied into another
// endpoint's row does not open there, so the delivery is not signed with it
// (nor sent); the attempt says why without detail, and is retried.
func TestSealedSecretBoundToItsEndpoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := newReceiver(t, nil)
	victim, _ := f.register(t, rcv.URL+"/victim", string(onboardiq.EventProjectOverdue))
	attacker, _ := f.register(t, rcv.URL+"/attacker", string(onboardiq.EventProjectOverdue))
	f.count(t, `WITH m AS (UPDATE webhook_endpoints SET secret_sealed = (SELECT secret_sealed FROM webhook_endpoints WHERE endpoint_id = $1)
WHERE endpoint_id = $2 RETURNING 1) SELECT count(*) FROM m`, victim, attacker)
	f.scan(t)
	w := &WebhookWorker{DB: f.db.App, Webhooks: f.hooks, Logger: slog.New(slog.DiscardHandler)}
	var failed *postgres.Outbound
	for _, id := range f.pending(t, "webhook") {
		err := w.Work(context.Background(), job(postgres.WebhookArgs{TenantID: f.tenant, DeliveryID: id}, 1))
		if d := f.delivery(t, id); *d.EndpointID == attacker {
			failed = d
			if err == nil {
				t.Error("a secret that does not open was not retried")
			}
		}
	}
	if failed == nil || failed.Status != "retrying" || len(failed.Attempts) != 1 || !strings.Contains(failed.Attempts[0].Result, "cannot be decrypted") {
		t.Errorf("the delivery with a moved secret: %+v", failed)
	}
	for _, r := range rcv.got() {
		if r.header.Get("webhook-id") == failed.MessageID {
			t.Error("the delivery with a moved secret was sent")
		}
	}
	if n := len(rcv.got()); n != 1 {
		t.Errorf("%d requests, want 1 (the victim's own)", n)
	}
}
