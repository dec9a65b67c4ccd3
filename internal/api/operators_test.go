package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// operatorEnv is newEnv with an operator token as caller "operator" (made
// as the schema owner, like `onboardiq operator token create`) and the
// owner's connection.
func operatorEnv(t *testing.T) (*env, *postgres.DB) {
	t.Helper()
	e := newEnv(t)
	owner, err := postgres.Open(context.Background(), e.db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(owner.Close)
	tok, rec, err := owner.CreateOperatorToken(context.Background(), "tests")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "oiqop_") {
		t.Fatalf("operator token %q does not start with oiqop_", tok)
	}
	e.tokens["operator"], e.tokenID["operator"] = tok, rec.ID
	return e, owner
}

func decodeAs[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return v
}

type provisionedOut struct {
	TenantID            uuid.UUID `json:"tenant_id"`
	OrganizationSlug    string    `json:"organization_slug"`
	OnboardingURL       string    `json:"onboarding_url"`
	PortalURL           string    `json:"portal_url"`
	AdminInvitationSent bool      `json:"admin_invitation_sent"`
}

func TestOperatorProvisionsATenant(t *testing.T) {
	t.Parallel()
	e, _ := operatorEnv(t)
	ctx := context.Background()
	req := map[string]any{"organization_name": "Café Zürich & Söhne", "admin_email": "IT@cafe.test", "subscription_tier": "business",
		"initial_users": []map[string]any{{"email": "casey@cafe.test", "name": "Casey", "role": "csm"}, {"email": "vic@cafe.test", "role": "viewer"}}}
	st, out := e.do(t, "operator", "POST", "/admin/tenants/provision", req)
	if st != http.StatusCreated {
		t.Fatalf("provision: %d %s", st, out)
	}
	got := decodeAs[provisionedOut](t, out)
	if got.OrganizationSlug != "cafe-zurich-and-sohne" || !got.AdminInvitationSent ||
		got.OnboardingURL != "http://test/signin?workspace=cafe-zurich-and-sohne" || got.PortalURL != "http://test/portal/cafe-zurich-and-sohne" {
		t.Errorf("provisioned: %+v", got)
	}
	for _, secret := range []string{"password", "oiq_", "oiql_", "token\""} {
		if strings.Contains(string(out), secret) {
			t.Errorf("the answer holds %q: %s", secret, out)
		}
	}
	// The admin and the initial users have no password and an invitation
	// each: a delivery of a one-time link.
	err := e.db.App.InTenantReadOnly(ctx, got.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `SELECT u.email, u.role, u.password_hash IS NULL,
			(SELECT count(*) FROM deliveries d WHERE d.tenant_id = u.tenant_id AND d.recipient = u.email AND d.channel = 'email' AND d.payload ? 'token_id')
			FROM tenant_users u WHERE u.tenant_id = $1 ORDER BY u.email`, got.TenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		var n int
		for rows.Next() {
			var email, role string
			var noPassword bool
			var sent int
			if err := rows.Scan(&email, &role, &noPassword, &sent); err != nil {
				return err
			}
			n++
			if !noPassword || sent != 1 {
				t.Errorf("%s (%s): no password %v, invitations %d; want true, 1", email, role, noPassword, sent)
			}
			if email == "it@cafe.test" && role != "admin" {
				t.Errorf("the admin is %s", role)
			}
		}
		if n != 3 {
			t.Errorf("%d users, want 3", n)
		}
		var tier string
		if err := tx.QueryRow(ctx, `SELECT subscription_tier FROM tenants WHERE tenant_id = $1`, got.TenantID).Scan(&tier); err != nil || tier != "business" {
			t.Errorf("tier %q %v", tier, err)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}

	// The same request again answers the same tenant, 200, sending nothing.
	st, out = e.do(t, "operator", "POST", "/admin/tenants/provision", req)
	if again := decodeAs[provisionedOut](t, out); st != http.StatusOK || again.TenantID != got.TenantID || again.AdminInvitationSent {
		t.Errorf("repeat: %d %s, want 200 with %s and no invitation", st, out, got.TenantID)
	}
	// Another admin with the same name: another tenant, the slug made unique.
	req["admin_email"] = "other@cafe.test"
	req["initial_users"] = nil
	st, out = e.do(t, "operator", "POST", "/admin/tenants/provision", req)
	if second := decodeAs[provisionedOut](t, out); st != http.StatusCreated || second.OrganizationSlug != "cafe-zurich-and-sohne-2" {
		t.Errorf("second: %d %s, want 201 with slug cafe-zurich-and-sohne-2", st, out)
	}
	// A slug given and taken (by another tenant) is 409 naming slug.
	st, out = e.do(t, "operator", "POST", "/admin/tenants/provision", map[string]any{"organization_name": "New", "admin_email": "a@new.test", "slug": "acme"})
	if st != http.StatusConflict || !strings.Contains(string(out), "body.slug") {
		t.Errorf("taken slug: %d %s, want 409 naming body.slug", st, out)
	}
	// The same request with a slug is answered the tenant once more.
	slugReq := map[string]any{"organization_name": "Given", "admin_email": "a@given.test", "slug": "given-slug"}
	st1, out1 := e.do(t, "operator", "POST", "/admin/tenants/provision", slugReq)
	st2, out2 := e.do(t, "operator", "POST", "/admin/tenants/provision", slugReq)
	if st1 != 201 || st2 != 200 || decodeAs[provisionedOut](t, out1).TenantID != decodeAs[provisionedOut](t, out2).TenantID {
		t.Errorf("given slug twice: %d %s, %d %s", st1, out1, st2, out2)
	}
	// Bad input names its field.
	for _, bad := range []map[string]any{
		{"organization_name": "X", "admin_email": "x@x.test", "subscription_tier": "platinum"},
		{"organization_name": "X", "admin_email": "not an email"},
		{"organization_name": "X", "admin_email": "x@x.test", "initial_users": []map[string]any{{"email": "c@x.test", "role": "customer"}}},
		{"organization_name": "X", "admin_email": "x@x.test", "slug": "Not A Slug"},
	} {
		if st, out := e.do(t, "operator", "POST", "/admin/tenants/provision", bad); st != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d %s, want 422", bad, st, out)
		}
	}
}

