package demo_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/demo"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// rowCounts returns the number of rows of every tenant table in tenant.
func rowCounts(t *testing.T, db *postgres.DB, tenant uuid.UUID) map[string]int {
	t.Helper()
	tables, err := db.TenantTables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	err = db.InTenant(context.Background(), tenant, func(ctx context.Context, tx *postgres.Tx) error {
		for _, tb := range tables {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+tb.Name).Scan(&n); err != nil {
				return err
			}
			out[tb.Name] = n
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSeedIsIdempotentAndRotatesTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	now := time.Now()

	first, err := demo.Seed(ctx, d.App, now)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || len(first.Logins) != 10 {
		t.Fatalf("first seed: created %v, %d logins; want created, 10", first.Created, len(first.Logins))
	}
	before := rowCounts(t, d.App, first.TenantID)

	second, err := demo.Seed(ctx, d.App, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.TenantID != first.TenantID {
		t.Fatalf("second seed: created %v, tenant %s (first %s)", second.Created, second.TenantID, first.TenantID)
	}
	after := rowCounts(t, d.App, first.TenantID)
	before["api_tokens"] += len(first.Logins) // each run adds one token per user, revoking the previous
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("the second seed changed the data (-first +second):\n%s", diff)
	}
	for i, l := range second.Logins {
		if _, err := d.App.Authenticate(ctx, first.Logins[i].Token); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
			t.Errorf("%s's previous token still works: %v", l.Email, err)
		}
		p, err := d.App.Authenticate(ctx, l.Token)
		if err != nil || p.Email != l.Email || p.Role != l.Role {
			t.Errorf("%s's new token: %+v %v", l.Email, p, err)
		}
	}
}

func TestDemoWorkspace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	res, err := demo.Seed(ctx, d.App, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	roles := map[onboardiq.Role]int{}
	for _, l := range res.Logins {
		roles[l.Role]++
	}
	if diff := cmp.Diff(map[onboardiq.Role]int{"admin": 1, "csm": 2, "sales_leader": 1, "viewer": 1, "customer": 5}, roles); diff != "" {
		t.Errorf("demo users by role (-want +got):\n%s", diff)
	}

	type customer struct {
		Name     string
		Contacts int
		HasCSM   bool
	}
	var customers []customer
	var statuses []string
	var overdue []string
	var publicTitles, internalTitles []string
	var blockedWithReason, tasks, unassigned int
	err = d.App.InTenantReadOnly(ctx, res.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `
SELECT c.name, (SELECT count(*) FROM tenant_users u WHERE u.tenant_id = c.tenant_id AND u.customer_id = c.customer_id),
       EXISTS (SELECT FROM tenant_users u WHERE u.tenant_id = c.tenant_id AND u.user_id = c.support_member_id AND u.role = 'csm')
FROM customers c ORDER BY c.name`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c customer
			if err := rows.Scan(&c.Name, &c.Contacts, &c.HasCSM); err != nil {
				return err
			}
			customers = append(customers, c)
		}
		if err := tx.QueryRow(ctx, `SELECT array_agg(DISTINCT status ORDER BY status) FROM projects`).Scan(&statuses); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(name), '{}') FROM projects WHERE deadline < now() AND status <> 'completed'`).Scan(&overdue); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT array_agg(title ORDER BY title) FILTER (WHERE visibility = 'public'), array_agg(title ORDER BY title) FILTER (WHERE visibility = 'internal') FROM knowledge_base`).
			Scan(&publicTitles, &internalTitles); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'blocked' AND blocked_reason <> ''), count(*), count(*) FILTER (WHERE assigned_to IS NULL) FROM tasks`).
			Scan(&blockedWithReason, &tasks, &unassigned)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []customer{{"Globex Logistics", 2, true}, {"Initech Health", 2, true}, {"Umbrella Retail", 1, true}}
	if diff := cmp.Diff(want, customers); diff != "" {
		t.Errorf("customers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"completed", "in_progress", "not_started"}, statuses); diff != "" {
		t.Errorf("project statuses (-want +got):\n%s", diff)
	}
	if len(overdue) != 1 {
		t.Errorf("overdue projects %v, want exactly one", overdue)
	}
	if blockedWithReason == 0 || tasks < 60 || unassigned != 0 {
		t.Errorf("tasks: %d, %d blocked with a reason, %d unassigned", tasks, blockedWithReason, unassigned)
	}
	if n := len(publicTitles) + len(internalTitles); n < 12 || len(internalTitles) == 0 {
		t.Errorf("%d articles, %d internal", n, len(internalTitles))
	}
	for _, topic := range []string{"single sign-on", "API keys", "Importing"} {
		if !slices.ContainsFunc(publicTitles, func(s string) bool { return strings.Contains(s, topic) }) {
			t.Errorf("no public article about %q in %v", topic, publicTitles)
		}
	}
}

func TestArticlesParse(t *testing.T) {
	t.Parallel()
	articles, err := demo.Articles()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range articles {
		if a.Slug == "" || len(a.Content) < 500 || len(a.Tags) == 0 {
			t.Errorf("%s: %d characters, tags %v", a.Slug, len(a.Content), a.Tags)
		}
		if strings.Contains(a.Content, "\n---\n") && strings.HasPrefix(a.Content, "title:") {
			t.Errorf("%s: front matter left in the content", a.Slug)
		}
	}
}
