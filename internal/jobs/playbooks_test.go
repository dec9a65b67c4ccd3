package jobs

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/netguard"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// slowReceiver is a loopback webhook receiver whose requests wait until
// it is released.
type slowReceiver struct {
	*receiver
	hold chan struct{}
}

func newSlowReceiver(t *testing.T) *slowReceiver {
	r := &slowReceiver{receiver: &receiver{}, hold: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, received{req.Header.Clone(), b})
		r.mu.Unlock()
		select {
		case <-r.hold:
		case <-req.Context().Done():
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// healthPlaybook enables the default "Health below 40" playbook with the
// receiver's URL.
func (f *fixture) healthPlaybook(t *testing.T, url string) *onboardiq.Playbook {
	t.Helper()
	all, err := f.db.App.ListPlaybooks(f.admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		if p.Name != "Health below 40" {
			continue
		}
		p.Actions[0].URL = url
		p.Enabled = true
		p, err = f.db.App.UpdatePlaybook(f.admin, p.ID, *p)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Fatal("no default playbook Health below 40")
	return nil
}

// dropHealth records that Globex's score fell from 52 to 35, as the
// health consumer does.
func (f *fixture) dropHealth(t *testing.T) uuid.UUID {
	t.Helper()
	var customer uuid.UUID
	err := f.db.App.InTenant(context.Background(), f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT customer_id FROM customers WHERE name = 'Globex Logistics'`).Scan(&customer); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO customer_health (tenant_id, customer_id, score, level, components, computed_at)
VALUES ($1, $2, 35, 'critical', '[{"name": "usage", "score": 20, "weight": 0.6, "evidence": [{"signal": "dau", "value": 1, "event_ids": []}]}]', now())
ON CONFLICT (tenant_id, customer_id) DO UPDATE SET score = 35, level = 'critical', components = excluded.components, computed_at = now()`, f.tenant, customer); err != nil {
			return err
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventCustomerHealthLevelChanged, CustomerID: &customer,
			Data: map[string]any{"score": 35, "previous_score": 52, "level": "critical", "previous_level": "at_risk"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return customer
}

// TestPlaybookWebhookReachesLoopbackSigned: with the default "Health below
// 40" playbook pointed at a loopback receiver, a customer whose health
// drops below 40 makes one signed request carrying the n8n body (account,
// ARR, renewal date, the score with its components and previous score, the
// CSM); the execution records the delivery, delivered.
func TestPlaybookWebhookReachesLoopbackSigned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fanOut(t) // the seed's own events
	rec := newReceiver(t, nil)
	pb := f.healthPlaybook(t, rec.URL+"/webhook/health")
	customer := f.dropHealth(t)

	runner, err := Start(context.Background(), Deps{DB: f.db.App, Embedder: ai.Local{}, Logger: slog.New(slog.DiscardHandler), Mailer: f.mailer,
		Webhooks: f.hooks, ScanInterval: time.Hour}, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Stop(5 * time.Second)
	waitFor(t, "the webhook", func() bool { return len(rec.got()) > 0 })
	var run *onboardiq.PlaybookRun
	waitFor(t, "the run to be done", func() bool {
		page, err := f.db.App.ListPlaybookRuns(f.admin, pb.ID, onboardiq.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) == 1 && page.Items[0].Status == "done" {
			run = page.Items[0]
			return true
		}
		return false
	})
	time.Sleep(500 * time.Millisecond) // room for a second, wrong, request
	got := rec.got()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	wh, err := standardwebhooks.NewWebhook(pb.SigningSecret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got[0].body, got[0].header); err != nil {
		t.Errorf("signature: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal(got[0].body, &body); err != nil {
		t.Fatal(err)
	}
	account, _ := body["account"].(map[string]any)
	h, _ := body["health"].(map[string]any)
	csm, _ := account["csm"].(map[string]any)
	components, _ := h["components"].([]any)
	if body["type"] != "playbook.triggered" || account["id"] != customer.String() || account["name"] != "Globex Logistics" || account["arr"] == nil ||
		account["renewal_date"] == nil || csm["email"] == nil || h["score"] != float64(35) || h["previous_score"] != float64(52) ||
		len(components) != 1 || body["health_score"] != float64(35) || body["text"] == "" {
		t.Errorf("the n8n body: %s", got[0].body)
	}
	if len(run.Actions) != 1 || len(run.Actions[0].DeliveryIDs) != 1 || run.Actions[0].DeliveryIDs[0].String() == "" {
		t.Fatalf("the execution: %+v", run)
	}
	waitFor(t, "the delivery to be recorded", func() bool {
		page, err := f.db.App.ListDeliveries(f.admin, postgres.DeliveryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Items {
			if d.ID == run.Actions[0].DeliveryIDs[0] {
				return d.Status == "delivered" && d.MessageID == got[0].header.Get("webhook-id")
			}
		}
		return false
	})
}

// crashChildEnv names the database a crash child works; set only for the
// child process of TestPlaybookActionsOnceAcrossACrash.
const crashChildEnv = "ONBOARDIQ_TEST_CRASH_CHILD_DB"

// TestPlaybookCrashChild is the server process that the crash test starts
// and kills: it works the queue until it is killed.
func TestPlaybookCrashChild(t *testing.T) {
	url := os.Getenv(crashChildEnv)
	if url == "" {
		t.Skip("the child process of TestPlaybookActionsOnceAcrossACrash")
	}
	guard := &netguard.Guard{AllowPrivate: true}
	db, err := postgres.Open(context.Background(), url, postgres.WithSecrets(testdb.Keyring()), postgres.WithWebhookGuard(guard))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), Deps{DB: db, Embedder: ai.Local{}, Logger: slog.New(slog.DiscardHandler), Mailer: &notify.Mailer{},
		Webhooks: notify.NewWebhooks(guard), ScanInterval: time.Hour}, 4); err != nil {
		t.Fatal(err)
	}
	select {} // until killed
}

// TestPlaybookActionsOnceAcrossACrash: a server is killed (SIGKILL) in the
// middle of a run — its webhook request in flight — and another one takes
// over the jobs the dead one held, as River's rescuer does. Each action
// happened once: one task, one notification, one delivery, and every
// request the receiver saw carried the same webhook-id.
func TestPlaybookActionsOnceAcrossACrash(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fanOut(t)
	ctx := context.Background()
	rec := newSlowReceiver(t) // the first request hangs until the server dies
	pb, err := f.db.App.CreatePlaybook(f.admin, onboardiq.Playbook{Name: "Blocked rollout", Enabled: true, Subject: "project",
		Trigger: onboardiq.PlaybookTrigger{Event: string(onboardiq.EventTaskBlocked)},
		Actions: []onboardiq.PlaybookAction{
			{Type: "create_task", Task: "Unblock {{task_title}}", DueDays: 1},
			{Type: "webhook", URL: rec.URL + "/hook", Format: "standard"},
			{Type: "notify", To: []string{"csm"}, Subject: "Blocked: {{task_title}}"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	var task uuid.UUID
	if err := f.db.App.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT t.task_id FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
WHERE t.status = 'not_started' AND p.status IN ('not_started', 'in_progress') ORDER BY t.task_id LIMIT 1`).Scan(&task)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.App.UpdateTask(f.admin, task, onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusBlocked), BlockedReason: onboardiq.Set("waiting on IT")}); err != nil {
		t.Fatal(err)
	}

	child := exec.Command(os.Args[0], "-test.run=^TestPlaybookCrashChild$", "-test.count=1")
	child.Env = append(os.Environ(), crashChildEnv+"="+f.db.AppURL)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the webhook request", func() bool { return len(rec.got()) > 0 })
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	close(rec.hold)

	// The rescuer's work: the dead server's running jobs are available again.
	if _, err := f.db.App.Pool.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now() WHERE state = 'running'`); err != nil {
		t.Fatal(err)
	}
	runner, err := Start(ctx, Deps{DB: f.db.App, Embedder: ai.Local{}, Logger: slog.New(slog.DiscardHandler), Mailer: f.mailer, Webhooks: f.hooks, ScanInterval: time.Hour}, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Stop(5 * time.Second)
	var run *onboardiq.PlaybookRun
	waitFor(t, "the run to end and its webhook to be delivered", func() bool {
		page, err := f.db.App.ListPlaybookRuns(f.admin, pb.ID, onboardiq.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Status != "done" {
			return false
		}
		run = page.Items[0]
		var delivered bool
		if err := f.db.App.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `SELECT status = 'delivered' FROM deliveries WHERE delivery_id = $1`, run.Actions[1].DeliveryIDs[0]).Scan(&delivered)
		}); err != nil {
			t.Fatal(err)
		}
		return delivered
	})
	count := func(q string, args ...any) int {
		var n int
		if err := f.db.App.InTenant(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&n) }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM tasks WHERE description LIKE 'Unblock %'`); n != 1 {
		t.Errorf("%d tasks created, want 1", n)
	}
	if n := count(`SELECT count(*) FROM notifications WHERE kind = 'playbook'`); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
	if n := count(`SELECT count(*) FROM deliveries WHERE playbook_id = $1`, pb.ID); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
	got := rec.got()
	for _, r := range got {
		if id := r.header.Get("webhook-id"); id != got[0].header.Get("webhook-id") || id == "" {
			t.Errorf("requests with webhook-ids %q and %q", got[0].header.Get("webhook-id"), id)
		}
	}
	for _, a := range run.Actions {
		if a.Status != "done" {
			t.Errorf("action %d: %+v", a.Index, a)
		}
	}
}
