package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// webSession signs email in to acme's web pages with password and returns
// the session cookie's value.
func (e *env) webSession(t *testing.T, email, password string) string {
	t.Helper()
	token, _, err := e.db.App.SignIn(context.Background(), "acme", email, password)
	if err != nil {
		t.Fatalf("sign in as %s: %v", email, err)
	}
	return token
}

func (e *env) sessionWorks(token string) bool {
	_, err := e.db.App.AuthenticateSession(context.Background(), token)
	return err == nil
}

// TestCredentialChanges: an admin setting a user's password ends the
// user's web sessions and unused links; disabling a user ends their
// sessions and revokes their API tokens for good, so re-enabling them
// revives nothing.
func TestCredentialChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	csm := "/users/" + e.csm.String()
	patch := func(body map[string]any) {
		t.Helper()
		if status, out := e.do(t, "admin", "PATCH", csm, body); status != http.StatusOK {
			t.Fatalf("PATCH %v: %d %s", body, status, out)
		}
	}
	patch(map[string]any{"password": "first password 1"})
	s1, s2 := e.webSession(t, "csm@acme.test", "first password 1"), e.webSession(t, "csm@acme.test", "first password 1")
	reset, err := e.db.App.SendLoginLink(ctx, "acme", "csm@acme.test", postgres.LinkReset, "http://test")
	if err != nil || reset.URL == "" {
		t.Fatalf("reset link: %v", err)
	}

	// A new password: the sessions and the pending reset link end; the
	// user's API token (a credential of its own) goes on.
	patch(map[string]any{"password": "second password 2"})
	if e.sessionWorks(s1) || e.sessionWorks(s2) {
		t.Error("a session outlived an admin's change of the user's password")
	}
	if _, _, err := e.db.App.ResetPassword(ctx, reset.URL[len("http://test/reset?token="):], "attacker's password"); err == nil {
		t.Error("a reset link outlived a change of the password")
	}
	if status, _ := e.do(t, "csm", "GET", "/me", nil); status != http.StatusOK {
		t.Errorf("the user's API token after a password change: %d", status)
	}
	s3 := e.webSession(t, "csm@acme.test", "second password 2")

	// Disabled: no session, no token; enabled again: still none of them.
	patch(map[string]any{"disabled": true})
	patch(map[string]any{"disabled": false})
	if e.sessionWorks(s3) {
		t.Error("re-enabling the user revived their session")
	}
	if status, _ := e.do(t, "csm", "GET", "/me", nil); status != http.StatusUnauthorized {
		t.Errorf("re-enabling the user revived their API token: %d", status)
	}
	var revoked bool
	err = e.db.App.InTenant(ctx, e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT revoked_at IS NOT NULL FROM api_tokens WHERE token_id = $1`, e.tokenID["csm"]).Scan(&revoked)
	})
	if err != nil || !revoked {
		t.Errorf("the token is not marked revoked (%v)", err)
	}
	// They sign in afresh.
	if s := e.webSession(t, "csm@acme.test", "second password 2"); !e.sessionWorks(s) {
		t.Error("a new session after re-enabling does not work")
	}
}

// TestOwnPasswordKeepsOwnSession: a user changing their own password keeps
// the session they did it from; their other sessions end.
func TestOwnPasswordKeepsOwnSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	var adminID string
	err := e.db.App.InTenant(ctx, e.acme, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT user_id::text FROM tenant_users WHERE email = 'admin@acme.test'`).Scan(&adminID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if status, out := e.do(t, "admin", "PATCH", "/users/"+adminID, map[string]any{"password": "first password 1"}); status != http.StatusOK {
		t.Fatalf("set the admin's password: %d %s", status, out)
	}
	here, elsewhere := e.webSession(t, "admin@acme.test", "first password 1"), e.webSession(t, "admin@acme.test", "first password 1")
	p, err := e.db.App.AuthenticateSession(ctx, here)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.db.App.UpdateUser(onboardiq.NewContextWithPrincipal(ctx, p), p.UserID, onboardiq.UserPatch{Password: onboardiq.Set("second password 2")})
	if err != nil || u == nil {
		t.Fatalf("change own password: %v", err)
	}
	if !e.sessionWorks(here) {
		t.Error("the session the password was changed from ended")
	}
	if e.sessionWorks(elsewhere) {
		t.Error("another session of the user outlived the change")
	}
}