func TestSlugify(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Acme Corp":             "acme-corp",
		"  Ärger & Öl GmbH  ":   "arger-and-ol-gmbh",
		"Straße Łódź":           "strasse-lodz",
		"Crème brûlée, Inc.":    "creme-brulee-inc",
		"日本":                    "",
		strings.Repeat("a", 70): strings.Repeat("a", 63),
	} {
		if got := onboardiq.Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
	if got := onboardiq.UniqueSlug(strings.Repeat("b", 63), 12); got != strings.Repeat("b", 60)+"-12" {
		t.Errorf("UniqueSlug: %q", got)
	}
}

// The invitation's link sets the admin's password, with which they sign in.
func TestProvisionedAdminSetsAPassword(t *testing.T) {
	t.Parallel()
	e, _ := operatorEnv(t)
	ctx := onboardiq.NewContextWithOperator(context.Background(), &onboardiq.Operator{TokenID: e.tokenID["operator"], Name: "tests"})
	res, err := e.db.App.ProvisionTenant(ctx, onboardiq.Provision{OrganizationName: "Linked", AdminEmail: "boss@linked.test"}, "http://test")
	if err != nil {
		t.Fatal(err)
	}
	link := res.Invitations["boss@linked.test"]
	u, err := url.Parse(link)
	if err != nil || u.Path != "/reset" {
		t.Fatalf("invitation link %q", link)
	}
	if _, _, err := e.db.App.SignIn(context.Background(), "linked", "boss@linked.test", "a long enough password"); err == nil {
		t.Fatal("signed in before choosing a password")
	}
	if _, _, err := e.db.App.ResetPassword(context.Background(), u.Query().Get("token"), "a long enough password"); err != nil {
		t.Fatalf("set the password: %v", err)
	}
	if _, p, err := e.db.App.SignIn(context.Background(), "linked", "boss@linked.test", "a long enough password"); err != nil || p.Role != onboardiq.RoleAdmin {
		t.Fatalf("sign in: %v", err)
	}
	// The link works once.
	if _, _, err := e.db.App.ResetPassword(context.Background(), u.Query().Get("token"), "another long password"); err == nil {
		t.Error("the link worked twice")
	}
}

