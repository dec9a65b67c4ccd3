package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TestQuotasPage: an admin finds the quotas from the settings and sees
// each quota's usage, limit and a bar, the tier named; other roles see no
// link and are refused the page; an invitation past the staff limit comes
// back on the settings page, 403, the quota's message beside the form and
// the typed input kept.
func TestQuotasPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := signIn(t, a, "alex.morgan@acme.example")
	settings := get(t, admin, a.url+"/app/settings")
	if len(settings.all(`a#quotas-link[href="/app/settings/quotas"]`)) != 1 {
		t.Fatal("the admin's settings have no link to the quotas")
	}
	p := get(t, admin, a.url+"/app/settings/quotas")
	if p.status != http.StatusOK || !strings.Contains(p.text("#quota-tier"), "No subscription tier") || len(p.all("#quotas tbody tr")) != len(onboardiq.Quotas) {
		t.Fatalf("the quotas page without a tier: %d %s", p.status, p.text("#quotas"))
	}

	op := onboardiq.NewContextWithOperator(context.Background(), &onboardiq.Operator{TokenID: uuid.New(), Name: "ops"})
	tier := "starter"
	ot, err := a.db.App.SetTenantQuotas(op, a.demo.TenantID, postgres.QuotaChange{Tier: &tier})
	if err != nil {
		t.Fatal(err)
	}
	staff := ot.Quotas.Quotas[0].Usage
	limit := staff
	if _, err := a.db.App.SetTenantQuotas(op, a.demo.TenantID, postgres.QuotaChange{Tier: &tier, Overrides: onboardiq.QuotaOverrides{onboardiq.QuotaUsers: &limit}}); err != nil {
		t.Fatal(err)
	}
	p = get(t, admin, a.url+"/app/settings/quotas")
	if !strings.Contains(p.text("#quota-tier"), "starter") {
		t.Errorf("the tier: %q", p.text("#quota-tier"))
	}
	row := p.all("#quota-users")
	if len(row) != 1 || attr(row[0], "class") != "quota-over" || !strings.Contains(p.text("#quota-users"), "limit reached") ||
		len(p.all("#quota-users progress.progress[value='100']")) != 1 || !strings.Contains(p.text("#quota-users"), "set for this workspace") {
		t.Errorf("the users row at its limit: %q", p.text("#quota-users"))
	}
	if !strings.Contains(p.text("#quota-storage"), "of 1 GiB") || !strings.Contains(p.text("#quota-storage"), "the tier") {
		t.Errorf("the storage row: %q", p.text("#quota-storage"))
	}
	for _, label := range []string{"Quota", "Used", "Share", "Limit from"} {
		if len(p.all(`#quotas td[data-label="`+label+`"]`)) != len(onboardiq.Quotas) {
			t.Errorf("cells labelled %s missing", label)
		}
	}

	inv := post(t, admin, a.url+"/app/settings/users", url.Values{"email": {"one.more@acme.example"}, "name": {"One More"}, "role": {"viewer"}}, a.url)
	if inv.status != http.StatusForbidden || !strings.Contains(inv.text("form#invite #error-invite"), "quota of staff users") ||
		len(inv.all(`form#invite #new-email[value="one.more@acme.example"]`)) != 1 {
		t.Errorf("an invitation past the limit: %d %q", inv.status, inv.text("form#invite"))
	}

	for _, email := range []string{"priya.shah@acme.example", "dana.whitfield@acme.example", "sam.lee@acme.example"} {
		c := signIn(t, a, email)
		if s := get(t, c, a.url+"/app/settings"); len(s.all("a#quotas-link")) != 0 {
			t.Errorf("%s sees the quotas link", email)
		}
		if s := get(t, c, a.url+"/app/settings/quotas"); s.status != http.StatusForbidden {
			t.Errorf("%s reads the quotas: %d", email, s.status)
		}
	}
}
