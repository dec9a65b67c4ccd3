package cli_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/netguard"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

type seedOutput struct {
	TenantID uuid.UUID `json:"tenant_id"`
	Slug     string    `json:"slug"`
	Created  bool      `json:"created"`
	Logins   []struct {
		Email string `json:"email"`
		Role  string `json:"role"`
		Token string `json:"token"`
	} `json:"logins"`
}

func seedDemo(t *testing.T, d *testdb.DB) seedOutput {
	t.Helper()
	r := runCLI(t, context.Background(), appEnv(d), nil, "seed", "demo", "--json")
	var out seedOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil {
		t.Fatalf("seed demo: exit %d, %q %s (%v)", r.code, r.stdout, r.stderr, err)
	}
	return out
}

type scanOutput struct {
	Tenants       *int `json:"tenants"`
	Overdue       *int `json:"overdue_projects"`
	AtRisk        *int `json:"at_risk_projects"`
	Notifications []struct {
		NotificationID uuid.UUID `json:"notification_id"`
		Email          string    `json:"email"`
		Kind           string    `json:"kind"`
		ProjectID      uuid.UUID `json:"project_id"`
		EmailDelivery  string    `json:"email_delivery"`
	} `json:"notifications"`
}

func scanOnce(t *testing.T, d *testdb.DB) scanOutput {
	t.Helper()
	r := runCLI(t, context.Background(), appEnv(d), nil, "scan", "--once", "--json")
	var out scanOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil {
		t.Fatalf("scan --once --json: exit %d, %q %s (%v)", r.code, r.stdout, r.stderr, err)
	}
	if out.Tenants == nil || out.Overdue == nil || out.AtRisk == nil || out.Notifications == nil {
		t.Fatalf("scan --once --json lacks a count or the notifications list: %s", r.stdout)
	}
	return out
}

