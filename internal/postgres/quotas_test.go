package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/netguard"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// quotaWorkspace is a new workspace (its admin only) with an operator's
// context, the admin's context and API token, and a store whose webhook
// guard lets example.com through.
type quotaWorkspace struct {
	test     *testdb.DB
	db       *postgres.DB
	tenant   uuid.UUID
	admin    context.Context
	operator context.Context
	token    string
}

func newQuotaWorkspace(t *testing.T, slug string) *quotaWorkspace {
	t.Helper()
	d := testdb.New(t)
	ctx := context.Background()
	db := d.Open(t, postgres.WithWebhookGuard(&netguard.Guard{Lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	}}))
	res, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Quota " + slug, Slug: slug, AdminEmail: "admin@" + slug + ".test", AdminName: "Ada Admin"})
	if err != nil {
		t.Fatal(err)
	}
	return &quotaWorkspace{test: d, db: db, tenant: res.Tenant.ID, token: res.Token,
		admin:    onboardiq.NewContextWithPrincipal(ctx, &onboardiq.Principal{TenantID: res.Tenant.ID, UserID: res.Admin.ID, Role: onboardiq.RoleAdmin, Name: "Ada Admin"}),
		operator: onboardiq.NewContextWithOperator(ctx, &onboardiq.Operator{TokenID: uuid.New(), Name: "ops"})}
}

// set gives the workspace tier and overrides, as its operator.
func (w *quotaWorkspace) set(t *testing.T, tier string, o onboardiq.QuotaOverrides) *onboardiq.OperatorTenant {
	t.Helper()
	var tp *string
	if tier != "" {
		tp = &tier
	}
	ot, err := w.db.SetTenantQuotas(w.operator, w.tenant, postgres.QuotaChange{Tier: tp, Overrides: o})
	if err != nil {
		t.Fatal(err)
	}
	return ot
}

