package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/cli"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

type run struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, ctx context.Context, vars map[string]string, onListen func(net.Addr), args ...string) run {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(ctx, args, cli.Env{
		Getenv:   func(k string) string { return vars[k] },
		Stdout:   &out,
		Stderr:   &errOut,
		OnListen: onListen,
	})
	return run{code, out.String(), errOut.String()}
}

// appEnv is the environment of a deployment: the owner for migrate, the
// application role (with its password) for everything else.
func appEnv(d *testdb.DB) map[string]string {
	return map[string]string{
		"DATABASE_URL":              d.OwnerURL,
		"ONBOARDIQ_APP_DB_PASSWORD": testdb.AppPassword,
		"ONBOARDIQ_LOG_LEVEL":       "warn",
		"ONBOARDIQ_METRICS_ADDR":    "127.0.0.1:0",
		"ONBOARDIQ_SECRET_KEY":      testdb.SecretKey,
	}
}

func TestServeRefusesRolesThatCrossTenants(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	for name, tc := range map[string]struct{ url, want string }{
		"superuser":   {d.SuperURL, "is a superuser"},
		"table owner": {d.OwnerURL, "owns table customers"},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			listened := false
			r := runCLI(t, ctx, map[string]string{"ONBOARDIQ_APP_DATABASE_URL": tc.url, "ONBOARDIQ_ADDR": "127.0.0.1:0", "ONBOARDIQ_SECRET_KEY": testdb.SecretKey},
				func(net.Addr) { listened = true }, "serve")
			if r.code != 1 || listened || !strings.Contains(r.stderr, "refusing to start") || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, listened %v, stderr:\n%s\nwant a refusal saying %q", r.code, listened, r.stderr, tc.want)
			}
		})
	}
}