// TestScanOnceAndDeliveries: scan --once --json on the demo workspace
// reports its one overdue project and the three people it notified, a
// second scan adds nothing, deliveries list shows the emails the first one
// queued, and the overdue project is recorded once as an event for the
// fan-out (which queues the webhook when the server's workers run).
func TestScanOnceAndDeliveries(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	env := appEnv(d)
	seed := seedDemo(t, d)
	// An endpoint for overdue projects, and one that takes only task events.
	admin := onboardiq.NewContextWithPrincipal(ctx, onboardiq.SystemPrincipal(seed.TenantID))
	public := &netguard.Guard{Lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	}}
	checked := d.Open(t, postgres.WithWebhookGuard(public))
	overdueHook, _, err := checked.CreateWebhook(admin, onboardiq.WebhookInput{URL: "https://hooks.example.com/overdue", Events: []string{string(onboardiq.EventProjectOverdue)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := checked.CreateWebhook(admin, onboardiq.WebhookInput{URL: "https://hooks.example.com/tasks", Events: []string{string(onboardiq.EventTaskCompleted)}}); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, ctx, env, nil, "project", "list", "--tenant", "acme", "--json")
	var projects []struct {
		ID   uuid.UUID `json:"id"`
		Name string    `json:"name"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &projects); err != nil || r.code != 0 {
		t.Fatalf("project list: %d %q %v", r.code, r.stdout, err)
	}
	var initech uuid.UUID
	for _, p := range projects {
		if p.Name == "Initech Health onboarding" {
			initech = p.ID
		}
	}
	if initech == uuid.Nil {
		t.Fatalf("no Initech project in %s", r.stdout)
	}

	if r := runCLI(t, ctx, env, nil, "scan", "--json"); r.code != 2 || !strings.Contains(r.stderr, "--once") {
		t.Errorf("scan without --once: exit %d %q, want a usage error", r.code, r.stderr)
	}

	first := scanOnce(t, d)
	if *first.Tenants != 1 || *first.Overdue != 1 || *first.AtRisk != 0 {
		t.Errorf("scan: %d tenants, %d overdue, %d at risk; want 1, 1 (Initech), 0", *first.Tenants, *first.Overdue, *first.AtRisk)
	}
	// The sales leader and Initech's CSM; the admin by escalation (7 days late).
	want := map[string]string{
		"dana.whitfield@acme.example": postgres.KindProjectOverdue,
		"marco.rossi@acme.example":    postgres.KindProjectOverdue,
		"alex.morgan@acme.example":    postgres.KindOverdueEscalated,
	}
	got := map[string]string{}
	notified := map[uuid.UUID]string{} // notification id: email
	for _, n := range first.Notifications {
		if _, dup := got[n.Email]; dup {
			t.Errorf("%s notified twice", n.Email)
		}
		got[n.Email] = n.Kind
		notified[n.NotificationID] = n.Email
		if n.ProjectID != initech || n.EmailDelivery != "immediate" || n.NotificationID == uuid.Nil {
			t.Errorf("notification %+v: want Initech's project (%s), email immediate", n, initech)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("notified %v, want %v", got, want)
	}

	again := scanOnce(t, d)
	if *again.Tenants != 1 || *again.Overdue != 1 || len(again.Notifications) != 0 {
		t.Errorf("second scan: %d tenants, %d overdue, %d notifications; want 1, 1, 0", *again.Tenants, *again.Overdue, len(again.Notifications))
	}

	r = runCLI(t, ctx, env, nil, "deliveries", "list", "--tenant", "acme", "--json")
	var deliveries []struct {
		Channel        string     `json:"channel"`
		NotificationID *uuid.UUID `json:"notification_id"`
		EndpointID     *uuid.UUID `json:"endpoint_id"`
		EventType      string     `json:"event_type"`
		Recipient      string     `json:"recipient"`
		MessageID      string     `json:"message_id"`
		Status         string     `json:"status"`
		Attempts       []any      `json:"attempts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &deliveries); err != nil || r.code != 0 {
		t.Fatalf("deliveries list: %d %q %s %v", r.code, r.stdout, r.stderr, err)
	}
	emails := map[string]string{} // recipient: event type
	var hooks []string
	for _, dl := range deliveries {
		if dl.Status != "pending" || len(dl.Attempts) != 0 || dl.MessageID == "" {
			t.Errorf("%s delivery to %s: status %s, %d attempts, message id %q; want pending, none yet, an id", dl.Channel, dl.Recipient, dl.Status, len(dl.Attempts), dl.MessageID)
		}
		switch dl.Channel {
		case "email":
			if dl.NotificationID == nil || notified[*dl.NotificationID] != dl.Recipient {
				t.Errorf("email to %s is for notification %v, not one the scan made for them", dl.Recipient, dl.NotificationID)
			}
			if _, dup := emails[dl.Recipient]; dup {
				t.Errorf("two emails to %s", dl.Recipient)
			}
			emails[dl.Recipient] = dl.EventType
		case "webhook":
			if dl.EndpointID == nil || *dl.EndpointID != overdueHook.ID || dl.Recipient != overdueHook.URL {
				t.Errorf("webhook to %s (%v), want only the overdue endpoint", dl.Recipient, dl.EndpointID)
			}
			hooks = append(hooks, dl.EventType)
		default:
			t.Errorf("delivery on channel %q", dl.Channel)
		}
	}
	if !maps.Equal(emails, want) {
		t.Errorf("emails queued %v, want one to each person notified: %v", emails, want)
	}
	if len(hooks) != 0 {
		t.Errorf("webhooks queued %v by the scan itself, want none before the fan-out", hooks)
	}
	var events, fanOuts int
	err = d.App.InTenant(ctx, seed.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		// Two statements: on Citus, events is distributed and river_job a
		// local table of the coordinator, which one query cannot join.
		var ids []int64
		if err := tx.QueryRow(ctx, `SELECT array_agg(event_id) FROM events WHERE kind = $1 AND project_id = $2`,
			onboardiq.EventProjectOverdue, initech).Scan(&ids); err != nil {
			return err
		}
		events = len(ids)
		return tx.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'event'
  AND ((args->>'event_id')::bigint = ANY ($1) OR EXISTS (SELECT FROM jsonb_array_elements_text(args->'event_ids') b WHERE b::bigint = ANY ($1)))`, ids).Scan(&fanOuts)
	})
	if err != nil || events != 1 || fanOuts != 1 {
		t.Errorf("project.overdue events for Initech: %d with %d fan-out jobs (%v); want one each", events, fanOuts, err)
	}
	if r := runCLI(t, ctx, env, nil, "deliveries", "list", "--json"); r.code == 0 || !strings.Contains(r.stderr, "--tenant") {
		t.Errorf("deliveries list without --tenant: exit %d %q", r.code, r.stderr)
	}
}

// TestSeedDemoTwice: a second seed demo finds the workspace, creates
// nothing, and only replaces the demo users' tokens.
func TestSeedDemoTwice(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	counts := func(tenant uuid.UUID) map[string]int {
		t.Helper()
		out := map[string]int{}
		err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			for _, table := range []string{"tenant_users", "customers", "projects", "tasks", "templates", "template_tasks", "knowledge_base", "support_members", "notifications", "deliveries"} {
				var n int
				if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
					return err
				}
				out[table] = n
			}
			var active int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL`).Scan(&active); err != nil {
				return err
			}
			out["active tokens"] = active
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := seedDemo(t, d)
	if !first.Created || first.Slug != "acme" || first.TenantID == uuid.Nil || len(first.Logins) != 10 {
		t.Fatalf("first seed: created %v, slug %q, tenant %s, %d logins; want created, acme, 10 logins", first.Created, first.Slug, first.TenantID, len(first.Logins))
	}
	before := counts(first.TenantID)
	if before["customers"] != 3 || before["projects"] != 4 || before["tenant_users"] != 10 || before["active tokens"] != 10 || before["tasks"] == 0 || before["knowledge_base"] == 0 {
		t.Fatalf("the demo workspace: %v", before)
	}
	second := seedDemo(t, d)
	if second.Created || second.TenantID != first.TenantID || len(second.Logins) != len(first.Logins) {
		t.Errorf("second seed: created %v, tenant %s (first %s), %d logins (first %d)", second.Created, second.TenantID, first.TenantID, len(second.Logins), len(first.Logins))
	}
	if after := counts(first.TenantID); !maps.Equal(after, before) {
		t.Errorf("after a second seed: %v, want as before: %v", after, before)
	}
	if tenants, err := d.App.AllTenantIDs(ctx); err != nil || len(tenants) != 1 {
		t.Errorf("%d tenants after seeding twice (%v), want 1", len(tenants), err)
	}
	// Same people; each with a new token, the old one revoked.
	for i, l := range second.Logins {
		if l.Email != first.Logins[i].Email || l.Role != first.Logins[i].Role || l.Token == first.Logins[i].Token {
			t.Errorf("login %d: %+v, first %+v", i, l, first.Logins[i])
		}
	}
	if _, err := d.App.Authenticate(ctx, first.Logins[0].Token); err == nil {
		t.Error("the first seed's token still works")
	}
	if p, err := d.App.Authenticate(ctx, second.Logins[0].Token); err != nil || p.TenantID != first.TenantID {
		t.Errorf("the second seed's token: %+v %v", p, err)
	}
	// project list through the CLI sees the same four projects both times.
	r := runCLI(t, ctx, appEnv(d), nil, "project", "list", "--tenant", "acme", "--json")
	var ps []struct{ ID string }
	if err := json.Unmarshal([]byte(r.stdout), &ps); err != nil || len(ps) != 4 {
		t.Errorf("project list after seeding twice: %d projects (%v)", len(ps), err)
	}
}
