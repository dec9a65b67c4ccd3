package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// crossCallers are the callers of the other tenant (bolt) in
// TestCrossTenantRoutes, with the column of the matrix that holds the same
// role's status inside acme: for the contact, a contact of another customer
// (nothing of acme's first customer is theirs).
var crossCallers = []struct{ role, inAcme string }{
	{"admin", "admin"},
	{"csm", "csm"},
	{"sales_leader", "sales_leader"},
	{"viewer", "viewer"},
	{"customer", "other_contact"},
}

// ownAccountRoutes are the matrix's routes about the caller's own account
// whose answer follows the caller's role, whatever their tenant: a contact
// of another tenant reads their own email preferences (200) where that
// tenant's admin is refused (403).
var ownAccountRoutes = map[string]bool{"get my email preferences": true, "set my email preferences": true}

// TestCrossTenantRoutes sends every route of the matrix once as each role of
// another tenant, naming acme's ids, on one database (the matrix gives every
// request a fresh copy, which is too slow on Citus): the status is the
// matrix's for a caller of another tenant (its admin), or a refusal by role
// (403) where the same role inside acme is refused so; acme's rows never
// change, nothing changes when a request is refused, and no response holds
// an id of acme's.
func TestCrossTenantRoutes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	seedMatrix(t, e)

	// bolt gets a user of every role and a customer with its contact.
	tokens := map[string]string{"admin": e.tokens["other_tenant"]}
	err := e.db.App.InTenant(ctx, e.bolt, func(ctx context.Context, tx *postgres.Tx) error {
		c, err := tx.CreateCustomer(ctx, onboardiq.NewCustomer{Name: "Bolt's customer"})
		if err != nil {
			return err
		}
		for _, cc := range crossCallers[1:] {
			in := onboardiq.NewUser{Email: cc.role + "@bolt.test", Name: cc.role, Role: onboardiq.Role(cc.role)}
			if cc.role == "customer" {
				in.CustomerID = &c.ID
			}
			u, err := tx.CreateUser(ctx, in)
			if err != nil {
				return fmt.Errorf("%s: %w", cc.role, err)
			}
			if tokens[cc.role], _, err = tx.CreateToken(ctx, u.ID, "test"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for role, tok := range tokens {
		e.tokens["bolt_"+role] = tok
	}

	acmeIDs := []string{e.c1.String(), e.c2.String(), e.p1.String(), e.p2.String(), e.t1.String(), e.tv.String(), e.ti.String(),
		e.tpl.String(), e.csm.String(), e.contact.String(), e.pub.String(), e.internal.String(), e.note.String(), e.hook.String(),
		e.conv.String(), e.staffConv.String(), e.thread.String(), e.hookSecret, matrixField, matrixMilestone,
		e.playbook().String(), e.playbookSecret(), matrixRun, matrixEscalation, matrixImport}
	for caller, id := range e.tokenID {
		if caller != "other_tenant" {
			acmeIDs = append(acmeIDs, id.String())
		}
	}
	column := func(caller string) int { return slices.Index(callers, caller) }

	acme, bolt := e.tenantSnapshot(t, e.acme), e.tenantSnapshot(t, e.bolt)
	for _, r := range routes {
		want := strings.Fields(r.want)
		other := want[column("other_tenant")]
		for _, cc := range crossCallers {
			allowed := []string{other}
			if inAcme := want[column(cc.inAcme)]; inAcme == "403" && cc.role != "admin" {
				// Refused by role: the store may check the role before or
				// after looking the id up, and either says nothing of acme.
				allowed = []string{"403"}
				if !strings.HasPrefix(other, "2") {
					allowed = append(allowed, other)
				}
			}
			if ownAccountRoutes[r.name] {
				// The caller's own account: any tenant's caller gets what the
				// same role gets inside acme.
				allowed = []string{want[column(cc.inAcme)]}
			}
			var body any
			if r.body != nil {
				body = r.body(e)
			}
			if inAcme := want[column(cc.inAcme)]; strings.HasPrefix(inAcme, "2") && !namesAny(r.path(e), body, acmeIDs) {
				// A route that names nothing of acme's acts in the caller's
				// own workspace: what the same role may do in acme, it may
				// do in bolt (a contact asks their own CSM).
				allowed = append(allowed, inAcme)
			}
			if inAcme := want[column(cc.inAcme)]; cc.role == "customer" && (inAcme == "404" || inAcme == "422") {
				// A contact of another customer and one of another
				// workspace stand alike: nothing of acme's customer is
				// theirs, and naming it is refused the same way (where bolt's
				// admin is refused by role first).
				allowed = append(allowed, inAcme)
			}
			status, out := e.do(t, "bolt_"+cc.role, r.method, r.path(e), body)
			if !slices.Contains(allowed, strconv.Itoa(status)) {
				t.Errorf("%s %s as bolt's %s: %d, want %s: %s", r.method, r.path(e), cc.role, status, strings.Join(allowed, " or "), out)
			}
			for _, id := range acmeIDs {
				if strings.Contains(string(out), id) {
					t.Errorf("%s as bolt's %s: the response shows acme's %s: %s", r.name, cc.role, id, out)
				}
			}
			acmeAfter, boltAfter := e.tenantSnapshot(t, e.acme), e.tenantSnapshot(t, e.bolt)
			if diff := cmp.Diff(acme, acmeAfter); diff != "" {
				t.Errorf("%s as bolt's %s (%d) changed acme's rows (-before +after):\n%s", r.name, cc.role, status, diff)
			}
			if diff := cmp.Diff(bolt, boltAfter); status >= 400 && diff != "" {
				t.Errorf("%s as bolt's %s, refused (%d), changed bolt's rows (-before +after):\n%s", r.name, cc.role, status, diff)
			}
			acme, bolt = acmeAfter, boltAfter
		}
	}
}

// namesAny reports whether a request's path or body names any of ids.
func namesAny(path string, body any, ids []string) bool {
	raw, _ := json.Marshal(body)
	for _, id := range ids {
		if strings.Contains(path, id) || strings.Contains(string(raw), id) {
			return true
		}
	}
	return false
}

// tenantSnapshot fingerprints one tenant's rows of every tenant table (as a
// superuser), leaving out when tokens were last used and the API calls counted; one statement, whose
// parts each read one tenant's shard on Citus.
func (e *env) tenantSnapshot(t *testing.T, tenant uuid.UUID) map[string]string {
	t.Helper()
	ctx := context.Background()
	tables, err := e.db.App.TenantTables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	parts := make([]string, len(tables))
	for i, tb := range tables {
		src := pgx.Identifier{tb.Name}.Sanitize()
		if tb.Name == "api_tokens" {
			src = "(SELECT tenant_id, token_id, user_id, name, token_hash, expires_at, revoked_at FROM api_tokens)"
		}
		if tb.Name == "quota_usage" { // every authenticated call is counted, a refused one too
			src = "(SELECT * FROM quota_usage WHERE quota <> 'api_calls')"
		}
		parts[i] = "(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM " + src + " x WHERE x.tenant_id = $1)"
	}
	conn, err := pgx.Connect(ctx, e.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var sums []string
	if err := conn.QueryRow(ctx, "SELECT ARRAY["+strings.Join(parts, ", ")+"]", tenant).Scan(&sums); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for i, tb := range tables {
		out[tb.Name] = sums[i]
	}
	return out
}
