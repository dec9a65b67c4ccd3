package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

type tokenJSON struct {
	ID     uuid.UUID `json:"id"`
	UserID uuid.UUID `json:"user_id"`
	Token  string    `json:"token"`
}

func (e *env) userID(t *testing.T, email string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := e.db.App.InTenantReadOnly(context.Background(), e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE email = $1`, email).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// listTokens lists tokens as caller with query (e.g. "?all=true") and
// returns them with the raw body.
func (e *env) listTokens(t *testing.T, caller, query string) ([]tokenJSON, string) {
	t.Helper()
	status, out := e.do(t, caller, "GET", "/tokens"+query, nil)
	return decode[struct{ Items []tokenJSON }](t, status, out, 200).Items, string(out)
}

// tenantTokens is the ids of acme's tokens, read from the database.
func (e *env) tenantTokens(t *testing.T) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	err := e.db.App.InTenantReadOnly(context.Background(), e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		rows, err := tx.Query(ctx, `SELECT token_id FROM api_tokens WHERE tenant_id = $1`, e.acme)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

var byString = cmpopts.SortSlices(func(a, b uuid.UUID) bool { return a.String() < b.String() })

func tokenIDs(ts []tokenJSON) []uuid.UUID {
	var ids []uuid.UUID
	for _, tk := range ts {
		ids = append(ids, tk.ID)
	}
	return ids
}

// TestAdminManagesOthersTokens: an admin lists another user's tokens and
// everyone's, and revokes another user's token, which then no longer
// signs in.
func TestAdminManagesOthersTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	ts, _ := e.listTokens(t, "admin", "?user_id="+e.csm.String())
	if diff := cmp.Diff([]uuid.UUID{e.tokenID["csm"]}, tokenIDs(ts)); diff != "" {
		t.Errorf("the CSM's tokens, as the admin (-want +got):\n%s", diff)
	}
	for _, tk := range ts {
		if tk.UserID != e.csm {
			t.Errorf("token %s of %s listed as the CSM's", tk.ID, tk.UserID)
		}
	}
	all, _ := e.listTokens(t, "admin", "?all=true")
	got := map[uuid.UUID]bool{}
	for _, id := range tokenIDs(all) {
		got[id] = true
	}
	for _, caller := range []string{"admin", "csm", "sales_leader", "viewer", "contact", "other_contact"} {
		if !got[e.tokenID[caller]] {
			t.Errorf("everyone's tokens leave out the %s's", caller)
		}
	}
	if diff := cmp.Diff(e.tenantTokens(t), tokenIDs(all), byString); diff != "" {
		t.Errorf("everyone's tokens are not the tenant's (-want +got):\n%s", diff)
	}

	if status, out := e.do(t, "admin", "DELETE", "/tokens/"+e.tokenID["csm"].String(), nil); status != http.StatusNoContent {
		t.Fatalf("the admin revoking the CSM's token: %d %s", status, out)
	}
	if status, out := e.do(t, "csm", "GET", "/me", nil); status != http.StatusUnauthorized {
		t.Errorf("a revoked token still signs in: %d %s", status, out)
	}
	// The revoked token is still listed, as revoked.
	status, out := e.do(t, "admin", "GET", "/tokens?user_id="+e.csm.String(), nil)
	if status != 200 || !strings.Contains(string(out), `"revoked_at":`) {
		t.Errorf("the CSM's tokens after the revocation: %d %s", status, out)
	}
	if status, out := e.do(t, "admin", "GET", "/me", nil); status != 200 {
		t.Errorf("the admin's own token stopped working: %d %s", status, out)
	}
}

// TestOthersTokensRefused: a user other than an admin of the tenant cannot
// list, issue or revoke another user's tokens, and a refusal changes
// nothing and shows nothing of them.
func TestOthersTokensRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.userID(t, "admin@acme.test")
	for _, caller := range []string{"csm", "sales_leader", "viewer", "contact"} {
		before := e.snapshot(t)
		for _, c := range []struct {
			method, path string
			body         any
			want         int
		}{
			{"GET", "/tokens?user_id=" + admin.String(), nil, 403},
			{"GET", "/tokens?all=true", nil, 403},
			{"POST", "/tokens", map[string]any{"name": "theirs", "user_id": admin}, 403},
			{"DELETE", "/tokens/" + e.tokenID["admin"].String(), nil, 404},
		} {
			status, out := e.do(t, caller, c.method, c.path, c.body)
			if status != c.want {
				t.Errorf("%s: %s %s: %d, want %d: %s", caller, c.method, c.path, status, c.want, out)
			}
			if strings.Contains(string(out), e.tokenID["admin"].String()) {
				t.Errorf("%s: %s %s shows the admin's token: %s", caller, c.method, c.path, out)
			}
		}
		if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
			t.Errorf("%s: refused token requests changed data:\n%s", caller, diff)
		}
		// Their own, named by id, they may list.
		ts, _ := e.listTokens(t, caller, "?user_id="+e.userIDOf(t, caller).String())
		if diff := cmp.Diff([]uuid.UUID{e.tokenID[caller]}, tokenIDs(ts)); diff != "" {
			t.Errorf("%s: own tokens by user_id (-want +got):\n%s", caller, diff)
		}
	}

	// Another tenant's admin finds no user of acme: it sees none of its
	// tokens and cannot issue one for it.
	before := e.snapshot(t)
	if ts, out := e.listTokens(t, "other_tenant", "?user_id="+e.csm.String()); len(ts) != 0 {
		t.Errorf("another tenant's admin lists the CSM's tokens: %s", out)
	}
	if status, out := e.do(t, "other_tenant", "POST", "/tokens", map[string]any{"name": "theirs", "user_id": e.csm}); status != 422 {
		t.Errorf("another tenant's admin issuing a token for the CSM: %d %s, want 422", status, out)
	}
	if status, _ := e.do(t, "other_tenant", "DELETE", "/tokens/"+e.tokenID["csm"].String(), nil); status != 404 {
		t.Errorf("another tenant's admin revoking the CSM's token: %d, want 404", status)
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("another tenant's refused token requests changed data:\n%s", diff)
	}
}

// userIDOf is the user behind caller's token.
func (e *env) userIDOf(t *testing.T, caller string) uuid.UUID {
	t.Helper()
	status, out := e.do(t, caller, "GET", "/me", nil)
	me := decode[struct {
		User struct {
			ID uuid.UUID `json:"id"`
		} `json:"user"`
	}](t, status, out, 200)
	if me.User.ID == uuid.Nil {
		t.Fatalf("GET /me as %s: %s", caller, out)
	}
	return me.User.ID
}

// TestTokenShownOnce: the token itself is in the response that creates it
// and nowhere after: not in any listing, not in /me, not in the database
// (only its hash is kept), not in the activity log.
func TestTokenShownOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var secrets []string
	for _, c := range []struct {
		body  map[string]any
		owner uuid.UUID
	}{
		{map[string]any{"name": "own"}, e.userID(t, "admin@acme.test")},
		{map[string]any{"name": "for the CSM", "user_id": e.csm}, e.csm},
	} {
		status, out := e.do(t, "admin", "POST", "/tokens", c.body)
		tk := decode[tokenJSON](t, status, out, http.StatusCreated)
		if !strings.HasPrefix(tk.Token, "oiq_") || tk.UserID != c.owner {
			t.Fatalf("created token: %s", out)
		}
		// It works, as its owner.
		e.tokens["new"] = tk.Token
		if got := e.userIDOf(t, "new"); got != c.owner {
			t.Errorf("the new token signs in as %s, want %s", got, c.owner)
		}
		secrets = append(secrets, tk.Token)
	}

	for _, r := range []struct{ caller, path string }{
		{"admin", "/tokens"},
		{"admin", "/tokens?all=true"},
		{"admin", "/tokens?user_id=" + e.csm.String()},
		{"csm", "/tokens"},
		{"admin", "/me"},
		{"csm", "/me"},
		{"admin", "/users/" + e.csm.String()},
	} {
		status, out := e.do(t, r.caller, "GET", r.path, nil)
		if status != 200 {
			t.Fatalf("GET %s as %s: %d %s", r.path, r.caller, status, out)
		}
		for _, s := range secrets {
			if strings.Contains(string(out), s) || strings.Contains(string(out), `"token":`) {
				t.Errorf("GET %s as %s shows a token: %s", r.path, r.caller, out)
			}
		}
	}
	ts, _ := e.listTokens(t, "admin", "?all=true")
	if diff := cmp.Diff(e.tenantTokens(t), tokenIDs(ts), byString); diff != "" {
		t.Errorf("everyone's tokens after two were made (-want +got):\n%s", diff)
	}

	conn, err := pgx.Connect(context.Background(), e.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, table := range []string{"api_tokens", "events"} {
		for _, s := range secrets {
			var n int
			if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table+" x WHERE strpos(x::text, $1) > 0", s).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%d rows of %s hold a token in plain text", n, table)
			}
		}
	}
}
