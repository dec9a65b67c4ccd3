package jobs

import (
	"context"
	"log/slog"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
)

// TestWebhookIDSurvivesACrash: a webhook job that sent its request and
// then died before recording the attempt is rescued by River and runs
// again; the second request carries the same webhook-id (the delivery's
// message id), so the receiver can tell it is the same message, and both
// verify.
func TestWebhookIDSurvivesACrash(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := newReceiver(t, nil)
	_, secret := f.register(t, rcv.URL, string(onboardiq.EventProjectOverdue))
	f.scan(t)
	ids := f.pending(t, "webhook")
	if len(ids) != 1 {
		t.Fatalf("%d webhooks queued, want 1", len(ids))
	}
	ctx := context.Background()

	// The crashed run: River handed it out an hour and a half ago, its
	// request reached the endpoint, and the process died before it could
	// record the attempt.
	if n := f.count(t, `WITH j AS (UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() - interval '90 minutes',
    attempted_by = '{crashed-node}' WHERE kind = 'webhook' AND args->>'delivery_id' = $1 RETURNING 1) SELECT count(*) FROM j`, ids[0].String()); n != 1 {
		t.Fatalf("%d jobs marked as crashed", n)
	}
	if out := f.hooks.Send(ctx, f.delivery(t, ids[0])); !out.OK {
		t.Fatalf("the crashed run's request: %+v", out)
	}

	// The workers start; River's rescuer finds the stuck job and schedules
	// a retry. Its wait is made to have passed at once.
	runner, err := Start(ctx, Deps{DB: f.db.App, Embedder: ai.Local{}, Logger: slog.New(slog.DiscardHandler),
		Mailer: f.mailer, Webhooks: f.hooks, ScanInterval: time.Hour}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Stop(5 * time.Second)
	deadline := time.Now().Add(90 * time.Second)
	for len(rcv.got()) < 2 && time.Now().Before(deadline) {
		f.count(t, `WITH j AS (UPDATE river_job SET scheduled_at = now() WHERE kind = 'webhook' AND state = 'retryable' RETURNING 1) SELECT count(*) FROM j`)
		time.Sleep(100 * time.Millisecond)
	}
	got := rcv.got()
	if len(got) != 2 {
		t.Fatalf("%d requests, want the crashed one and the rescued one", len(got))
	}
	id := f.delivery(t, ids[0]).MessageID
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if r.header.Get("webhook-id") != id {
			t.Errorf("request %d: webhook-id %q, want the delivery's message id %q", i+1, r.header.Get("webhook-id"), id)
		}
		if err := wh.Verify(r.body, r.header); err != nil {
			t.Errorf("request %d does not verify: %v", i+1, err)
		}
		if string(r.body) != string(got[0].body) {
			t.Errorf("request %d has another body", i+1)
		}
	}
	// The worker records the attempt after the receiver has answered.
	d := f.delivery(t, ids[0])
	for d.Status != "delivered" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		d = f.delivery(t, ids[0])
	}
	if d.Status != "delivered" || len(d.Attempts) != 1 || d.Attempts[0].Attempt != 2 || d.Attempts[0].Result != "200 OK" {
		t.Errorf("the delivery log after the rescue: %s, %+v; want delivered by attempt 2", d.Status, d.Attempts)
	}
}