func (w *quotaWorkspace) warnings(t *testing.T, quota onboardiq.Quota) int {
	t.Helper()
	var n int
	err := w.db.InTenantReadOnly(context.Background(), w.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM events WHERE tenant_id = $1 AND kind = 'quota.warning' AND data->>'quota' = $2`, w.tenant, string(quota)).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func limit(n int64) *int64 { return &n }

// wantQuotaError checks err is the refusal of quota q at limit and usage,
// with the status code its kind has.
func wantQuotaError(t *testing.T, what string, err error, q onboardiq.Quota, lim, usage int64) {
	t.Helper()
	qe := onboardiq.AsQuotaError(err)
	if qe == nil {
		t.Fatalf("%s: %v, want a quota error", what, err)
	}
	code := onboardiq.EFORBIDDEN
	if q.Monthly() {
		code = onboardiq.ELIMIT
	}
	if qe.Quota != q || qe.Limit != lim || qe.Usage != usage || onboardiq.ErrorCode(err) != code ||
		!strings.Contains(onboardiq.ErrorMessage(err), "Ask your provider") {
		t.Fatalf("%s: %+v (%s: %s), want %s limit %d usage %d (%s)", what, qe, onboardiq.ErrorCode(err), onboardiq.ErrorMessage(err), q, lim, usage, code)
	}
}

// TestQuotaUsersAtTheLimit: a staff seat at n is allowed, at n+1 refused
// (whether created, invited or re-enabled); contacts take no seat.
func TestQuotaUsersAtTheLimit(t *testing.T) {
	t.Parallel()
	w := newQuotaWorkspace(t, "seats")
	w.set(t, "starter", onboardiq.QuotaOverrides{onboardiq.QuotaUsers: limit(3)})
	if _, err := w.db.CreateUser(w.admin, onboardiq.NewUser{Email: "two@seats.test", Name: "Two", Role: onboardiq.RoleCSM}); err != nil {
		t.Fatal(err)
	}
	third, _, err := w.db.InviteStaff(w.admin, onboardiq.NewUser{Email: "three@seats.test", Name: "Three", Role: onboardiq.RoleViewer}, "https://app.test")
	if err != nil {
		t.Fatalf("the third seat (n): %v", err)
	}
	_, err = w.db.CreateUser(w.admin, onboardiq.NewUser{Email: "four@seats.test", Name: "Four", Role: onboardiq.RoleCSM})
	wantQuotaError(t, "a fourth user", err, onboardiq.QuotaUsers, 3, 3)
	_, _, err = w.db.InviteStaff(w.admin, onboardiq.NewUser{Email: "four@seats.test", Name: "Four", Role: onboardiq.RoleCSM}, "https://app.test")
	wantQuotaError(t, "a fourth invitation", err, onboardiq.QuotaUsers, 3, 3)

	c, err := w.db.CreateCustomer(w.admin, onboardiq.NewCustomer{Name: "Globex"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.db.AddContact(w.admin, c.ID, onboardiq.NewContact{Name: "Cat", Email: "cat@globex.test"}, "https://app.test"); err != nil {
		t.Errorf("a contact at the staff limit: %v", err)
	}

	// Disabling frees the seat; re-enabling takes one and is refused when
	// none is free.
	if _, err := w.db.UpdateUser(w.admin, third.ID, onboardiq.UserPatch{Disabled: onboardiq.Set(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.CreateUser(w.admin, onboardiq.NewUser{Email: "five@seats.test", Name: "Five", Role: onboardiq.RoleCSM}); err != nil {
		t.Fatalf("a seat freed by disabling: %v", err)
	}
	_, err = w.db.UpdateUser(w.admin, third.ID, onboardiq.UserPatch{Disabled: onboardiq.Set(false)})
	wantQuotaError(t, "re-enabling without a free seat", err, onboardiq.QuotaUsers, 3, 3)

	q, err := w.db.GetQuotas(w.admin)
	if err != nil {
		t.Fatal(err)
	}
	if u := q.Quotas[0]; u.Quota != onboardiq.QuotaUsers || u.Usage != 3 || *u.Limit != 3 || u.Source != onboardiq.SourceOverride {
		t.Errorf("users quota = %+v", u)
	}
}

// TestQuotaParallelAddsAtTheLimit: two staff users added at once at n−1
// let only one through: the check and the insert share a transaction and
// a lock per tenant and quota.
func TestQuotaParallelAddsAtTheLimit(t *testing.T) {
	t.Parallel()
	w := newQuotaWorkspace(t, "race")
	w.set(t, "", onboardiq.QuotaOverrides{onboardiq.QuotaUsers: limit(2), onboardiq.QuotaIntegrations: limit(1)})
	for round := range 3 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() {
				if round == 2 {
					_, _, errs[i] = w.db.CreateWebhook(w.admin, onboardiq.WebhookInput{URL: fmt.Sprintf("https://hooks.example.com/%d", i)})
					return
				}
				_, errs[i] = w.db.CreateUser(w.admin, onboardiq.NewUser{Email: fmt.Sprintf("u%d-%d@race.test", round, i), Name: "U", Role: onboardiq.RoleCSM})
			})
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case onboardiq.AsQuotaError(err) != nil:
				refused++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		want := 1
		if round == 1 {
			want = 0 // the limit was reached in round 0
		}
		if ok != want || refused != 2-want {
			t.Errorf("round %d: %d added, %d refused; want %d added", round, ok, refused, want)
		}
	}
	q, err := w.db.GetQuotas(w.admin)
	if err != nil {
		t.Fatal(err)
	}
	if q.Quotas[0].Usage != 2 || q.Quotas[3].Usage != 1 {
		t.Errorf("usage after the races: users %d, integrations %d", q.Quotas[0].Usage, q.Quotas[3].Usage)
	}
}

// TestQuotaStorageAndIntegrations: articles and the logo count towards
// storage (an article at exactly the limit passes, a byte more is
// refused, a shrinking edit always passes); webhook endpoints towards
// integrations.
func TestQuotaStorageAndIntegrations(t *testing.T) {
	t.Parallel()
	w := newQuotaWorkspace(t, "storage")
	w.set(t, "starter", onboardiq.QuotaOverrides{onboardiq.QuotaStorage: limit(1000)})
	before, err := w.db.GetQuotas(w.admin)
	if err != nil {
		t.Fatal(err)
	}
	base := before.Quotas[2].Usage
	room := 1000 - base
	a, err := w.db.CreateArticle(w.admin, onboardiq.NewArticle{Visibility: onboardiq.VisibilityInternal, Title: "Fill", Content: strings.Repeat("x", int(room)-4)})
	if err != nil {
		t.Fatalf("an article filling storage to n: %v", err)
	}
	_, err = w.db.CreateArticle(w.admin, onboardiq.NewArticle{Visibility: onboardiq.VisibilityInternal, Title: "One", Content: "x"})
	wantQuotaError(t, "an article past the storage limit", err, onboardiq.QuotaStorage, 1000, 1000)
	_, err = w.db.UpdateArticle(w.admin, a.ID, onboardiq.ArticlePatch{Content: onboardiq.Set(strings.Repeat("x", int(room)))})
	wantQuotaError(t, "an article grown past the limit", err, onboardiq.QuotaStorage, 1000, 1000)
	if _, err := w.db.UpdateArticle(w.admin, a.ID, onboardiq.ArticlePatch{Content: onboardiq.Set("short")}); err != nil {
		t.Fatalf("shrinking an article: %v", err)
	}
	_, err = w.db.SetBranding(w.admin, onboardiq.BrandingInput{Logo: noisyPNG(t, 32)})
	wantQuotaError(t, "a logo past the limit", err, onboardiq.QuotaStorage, 1000, base+9)

	// starter: 2 integrations.
	for i := range 2 {
		if _, _, err := w.db.CreateWebhook(w.admin, onboardiq.WebhookInput{URL: fmt.Sprintf("https://hooks.example.com/%d", i)}); err != nil {
			t.Fatalf("endpoint %d: %v", i+1, err)
		}
	}
	_, _, err = w.db.CreateWebhook(w.admin, onboardiq.WebhookInput{URL: "https://hooks.example.com/3"})
	wantQuotaError(t, "a third endpoint on starter", err, onboardiq.QuotaIntegrations, 2, 2)
	// A CRM connection is an integration too; changing one that exists
	// adds none.
	_, _, err = w.db.SetCRMConnection(w.admin, onboardiq.CRMHubSpot, onboardiq.CRMConnectionInput{Enabled: true})
	wantQuotaError(t, "a CRM connection past the limit", err, onboardiq.QuotaIntegrations, 2, 2)
	if err := w.db.DeleteWebhook(w.admin, firstWebhook(t, w)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.db.SetCRMConnection(w.admin, onboardiq.CRMHubSpot, onboardiq.CRMConnectionInput{Enabled: true}); err != nil {
		t.Fatalf("a CRM connection within the limit: %v", err)
	}
	if _, _, err := w.db.SetCRMConnection(w.admin, onboardiq.CRMHubSpot, onboardiq.CRMConnectionInput{Enabled: false}); err != nil {
		t.Fatalf("changing the connection at the limit: %v", err)
	}
	_, _, err = w.db.CreateWebhook(w.admin, onboardiq.WebhookInput{URL: "https://hooks.example.com/4"})
	wantQuotaError(t, "an endpoint beside the CRM connection", err, onboardiq.QuotaIntegrations, 2, 2)
}

// noisyPNG is a PNG image of n×n noisy pixels (about 4n² bytes).
func noisyPNG(t *testing.T, n int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if b.Len() < 2000 {
		t.Fatalf("noisy PNG of %d bytes", b.Len())
	}
	return b.Bytes()
}

// TestQuotaAPICallsAreMetered: every authentication counts one API call
// in the month (in memory, written by FlushAPICalls and once a second); at
// the limit the next is refused with a monthly quota error (Retry-After
// to the next month) and not counted; a second server reads what the
// first wrote; the warning at 80% is recorded once.
func TestQuotaAPICallsAreMetered(t *testing.T) {
	t.Parallel()
	w := newQuotaWorkspace(t, "calls")
	ctx := context.Background()
	for range 3 {
		if _, err := w.db.Authenticate(ctx, w.token); err != nil {
			t.Fatal(err)
		}
	}
	q, _ := w.db.GetQuotas(w.admin)
	if u := q.Quotas[1]; u.Usage != 3 || u.Limit != nil || u.Source != onboardiq.SourceNone {
		t.Fatalf("without a tier: %+v, want 3 calls counted and no limit", u)
	}
	w.set(t, "starter", onboardiq.QuotaOverrides{onboardiq.QuotaAPICalls: limit(5)})
	if _, err := w.db.Authenticate(ctx, w.token); err != nil {
		t.Fatalf("call 4 of 5: %v", err)
	}
	if err := w.db.FlushAPICalls(ctx); err != nil {
		t.Fatal(err)
	}
	if n := w.warnings(t, onboardiq.QuotaAPICalls); n != 1 {
		t.Errorf("4 of 5 written: %d api_calls warnings, want 1", n)
	}
	if _, err := w.db.Authenticate(ctx, w.token); err != nil {
		t.Fatalf("call 5 of 5: %v", err)
	}
	_, err := w.db.Authenticate(ctx, w.token)
	wantQuotaError(t, "the sixth call", err, onboardiq.QuotaAPICalls, 5, 5)
	if d := onboardiq.RetryAfter(err); d <= 0 || d > 32*24*time.Hour || time.Now().UTC().Add(d).Day() != 1 {
		t.Errorf("retry after %s: want the start of next month", d)
	}
	q, _ = w.db.GetQuotas(w.admin)
	if u := q.Quotas[1]; u.Usage != 5 {
		t.Errorf("after a refused call: %d counted, want 5", u.Usage)
	}
	if err := w.db.FlushAPICalls(ctx); err != nil {
		t.Fatal(err)
	}
	// Another server of the same database: the written count holds there.
	other := w.test.Open(t)
	_, err = other.Authenticate(ctx, w.token)
	wantQuotaError(t, "a call on another server", err, onboardiq.QuotaAPICalls, 5, 5)
	if n := w.warnings(t, onboardiq.QuotaAPICalls); n != 1 {
		t.Errorf("%d api_calls warnings after 100%%, want 1", n)
	}
}

// TestQuotaWarningOncePerMonth: reaching 80% emits quota.warning once,
// not again at 100%, and not for a quota without a limit.
func TestQuotaWarningOncePerMonth(t *testing.T) {
	t.Parallel()
	w := newQuotaWorkspace(t, "warn")
	w.set(t, "", onboardiq.QuotaOverrides{onboardiq.QuotaUsers: limit(5)})
	for i := range 2 {
		if _, err := w.db.CreateUser(w.admin, onboardiq.NewUser{Email: fmt.Sprintf("u%d@warn.test", i), Name: "U", Role: onboardiq.RoleCSM}); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.warnings(t, onboardiq.QuotaUsers); n != 0 {
		t.Fatalf("3 of 5: %d warnings", n)
	}
	for i := 2; i < 4; i++ { // 4 of 5 (80%), then 5 of 5
		if _, err := w.db.CreateUser(w.admin, onboardiq.NewUser{Email: fmt.Sprintf("u%d@warn.test", i), Name: "U", Role: onboardiq.RoleCSM}); err != nil {
			t.Fatal(err)
		}
		if n := w.warnings(t, onboardiq.QuotaUsers); n != 1 {
			t.Fatalf("%d of 5: %d warnings, want 1", i+2, n)
		}
	}
	if n := w.warnings(t, onboardiq.QuotaIntegrations); n != 0 {
		t.Errorf("integrations without a limit: %d warnings", n)
	}
}

// TestQuotasOnlyOperatorsEdit: a tenant's admin cannot set its tier or
// quotas (nor can anyone without an operator token); bad overrides are
// refused by field; the operator's view carries limits and usage, and
// the change is in the tenant's activity log.
func TestQuotasOnlyOperatorsEdit(t *testing.T) {
	t.Parallel()
	w := newQuotaWorkspace(t, "edit")
	tier := "business"
	if _, err := w.db.SetTenantQuotas(w.admin, w.tenant, postgres.QuotaChange{Tier: &tier}); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a tenant admin setting quotas: %v, want forbidden", err)
	}
	for _, tc := range []struct {
		o     onboardiq.QuotaOverrides
		tier  string
		field string
	}{
		{onboardiq.QuotaOverrides{"seats": limit(1)}, "", "overrides.seats"},
		{onboardiq.QuotaOverrides{onboardiq.QuotaUsers: limit(-1)}, "", "overrides.users"},
		{nil, "gold", "subscription_tier"},
	} {
		_, err := w.db.SetTenantQuotas(w.operator, w.tenant, postgres.QuotaChange{Tier: &tc.tier, Overrides: tc.o})
		if onboardiq.ErrorField(err) != tc.field {
			t.Errorf("%v %q: %v, want a refusal naming %s", tc.o, tc.tier, err, tc.field)
		}
	}
	ot := w.set(t, "professional", onboardiq.QuotaOverrides{onboardiq.QuotaAITokens: nil, onboardiq.QuotaUsers: limit(40)})
	if ot.SubscriptionTier == nil || *ot.SubscriptionTier != "professional" || ot.Quotas == nil {
		t.Fatalf("operator view = %+v", ot)
	}
	byQuota := map[onboardiq.Quota]onboardiq.QuotaUsage{}
	for _, u := range ot.Quotas.Quotas {
		byQuota[u.Quota] = u
	}
	if u := byQuota[onboardiq.QuotaUsers]; *u.Limit != 40 || u.Usage != 1 || u.Source != onboardiq.SourceOverride {
		t.Errorf("users = %+v", u)
	}
	if u := byQuota[onboardiq.QuotaAITokens]; u.Limit != nil || u.Source != onboardiq.SourceOverride {
		t.Errorf("ai tokens (overridden to no limit) = %+v", u)
	}
	if u := byQuota[onboardiq.QuotaStorage]; *u.Limit != 10*onboardiq.GiB || u.Source != onboardiq.SourceTier {
		t.Errorf("storage (the tier's) = %+v", u)
	}
	// The same setting again changes nothing and records nothing.
	w.set(t, "professional", onboardiq.QuotaOverrides{onboardiq.QuotaAITokens: nil, onboardiq.QuotaUsers: limit(40)})
	var n int
	_ = w.db.InTenantReadOnly(context.Background(), w.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM events WHERE tenant_id = $1 AND kind = 'tenant.quotas_changed'`, w.tenant).Scan(&n)
	})
	if n != 1 {
		t.Errorf("%d tenant.quotas_changed events, want 1", n)
	}
	if _, err := w.db.GetQuotas(onboardiq.NewContextWithPrincipal(context.Background(), &onboardiq.Principal{TenantID: w.tenant, UserID: uuid.New(), Role: onboardiq.RoleCSM})); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("a csm reading the quotas: %v, want forbidden", err)
	}
}

// firstWebhook is the id of one of the workspace's webhook endpoints.
func firstWebhook(t *testing.T, w *quotaWorkspace) uuid.UUID {
	t.Helper()
	hooks, err := w.db.ListWebhooks(w.admin)
	if err != nil || len(hooks) == 0 {
		t.Fatalf("webhooks: %v, %v", hooks, err)
	}
	return hooks[0].ID
}
