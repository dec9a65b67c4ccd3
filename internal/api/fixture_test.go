package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// The fixture: tenant "acme" with a user of every role, two customers with
// a contact each, a project per customer made from the default template;
// and tenant "bolt" with its admin.
var fixture = testdb.Fixture{Name: "api-v3-template-ids", Load: func(ctx context.Context, app *postgres.DB) error {
	create := func(slug string, fn func(ctx context.Context, tx *postgres.Tx) error) error {
		return app.InTenant(ctx, uuid.New(), func(ctx context.Context, tx *postgres.Tx) error {
			if _, err := tx.CreateTenant(ctx, onboardiq.NewTenant{Name: slug, Slug: slug, AdminEmail: "admin@" + slug + ".test"}); err != nil {
				return err
			}
			return fn(ctx, tx)
		})
	}
	err := create("acme", func(ctx context.Context, tx *postgres.Tx) error {
		var csm uuid.UUID
		for email, role := range map[string]onboardiq.Role{"csm@acme.test": "csm", "sales@acme.test": "sales_leader", "viewer@acme.test": "viewer"} {
			u, err := tx.CreateUser(ctx, onboardiq.NewUser{Email: email, Name: strings.Split(email, "@")[0], Role: role})
			if err != nil {
				return err
			}
			if role == "csm" {
				csm = u.ID
			}
		}
		var tpl uuid.UUID
		if err := tx.QueryRow(ctx, `SELECT template_id FROM templates WHERE is_default`).Scan(&tpl); err != nil {
			return err
		}
		for title, vis := range map[string]onboardiq.Visibility{"Public article": "public", "Internal article": "internal"} {
			if _, err := tx.CreateArticle(ctx, onboardiq.NewArticle{Title: title, Content: "How to set up SSO.", Visibility: vis}); err != nil {
				return err
			}
		}
		for i, name := range []string{"Customer One", "Customer Two"} {
			c, err := tx.CreateCustomer(ctx, onboardiq.NewCustomer{Name: name, SupportMemberID: &csm})
			if err != nil {
				return err
			}
			if _, err := tx.CreateUser(ctx, onboardiq.NewUser{Email: fmt.Sprintf("contact%d@customer.test", i+1), Name: "Contact", Role: "customer", CustomerID: &c.ID}); err != nil {
				return err
			}
			p, err := tx.CreateProject(ctx, onboardiq.NewProject{CustomerID: c.ID, Name: name + " onboarding", TemplateID: &tpl})
			if err != nil {
				return err
			}
			if err := tx.RefreshProject(ctx, p.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return create("bolt", func(context.Context, *postgres.Tx) error { return nil })
}}

// callers, in the order of the matrix's columns.
var callers = []string{"admin", "csm", "sales_leader", "viewer", "contact", "other_contact", "other_tenant", "anonymous"}

type env struct {
	db         *testdb.DB
	srv        *httptest.Server
	tokens     map[string]string
	tokenID    map[string]uuid.UUID
	acme, bolt uuid.UUID
	// acme's things
	c1, c2, p1, p2, t1, tv, ti, tpl, csm uuid.UUID
	contact                              uuid.UUID // contact1, of c1
	pub, internal                        uuid.UUID // articles
	// Seeded for the matrix only (seedMatrix): a webhook endpoint with a
	// delivery, a notification of the contact with an email delivery, and
	// a conversation each of the contact (about t1) and of the CSM (about p1)
	// with the assistant, and the contact's "Ask my CSM" thread.
	hook, note, conv, staffConv, thread uuid.UUID
	hookSecret                          string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWithPool(t, 0)
}

// newEnvWithPool is newEnv with a server whose pool holds conns
// connections (0: the default).
func newEnvWithPool(t *testing.T, conns int) *env {
	t.Helper()
	ctx := context.Background()
	d := testdb.WithFixture(t, fixture)
	e := &env{db: d, tokens: map[string]string{}, tokenID: map[string]uuid.UUID{}}
	var err error
	if e.acme, err = d.App.TenantIDBySlug(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if e.bolt, err = d.App.TenantIDBySlug(ctx, "bolt"); err != nil {
		t.Fatal(err)
	}
	issue := func(tenant uuid.UUID, callerEmail map[string]string) {
		err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			for caller, email := range callerEmail {
				var id uuid.UUID
				if err := tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE email = $1`, email).Scan(&id); err != nil {
					return fmt.Errorf("%s: %w", email, err)
				}
				tok, rec, err := tx.CreateToken(ctx, id, "test")
				if err != nil {
					return err
				}
				e.tokens[caller], e.tokenID[caller] = tok, rec.ID
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	issue(e.acme, map[string]string{"admin": "admin@acme.test", "csm": "csm@acme.test", "sales_leader": "sales@acme.test",
		"viewer": "viewer@acme.test", "contact": "contact1@customer.test", "other_contact": "contact2@customer.test"})
	issue(e.bolt, map[string]string{"other_tenant": "admin@bolt.test"})

	err = d.App.InTenantReadOnly(ctx, e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		q := func(dst *uuid.UUID, sql string, args ...any) error { return tx.QueryRow(ctx, sql, args...).Scan(dst) }
		return firstErr(
			q(&e.c1, `SELECT customer_id FROM customers WHERE name = 'Customer One'`),
			q(&e.c2, `SELECT customer_id FROM customers WHERE name = 'Customer Two'`),
			q(&e.p1, `SELECT project_id FROM projects WHERE name = 'Customer One onboarding'`),
			q(&e.p2, `SELECT project_id FROM projects WHERE name = 'Customer Two onboarding'`),
			q(&e.tpl, `SELECT template_id FROM templates WHERE is_default`),
			q(&e.csm, `SELECT user_id FROM tenant_users WHERE email = 'csm@acme.test'`),
			q(&e.contact, `SELECT user_id FROM tenant_users WHERE email = 'contact1@customer.test'`),
			q(&e.pub, `SELECT article_id FROM knowledge_base WHERE title = 'Public article'`),
			q(&e.internal, `SELECT article_id FROM knowledge_base WHERE title = 'Internal article'`),
			// A customer-visible task assigned to the owning customer's contact,
			// one assigned to the CSM, and an internal one.
			q(&e.t1, `SELECT t.task_id FROM tasks t JOIN tenant_users u ON u.user_id = t.assigned_to
			          WHERE t.project_id = (SELECT project_id FROM projects WHERE name = 'Customer One onboarding') AND u.role = 'customer' ORDER BY t.position LIMIT 1`),
			q(&e.tv, `SELECT t.task_id FROM tasks t JOIN tenant_users u ON u.user_id = t.assigned_to
			          WHERE t.project_id = (SELECT project_id FROM projects WHERE name = 'Customer One onboarding') AND u.role = 'csm' AND t.visibility = 'customer' ORDER BY t.position LIMIT 1`),
			q(&e.ti, `SELECT task_id FROM tasks WHERE project_id = (SELECT project_id FROM projects WHERE name = 'Customer One onboarding') AND visibility = 'internal' ORDER BY position LIMIT 1`),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	db := d.App
	if conns > 0 {
		if db, err = postgres.Open(ctx, fmt.Sprintf("%s&pool_max_conns=%d", d.AppURL, conns), postgres.WithSecrets(testdb.Keyring())); err != nil {
			t.Fatal(err)
		}
		testdb.Cleanup(t, db.Close)
	}
	e.srv = httptest.NewServer(server.New(server.Options{DB: db, Logger: slog.New(slog.DiscardHandler), BaseURL: "http://test", Version: "test"}))
	testdb.Cleanup(t, e.srv.Close)
	return e
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// do sends a request as caller and returns the status and body.
func (e *env) do(t *testing.T, caller, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte: // sent as it is, bytes that are not UTF-8 included
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/api/v1"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := e.tokens[caller]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// snapshot fingerprints every tenant table's rows (as a superuser, so both
// tenants), leaving out when tokens were last used and the API calls counted.
func (e *env) snapshot(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tables, err := e.db.App.TenantTables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, tb := range tables {
		src := pgx.Identifier{tb.Name}.Sanitize()
		if tb.Name == "api_tokens" {
			src = "(SELECT tenant_id, token_id, user_id, name, token_hash, expires_at, revoked_at FROM api_tokens)"
		}
		if tb.Name == "quota_usage" { // every authenticated call is counted, a refused one too
			src = "(SELECT * FROM quota_usage WHERE quota <> 'api_calls')"
		}
		var sum string
		if err := conn.QueryRow(ctx, "SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM "+src+" x").Scan(&sum); err != nil {
			t.Fatal(err)
		}
		out[tb.Name] = sum
	}
	return out
}