func TestOperatorListsAndGetsTenants(t *testing.T) {
	t.Parallel()
	e, _ := operatorEnv(t)
	st, out := e.do(t, "operator", "GET", "/admin/tenants?limit=1", nil)
	type page struct {
		Items      []onboardiq.OperatorTenant `json:"items"`
		NextCursor string                     `json:"next_cursor"`
	}
	p1 := decodeAs[page](t, out)
	if st != 200 || len(p1.Items) != 1 || p1.NextCursor == "" || p1.Items[0].Slug != "acme" {
		t.Fatalf("first page: %d %s", st, out)
	}
	if a := p1.Items[0]; a.Status != "active" || a.Users != 4 || a.ID != e.acme {
		t.Errorf("acme: %+v, want active with 4 staff users", a)
	}
	st, out = e.do(t, "operator", "GET", "/admin/tenants?limit=1&cursor="+p1.NextCursor, nil)
	if p2 := decodeAs[page](t, out); st != 200 || len(p2.Items) != 1 || p2.Items[0].Slug != "bolt" || p2.NextCursor != "" {
		t.Fatalf("second page: %d %s", st, out)
	}
	st, out = e.do(t, "operator", "GET", "/admin/tenants/"+e.bolt.String(), nil)
	if got := decodeAs[onboardiq.OperatorTenant](t, out); st != 200 || got.Name != "bolt" || got.Users != 1 {
		t.Errorf("get bolt: %d %s", st, out)
	}
	if st, out := e.do(t, "operator", "GET", "/admin/tenants/"+uuid.NewString(), nil); st != 404 {
		t.Errorf("unknown tenant: %d %s", st, out)
	}
}

func TestSuspendedTenantIsRefused(t *testing.T) {
	t.Parallel()
	e, _ := operatorEnv(t)
	ctx := context.Background()
	// A provisioned workspace whose admin has a password and a session.
	opCtx := onboardiq.NewContextWithOperator(ctx, &onboardiq.Operator{TokenID: e.tokenID["operator"]})
	res, err := e.db.App.ProvisionTenant(opCtx, onboardiq.Provision{OrganizationName: "Sleepy", AdminEmail: "boss@sleepy.test"}, "http://test")
	if err != nil {
		t.Fatal(err)
	}
	link, _ := url.Parse(res.Invitations["boss@sleepy.test"])
	session, _, err := e.db.App.ResetPassword(ctx, link.Query().Get("token"), "a long enough password")
	if err != nil {
		t.Fatal(err)
	}

	st, out := e.do(t, "operator", "POST", "/admin/tenants/"+e.acme.String()+"/suspend", map[string]any{"reason": "invoice overdue"})
	if got := decodeAs[onboardiq.OperatorTenant](t, out); st != 200 || got.Status != "suspended" || got.SuspendedReason == nil || *got.SuspendedReason != "invoice overdue" {
		t.Fatalf("suspend: %d %s", st, out)
	}
	if st, out := e.do(t, "operator", "POST", "/admin/tenants/"+res.Tenant.ID.String()+"/suspend", nil); st != 200 {
		t.Fatalf("suspend sleepy: %d %s", st, out)
	}
	for _, caller := range []string{"admin", "contact"} {
		if st, out := e.do(t, caller, "GET", "/me", nil); st != http.StatusForbidden || !strings.Contains(string(out), "suspended") {
			t.Errorf("%s of a suspended workspace: %d %s, want 403 saying suspended", caller, st, out)
		}
	}
	if st, _ := e.do(t, "other_tenant", "GET", "/me", nil); st != 200 {
		t.Errorf("another workspace's token: %d", st)
	}
	if _, _, err := e.db.App.SignIn(ctx, "sleepy", "boss@sleepy.test", "a long enough password"); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN {
		t.Errorf("sign in to a suspended workspace: %v, want forbidden", err)
	}
	if _, err := e.db.App.AuthenticateSession(ctx, session); onboardiq.ErrorCode(err) != onboardiq.EFORBIDDEN || !strings.Contains(onboardiq.ErrorMessage(err), "suspended") {
		t.Errorf("a suspended workspace's session: %v", err)
	}
	// Suspending again changes nothing; the activity log has one event
	// naming the operator token.
	e.do(t, "operator", "POST", "/admin/tenants/"+e.acme.String()+"/suspend", map[string]any{"reason": "again"})
	st, out = e.do(t, "operator", "POST", "/admin/tenants/"+e.acme.String()+"/resume", nil)
	if got := decodeAs[onboardiq.OperatorTenant](t, out); st != 200 || got.Status != "active" {
		t.Fatalf("resume: %d %s", st, out)
	}
	if st, out := e.do(t, "admin", "GET", "/me", nil); st != 200 {
		t.Errorf("after resume: %d %s", st, out)
	}
	e.do(t, "operator", "POST", "/admin/tenants/"+res.Tenant.ID.String()+"/resume", nil)
	if _, _, err := e.db.App.SignIn(ctx, "sleepy", "boss@sleepy.test", "a long enough password"); err != nil {
		t.Errorf("sign in after resume: %v", err)
	}
	if _, err := e.db.App.AuthenticateSession(ctx, session); err != nil {
		t.Errorf("session after resume: %v", err)
	}
	kinds := eventKinds(t, e, e.acme, "tenant.")
	if want := "tenant.created tenant.suspended tenant.resumed"; kinds != want {
		t.Errorf("acme's tenant events: %q, want %q", kinds, want)
	}
}