func TestServeAsAppRoleAndShutDown(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	env := appEnv(d)
	ctx := context.Background()
	r := runCLI(t, ctx, env, nil, "tenant", "create", "--name", "Acme", "--slug", "acme", "--admin-email", "a@acme.test", "--json")
	if r.code != 0 {
		t.Fatalf("tenant create: %d %s", r.code, r.stderr)
	}
	var created struct {
		TenantID string `json:"tenant_id"`
		UserID   string `json:"user_id"`
		Token    string `json:"token"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil {
		t.Fatalf("tenant create output %q: %v", r.stdout, err)
	}

	env["ONBOARDIQ_ADDR"] = "127.0.0.1:0"
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port for the metrics
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	env["ONBOARDIQ_METRICS_ADDR"] = metricsAddr
	sctx, stop := context.WithCancel(ctx)
	addr := make(chan net.Addr, 1)
	done := make(chan run, 1)
	go func() { done <- runCLI(t, sctx, env, func(a net.Addr) { addr <- a }, "serve") }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a.String()
	case r := <-done:
		t.Fatalf("serve exited: %d %s", r.code, r.stderr)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+created.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me struct {
		Tenant struct{ ID string }
		User   struct{ ID string }
		Role   string
	}
	_ = json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp.StatusCode != 200 || me.Tenant.ID != created.TenantID || me.User.ID != created.UserID || me.Role != "admin" {
		t.Errorf("/me: %d %+v, want tenant %s user %s admin", resp.StatusCode, me, created.TenantID, created.UserID)
	}
	// The metrics are served on their own address, not the app's.
	if resp, err := http.Get(base + "/metrics"); err != nil || resp.StatusCode != 404 {
		t.Errorf("/metrics on the app's address: %v %v", resp, err)
	}
	mresp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mbody, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	if mresp.StatusCode != 200 || !strings.Contains(string(mbody), `route="GET /api/v1/me"`) {
		t.Errorf("/metrics on %s: %d %.200s", metricsAddr, mresp.StatusCode, mbody)
	}
	stop() // what SIGTERM does in main
	select {
	case r := <-done:
		if r.code != 0 {
			t.Errorf("serve after shutdown: exit %d %s", r.code, r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func TestTenantAndUserCreate(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	env := appEnv(d)
	ctx := context.Background()
	cmd := func(line string, extra ...string) run {
		t.Helper()
		return runCLI(t, ctx, env, nil, append(strings.Fields(line), extra...)...)
	}
	r := cmd("tenant create --name Acme --slug acme --admin-email A@Acme.test --json")
	if r.code != 0 {
		t.Fatalf("tenant create: %d %s", r.code, r.stderr)
	}
	var acme map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &acme); err != nil || len(acme) != 3 || acme["tenant_id"] == "" || acme["user_id"] == "" || !strings.HasPrefix(acme["token"], "oiq_") {
		t.Fatalf("tenant create printed %q (%v), want {tenant_id, user_id, token}", r.stdout, err)
	}
	if r := cmd("tenant create --name Other --slug other --admin-email o@other.test --json"); r.code != 0 {
		t.Fatalf("second tenant: %s", r.stderr)
	}

	// A customer in each tenant, for the cross-tenant attempt below.
	newCustomer := func(slug, name string) uuid.UUID {
		t.Helper()
		tenant, err := d.App.TenantIDBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		var c *onboardiq.Customer
		err = d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			c, err = tx.CreateCustomer(ctx, onboardiq.NewCustomer{Name: name})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	otherCustomer := newCustomer("other", "Other customer")
	acmeCustomer := newCustomer("acme", "Globex")

	refusals := []struct{ line, want string }{
		{"tenant create --name Again --slug acme --admin-email x@y.test", "--slug: the slug \"acme\" is taken"},
		{"tenant create --name Bad --slug Bad_Slug! --admin-email x@y.test", "--slug: must be"},
		{"tenant create --name NoAdmin --slug noadmin", "--admin-email: must be an email address"},
		{"user create --tenant acme --email c@acme.test --name Cee --role boss", "--role: must be one of"},
		{"user create --tenant acme --email c@acme.test --name Cee --role customer", "--customer-id: is required"},
		{"user create --tenant acme --email c@acme.test --name Cee --role csm --customer-id " + acmeCustomer.String(), "--customer-id: is only for"},
		{"user create --tenant acme --email c@acme.test --name Cee --role customer --customer-id " + otherCustomer.String(), "--customer-id: no such customer"},
		{"user create --tenant nope --email c@acme.test --name Cee --role csm", "no workspace \"nope\""},
		{"user create --tenant acme --email a@acme.test --name Again --role csm", "--email: a user with email a@acme.test already exists"},
		{"user create --tenant acme --email c@acme.test --role csm", "--name: is required"},
		{"user create --tenant acme --email c@acme.test --name Cee --role csm --token-name " + strings.Repeat("x", 101), "--token-name: must be 1 to 100 characters"},
		{"user create --email c@acme.test --name Cee --role csm", "--tenant: is required"},
	}
	for _, tc := range refusals {
		r := cmd(tc.line)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want an error containing %q", tc.line, r.code, r.stderr, tc.want)
		}
	}

	r = cmd("user create --tenant acme --email casey@acme.test --role csm --json --name", "Casey Jones")
	if r.code != 0 {
		t.Fatalf("user create csm: %s", r.stderr)
	}
	var csm map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &csm); err != nil || csm["tenant_id"] != acme["tenant_id"] || !strings.HasPrefix(csm["token"], "oiq_") {
		t.Fatalf("user create printed %q", r.stdout)
	}
	r = cmd("user create --tenant acme --email lena@globex.test --name Lena --role customer --json --customer-id " + acmeCustomer.String())
	if r.code != 0 {
		t.Fatalf("user create contact: %s", r.stderr)
	}

	// What the refusals left behind: nothing. What the successes made: a
	// support member for the csm, hashed tokens only.
	var users, members, tokensInClear int
	var csmIsMember bool
	err := d.App.InTenant(ctx, uuid.MustParse(acme["tenant_id"]), func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `
SELECT (SELECT count(*) FROM tenant_users),
       (SELECT count(*) FROM support_members),
       (SELECT count(*) > 0 FROM support_members WHERE support_member_id = $1),
       (SELECT count(*) FROM api_tokens a WHERE a::text LIKE '%' || $2 || '%')`,
			csm["user_id"], csm["token"][37:]).Scan(&users, &members, &csmIsMember, &tokensInClear)
	})
	if err != nil {
		t.Fatal(err)
	}
	if users != 3 || members != 2 || !csmIsMember || tokensInClear != 0 {
		t.Errorf("acme has %d users (want 3: admin, csm, contact), %d support members (want 2: admin and csm; csm there: %v), %d tokens stored in clear (want 0)",
			users, members, csmIsMember, tokensInClear)
	}

	// The users were made through the store's checked methods, as the
	// operator: each creation and each token is in the activity log, with
	// no user as its actor, and the token works as its user.
	var created, tokens, withActor int
	err = d.App.InTenant(ctx, uuid.MustParse(acme["tenant_id"]), func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `
SELECT count(*) FILTER (WHERE kind = 'user.created' AND data->>'user_id' = $1),
       count(*) FILTER (WHERE kind = 'token.created' AND data->>'user_id' = $1),
       count(*) FILTER (WHERE kind IN ('user.created', 'token.created') AND data->>'user_id' = $1 AND actor_user_id IS NOT NULL)
FROM events`, csm["user_id"]).Scan(&created, &tokens, &withActor)
	})
	if err != nil {
		t.Fatal(err)
	}
	if created != 1 || tokens != 1 || withActor != 0 {
		t.Errorf("events of the csm: %d user.created, %d token.created (want 1 each), %d with an actor (want 0)", created, tokens, withActor)
	}
	p, err := d.App.Authenticate(ctx, csm["token"])
	if err != nil || p.UserID.String() != csm["user_id"] || p.Role != onboardiq.RoleCSM {
		t.Errorf("the csm's token: %+v %v", p, err)
	}
}

func TestMigrateTwiceAndVersion(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	for range 2 {
		if r := runCLI(t, ctx, appEnv(d), nil, "migrate", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"schema_version"`) {
			t.Fatalf("migrate: %d %s %s", r.code, r.stdout, r.stderr)
		}
	}
	r := runCLI(t, ctx, nil, nil, "version", "--json")
	var v struct {
		Version       string `json:"version"`
		SchemaVersion int    `json:"schema_version"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Version == "" || v.SchemaVersion < 2 {
		t.Errorf("version --json: %q %v", r.stdout, err)
	}
	if r := runCLI(t, ctx, map[string]string{}, nil, "migrate"); r.code != 1 || !strings.Contains(r.stderr, "DATABASE_URL is not set") {
		t.Errorf("migrate without DATABASE_URL: %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, ctx, map[string]string{"ONBOARDIQ_LLM": "gpt"}, nil, "migrate"); r.code != 1 || !strings.Contains(r.stderr, "ONBOARDIQ_LLM") {
		t.Errorf("bad configuration: %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, ctx, nil, nil, "tenant", "create", "--bogus"); r.code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", r.code)
	}
}

func TestCustomerAndProjectCommands(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	env := appEnv(d)
	ctx := context.Background()
	cmd := func(args ...string) run {
		t.Helper()
		return runCLI(t, ctx, env, nil, args...)
	}
	if r := cmd("tenant", "create", "--name", "Acme", "--slug", "acme", "--admin-email", "a@acme.test"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := cmd("customer", "create", "--tenant", "acme", "--name", "Hooli", "--contact-info", `{"email":"it@hooli.test"}`, "--json")
	var c struct {
		ID          string         `json:"id"`
		ContactInfo map[string]any `json:"contact_info"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil || r.code != 0 || c.ContactInfo["email"] != "it@hooli.test" {
		t.Fatalf("customer create: %d %q %s %v", r.code, r.stdout, r.stderr, err)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"customer", "create", "--tenant", "acme", "--name", "X", "--contact-info", "[1]"}, "--contact-info: must be a JSON object"},
		{[]string{"customer", "create", "--name", "X"}, "--tenant: is required"},
		{[]string{"project", "create", "--tenant", "acme", "--name", "X"}, "--customer-id: is required"},
		{[]string{"project", "create", "--tenant", "acme", "--name", "X", "--customer-id", uuid.NewString()}, "--customer-id: no such customer"},
		{[]string{"project", "create", "--tenant", "acme", "--name", "X", "--customer-id", c.ID, "--deadline", "soon"}, "--deadline: must be a date"},
	} {
		if r := cmd(bad.args...); r.code != 1 || !strings.Contains(r.stderr, bad.want) {
			t.Errorf("%v: %d %q, want %q", bad.args, r.code, r.stderr, bad.want)
		}
	}
	r = cmd("project", "create", "--tenant", "acme", "--customer-id", c.ID, "--name", "Rollout", "--default-template", "--start", "2027-03-01", "--json")
	var p struct {
		ID       string    `json:"id"`
		Deadline time.Time `json:"deadline"`
		Status   string    `json:"status"`
	}
	// The default plan's 40 working days from Monday 1 March: eight weeks.
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || r.code != 0 || !p.Deadline.Equal(time.Date(2027, 4, 26, 0, 0, 0, 0, time.UTC)) || p.Status != "not_started" {
		t.Fatalf("project create: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = cmd("project", "list", "--tenant", "acme", "--json")
	var ps []struct{ ID string }
	if err := json.Unmarshal([]byte(r.stdout), &ps); err != nil || len(ps) != 1 || ps[0].ID != p.ID {
		t.Errorf("project list: %q %v", r.stdout, err)
	}
	if r := cmd("customer", "list", "--tenant", "acme"); r.code != 0 || !strings.Contains(r.stdout, "Hooli") {
		t.Errorf("customer list: %q", r.stdout)
	}
	// reembed embeds the new project and its tasks once, for the tenant
	// named or for all.
	if r := cmd("tenant", "create", "--name", "Other", "--slug", "other", "--admin-email", "a@other.test"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	var re struct{ Embedded, Tenants int }
	r = cmd("reembed", "--tenant", "acme", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &re); err != nil || re.Tenants != 1 || re.Embedded < 2 {
		t.Errorf("reembed: %+v %q %s", re, r.stdout, r.stderr)
	}
	r = cmd("reembed", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &re); err != nil || re.Tenants != 2 || re.Embedded != 0 {
		t.Errorf("reembed again: %+v %q %s", re, r.stdout, r.stderr)
	}
	if r := cmd("reembed", "--tenant", "nope"); r.code != 1 || !strings.Contains(r.stderr, "nope") {
		t.Errorf("reembed of an unknown tenant: %d %q", r.code, r.stderr)
	}
	// The operator's changes are in the activity log, with no user as actor.
	var actors []*uuid.UUID
	tenant, _ := d.App.TenantIDBySlug(ctx, "acme")
	err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `SELECT actor_user_id FROM events WHERE kind IN ('customer.created', 'project.created')`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a *uuid.UUID
			if err := rows.Scan(&a); err != nil {
				return err
			}
			actors = append(actors, a)
		}
		return rows.Err()
	})
	if err != nil || len(actors) != 2 || actors[0] != nil || actors[1] != nil {
		t.Errorf("events: %v %v", actors, err)
	}
}
