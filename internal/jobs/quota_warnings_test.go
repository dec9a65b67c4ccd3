package jobs

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TestQuotaWarningNotifiesAdmins: a quota reaching 80% tells each active
// admin once, in the app (opening the quotas page) and by email; going on
// to 100% in the same month tells nobody again, nor does anyone else hear.
func TestQuotaWarningNotifiesAdmins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fanOut(t) // the seed's own events
	ctx := context.Background()
	db := f.db.App
	q, err := db.GetQuotas(f.admin)
	if err != nil {
		t.Fatal(err)
	}
	staff := q.Quotas[0].Usage
	// 80% is reached by the next user when the limit is 5/4 of it.
	limit := (staff + 1) * 5 / 4
	op := onboardiq.NewContextWithOperator(ctx, &onboardiq.Operator{TokenID: uuid.New(), Name: "ops"})
	if _, err := db.SetTenantQuotas(op, f.tenant, postgres.QuotaChange{Overrides: onboardiq.QuotaOverrides{onboardiq.QuotaUsers: &limit}}); err != nil {
		t.Fatal(err)
	}
	var admins, others int
	count := func() {
		t.Helper()
		err := db.InTenantReadOnly(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `
SELECT count(*) FILTER (WHERE u.role = 'admin'), count(*) FILTER (WHERE u.role <> 'admin')
FROM notifications n JOIN tenant_users u ON u.tenant_id = n.tenant_id AND u.user_id = n.user_id
WHERE n.tenant_id = $1 AND n.kind = 'quota_warning' AND n.data->>'link' = '/app/settings/quotas'
  AND n.title LIKE 'Staff users: 80%' AND n.body LIKE '%ask your provider%'`, f.tenant).Scan(&admins, &others)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var wantAdmins int
	_ = db.InTenantReadOnly(ctx, f.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM tenant_users WHERE tenant_id = $1 AND role = 'admin' AND disabled_at IS NULL`, f.tenant).Scan(&wantAdmins)
	})
	emails := len(f.pending(t, postgres.EmailArgs{}.Kind()))
	for i := staff; i < limit; i++ {
		if _, err := db.CreateUser(f.admin, onboardiq.NewUser{Email: fmt.Sprintf("seat%d@acme.example", i), Name: "Seat", Role: onboardiq.RoleViewer}); err != nil {
			t.Fatal(err)
		}
		f.fanOut(t)
		count()
		if admins != wantAdmins || others != 0 {
			t.Fatalf("at %d of %d: %d admins and %d others told, want each of the %d admins once", i+1, limit, admins, others, wantAdmins)
		}
	}
	if got := len(f.pending(t, postgres.EmailArgs{}.Kind())) - emails; got < 1 || got > wantAdmins {
		t.Errorf("%d emails queued, want one per admin who wants them now (%d admins)", got, wantAdmins)
	}
	_, err = db.CreateUser(f.admin, onboardiq.NewUser{Email: "over@acme.example", Name: "Over", Role: onboardiq.RoleViewer})
	if qe := onboardiq.AsQuotaError(err); qe == nil || !strings.Contains(err.Error(), "staff users") {
		t.Errorf("past the limit: %v", err)
	}
}