// eventKinds lists a tenant's events whose kind starts with prefix, oldest
// first, checking that an operator's name the operator token.
func eventKinds(t *testing.T, e *env, tenant uuid.UUID, prefix string) string {
	t.Helper()
	var kinds []string
	err := e.db.App.InTenantReadOnly(context.Background(), tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `SELECT kind, data->>'operator_token_id', actor_user_id IS NULL FROM events WHERE starts_with(kind, $1) ORDER BY event_id`, prefix)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var kind string
			var op *string
			var noActor bool
			if err := rows.Scan(&kind, &op, &noActor); err != nil {
				return err
			}
			if kind != "tenant.created" && (op == nil || *op != e.tokenID["operator"].String() || !noActor) {
				t.Errorf("%s: operator token %v, no actor %v", kind, op, noActor)
			}
			kinds = append(kinds, kind)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(kinds, " ")
}

func TestTenantDeletionAfterGrace(t *testing.T) {
	t.Parallel()
	e, _ := operatorEnv(t)
	ctx := context.Background()
	st, out := e.do(t, "operator", "DELETE", "/admin/tenants/"+e.bolt.String()+"?grace_days=10", nil)
	got := decodeAs[onboardiq.OperatorTenant](t, out)
	if st != http.StatusAccepted || got.Status != "deleting" || got.DeleteAfter == nil ||
		got.DeleteAfter.Sub(time.Now().Add(10*24*time.Hour)).Abs() > time.Minute {
		t.Fatalf("schedule: %d %s", st, out)
	}
	if st, out := e.do(t, "operator", "DELETE", "/admin/tenants/"+e.acme.String(), nil); st != 202 || !strings.Contains(string(out), `"deleting"`) {
		t.Fatalf("schedule acme (default grace): %d %s", st, out)
	}
	// Within its grace the tenant works as before, for its export.
	if st, _ := e.do(t, "other_tenant", "GET", "/me", nil); st != 200 {
		t.Errorf("bolt during its grace: %d", st)
	}
	if st, out := e.do(t, "operator", "POST", "/admin/tenants/"+e.acme.String()+"/restore", nil); st != 200 || !strings.Contains(string(out), `"active"`) {
		t.Fatalf("restore acme: %d %s", st, out)
	}
	deleted, err := e.db.App.DeleteDueTenants(ctx, time.Now().Add(9*24*time.Hour))
	if err != nil || len(deleted) != 0 {
		t.Fatalf("before the grace ends: deleted %v, %v", deleted, err)
	}
	deleted, err = e.db.App.DeleteDueTenants(ctx, time.Now().Add(40*24*time.Hour))
	if err != nil || len(deleted) != 1 || deleted[0] != e.bolt {
		t.Fatalf("after: deleted %v, %v; want bolt only", deleted, err)
	}
	if st, _ := e.do(t, "operator", "GET", "/admin/tenants/"+e.bolt.String(), nil); st != 404 {
		t.Errorf("bolt after deletion: %d", st)
	}
	if st, _ := e.do(t, "operator", "GET", "/admin/tenants/"+e.acme.String(), nil); st != 200 {
		t.Errorf("acme (restored): %d", st)
	}
	if kinds := eventKinds(t, e, e.acme, "tenant.deletion"); kinds != "tenant.deletion_scheduled tenant.deletion_cancelled" {
		t.Errorf("acme's events: %q", kinds)
	}
	if st, out := e.do(t, "operator", "DELETE", "/admin/tenants/"+e.acme.String()+"?grace_days=400", nil); st != 422 {
		t.Errorf("grace_days=400: %d %s", st, out)
	}
}

