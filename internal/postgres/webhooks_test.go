package postgres_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/netguard"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestWebhookGuardInTheStore: whoever registers or changes an endpoint
// through the store is checked by its guard, with no guard to pass: a
// store opened without one refuses private and special-purpose targets
// (naming the field, storing nothing), and one opened with a guard that
// allows private targets accepts them.
func TestWebhookGuardInTheStore(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	res, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Hooks", Slug: "hooks", AdminEmail: "admin@hooks.test", AdminName: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	admin := onboardiq.NewContextWithPrincipal(ctx, onboardiq.SystemPrincipal(res.Tenant.ID))
	for _, u := range []string{"https://10.0.0.8/hook", "https://127.0.0.1/hook", "https://169.254.169.254/latest", "https://[::1]/x", "https://[fd00::1]/x"} {
		_, _, err := d.App.CreateWebhook(admin, onboardiq.WebhookInput{URL: u})
		var refusal *onboardiq.Error
		if !errors.As(err, &refusal) || refusal.Code != onboardiq.EINVALID || refusal.Field != "url" {
			t.Errorf("%s: %v, want a refusal naming the url field", u, err)
		}
	}
	if l, err := d.App.ListWebhooks(admin); err != nil || len(l) != 0 {
		t.Fatalf("refused endpoints stored: %d, %v", len(l), err)
	}

	// Changing a stored endpoint to a private target is refused the same way.
	public := d.Open(t, postgres.WithWebhookGuard(&netguard.Guard{Lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	}}))
	w, _, err := public.CreateWebhook(admin, onboardiq.WebhookInput{URL: "https://hooks.example.com/x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.App.UpdateWebhook(admin, w.ID, onboardiq.WebhookInput{URL: "https://10.1.2.3/x"}, false); onboardiq.ErrorCode(err) != onboardiq.EINVALID {
		t.Errorf("moving an endpoint to a private address: %v, want a refusal", err)
	}

	private := d.Open(t, postgres.WithWebhookGuard(&netguard.Guard{AllowPrivate: true}))
	if _, _, err := private.CreateWebhook(admin, onboardiq.WebhookInput{URL: "https://10.0.0.8/hook"}); err != nil {
		t.Errorf("a private target with AllowPrivate: %v", err)
	}
}