// operatorRoutes are the matrix's rows for /admin.
func operatorRoutes(t *testing.T) []route {
	var out []route
	for _, r := range routes {
		if strings.HasPrefix(r.path(&env{}), "/admin/") {
			out = append(out, r)
		}
	}
	if len(out) != 8 {
		t.Fatalf("%d operator routes in the matrix, want 8", len(out))
	}
	return out
}

// Operator tokens pass on no workspace route; workspace tokens, sessions,
// nothing and a revoked operator token pass on no operator route.
func TestOperatorAndTenantTokensAreRefusedOnEachOthersRoutes(t *testing.T) {
	t.Parallel()
	e, owner := operatorEnv(t)
	ctx := context.Background()
	seedMatrix(t, e)
	for _, r := range routes {
		if strings.HasPrefix(r.path(e), "/admin/") {
			continue
		}
		var body any
		if r.body != nil {
			body = r.body(e)
		}
		st, out := e.do(t, "operator", r.method, r.path(e), body)
		if st != http.StatusUnauthorized || !strings.Contains(string(out), "operator token") {
			t.Errorf("%s with an operator token: %d %s, want 401 saying operator token", r.name, st, out)
		}
	}
	// A web session of acme's admin, sent as a bearer token.
	err := e.db.App.InTenant(ctx, e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE tenant_users SET password_hash = NULL WHERE email = 'admin@acme.test'`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := e.db.App.SendLoginLink(ctx, "acme", "admin@acme.test", postgres.LinkReset, "http://test")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(sent.URL)
	session, _, err := e.db.App.ResetPassword(ctx, u.Query().Get("token"), "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["session"] = session
	e.tokens["garbage"] = "oiqop_" + strings.Repeat("A", 43)
	before := e.snapshot(t)
	for _, r := range operatorRoutes(t) {
		var body any
		if r.body != nil {
			body = r.body(e)
		}
		for _, caller := range append(append([]string{}, callers...), "session", "garbage") {
			if st, out := e.do(t, caller, r.method, r.path(e), body); st != http.StatusUnauthorized || !strings.Contains(string(out), "operator token") {
				t.Errorf("%s as %s: %d %s, want 401 saying operator token", r.name, caller, st, out)
			}
		}
	}
	if st, out := e.do(t, "operator", "GET", "/admin/tenants", nil); st != 200 {
		t.Fatalf("the operator token: %d %s", st, out)
	}
	if err := owner.RevokeOperatorToken(ctx, e.tokenID["operator"]); err != nil {
		t.Fatal(err)
	}
	if st, out := e.do(t, "operator", "GET", "/admin/tenants", nil); st != http.StatusUnauthorized {
		t.Errorf("a revoked operator token: %d %s", st, out)
	}
	// Nothing of it changed a tenant's data (the token's own row aside).
	after := e.snapshot(t)
	for k, v := range before {
		if after[k] != v && k != "web_sessions" {
			t.Errorf("%s changed", k)
		}
	}
}

// The app role cannot read, write or mint operator tokens: only
// operator_token_use reaches them.
func TestAppRoleCannotReachOperatorTokens(t *testing.T) {
	t.Parallel()
	e, _ := operatorEnv(t)
	ctx := context.Background()
	for _, sql := range []string{
		`SELECT count(*) FROM operator_tokens`,
		`INSERT INTO operator_tokens (name, token_hash, hint) VALUES ('x', decode(repeat('00', 32), 'hex'), 'abcd')`,
		`UPDATE operator_tokens SET revoked_at = NULL`,
		`DELETE FROM operator_tokens`,
	} {
		if _, err := e.db.App.Pool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s as the app role: %v, want permission denied", sql, err)
		}
	}
	var n int
	if err := e.db.App.Pool.QueryRow(ctx, `SELECT count(*) FROM operator_token_use(decode(repeat('00', 32), 'hex'))`).Scan(&n); err != nil || n != 0 {
		t.Errorf("operator_token_use with an unknown hash: %d, %v", n, err)
	}
}

// callerOf is who may call path in a test that calls every operation:
// the operator on /admin, acme's admin elsewhere.
func callerOf(path string) string {
	if strings.HasPrefix(path, "/admin/") {
		return "operator"
	}
	return "admin"
}
