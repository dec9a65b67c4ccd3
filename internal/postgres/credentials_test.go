package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// keptWithin is how long a test waits for something that happens in the
// background: a server starting to listen, or hearing a change.
const keptWithin = 20 * time.Second

// waitFor polls ok until it holds or keptWithin passes.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(keptWithin)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", keptWithin, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCredentialChangesReachEveryServer: a token or session checked once is
// served from memory after (no transaction), and a change that ends it or
// changes what it stands for holds at once on the server that made it and,
// through the announcement, on another server of the same database.
func TestCredentialChangesReachEveryServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	a := d.App
	b, err := postgres.Open(ctx, d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	tenant, staff := signinTenant(t, a)
	newToken := func() string {
		var tok string
		err := a.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			var err error
			tok, _, err = tx.CreateToken(ctx, staff, "test")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// kept waits until both servers listen and keep tok.
	kept := func(tok string) *onboardiq.Principal {
		t.Helper()
		var p *onboardiq.Principal
		for _, db := range []*postgres.DB{a, b} {
			waitFor(t, "the token is kept", func() bool {
				var err error
				if p, err = db.Authenticate(ctx, tok); err != nil {
					t.Fatal(err)
				}
				n, live := postgres.KeptCredentials(db)
				return live && n > 0
			})
		}
		return p
	}
	// The workspace's admin, as the console would send them.
	admin := func() context.Context {
		ap := &onboardiq.Principal{TenantID: tenant, Role: onboardiq.RoleAdmin}
		err := a.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND role = 'admin'`, tenant).Scan(&ap.UserID)
		})
		if err != nil {
			t.Fatal(err)
		}
		return onboardiq.NewContextWithPrincipal(ctx, ap)
	}

	// Served from memory: with the table unreadable, a kept token still
	// authenticates.
	tok := newToken()
	p := kept(tok)
	if p.UserID != staff || p.Role != onboardiq.RoleCSM || p.TokenID == nil {
		t.Fatalf("principal %+v", p)
	}
	owner, err := pgx.Connect(ctx, d.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	if _, err := owner.Exec(ctx, `REVOKE SELECT ON api_tokens FROM onboardiq_app`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authenticate(ctx, tok); err != nil {
		t.Fatalf("a kept token needed the database: %v", err)
	}
	if _, err := owner.Exec(ctx, `GRANT SELECT ON api_tokens TO onboardiq_app`); err != nil {
		t.Fatal(err)
	}

	refused := func(db *postgres.DB, tok string) bool {
		_, err := db.Authenticate(ctx, tok)
		return onboardiq.ErrorCode(err) == onboardiq.EUNAUTHORIZED
	}
	// Revoked on a: refused by a at once, by b once it hears.
	if err := a.RevokeToken(onboardiq.NewContextWithPrincipal(ctx, p), *p.TokenID); err != nil {
		t.Fatal(err)
	}
	if !refused(a, tok) {
		t.Fatal("the server that revoked the token still accepts it")
	}
	waitFor(t, "the other server refuses a revoked token", func() bool { return refused(b, tok) })

	// A role changed: both servers see the new role.
	tok = newToken()
	kept(tok)
	if _, err := a.UpdateUser(admin(), staff, onboardiq.UserPatch{Role: onboardiq.Set(onboardiq.RoleViewer)}); err != nil {
		t.Fatal(err)
	}
	if p, err := a.Authenticate(ctx, tok); err != nil || p.Role != onboardiq.RoleViewer {
		t.Fatalf("after the role change, the server that made it says %v, %v", p, err)
	}
	waitFor(t, "the other server sees the new role", func() bool {
		p, err := b.Authenticate(ctx, tok)
		return err == nil && p.Role == onboardiq.RoleViewer
	})

	// A session ended by signing out, on b this time.
	session, _, err := a.SignIn(ctx, "lock", "contact@lock.test", signinPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range []*postgres.DB{a, b} {
		if _, err := db.AuthenticateSession(ctx, session); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.SignOut(ctx, session); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AuthenticateSession(ctx, session); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Fatalf("the server that ended the session still accepts it: %v", err)
	}
	waitFor(t, "the other server refuses an ended session", func() bool {
		_, err := a.AuthenticateSession(ctx, session)
		return onboardiq.ErrorCode(err) == onboardiq.EUNAUTHORIZED
	})
}

// TestCredentialsListenAgain: when the listening connection is lost, the
// server keeps nothing until it listens again, and then it does.
func TestCredentialsListenAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	db := d.App
	tenant, staff := signinTenant(t, db)
	var tok string
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		tok, _, err = tx.CreateToken(ctx, staff, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the token is kept", func() bool {
		if _, err := db.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
		n, live := postgres.KeptCredentials(db)
		return live && n > 0
	})
	super, err := pgx.Connect(ctx, d.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	var killed int
	if err := super.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND query = 'LISTEN onboardiq_credentials'`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d listeners (%v)", killed, err)
	}
	waitFor(t, "the lost listener is noticed", func() bool {
		n, live := postgres.KeptCredentials(db)
		return !live && n == 0
	})
	waitFor(t, "the server listens and keeps credentials again", func() bool {
		if _, err := db.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
		n, live := postgres.KeptCredentials(db)
		return live && n > 0
	})
}

// TestTokenLastUseIsWrittenOffThePath: authenticating writes nothing; the
// last use is written in the background (here: when the server closes),
// and not again within the minute.
func TestTokenLastUseIsWrittenOffThePath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	tenant, staff := signinTenant(t, d.App)
	var tok string
	err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		var err error
		tok, _, err = tx.CreateToken(ctx, staff, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() *time.Time {
		var at *time.Time
		err := d.App.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `SELECT last_used_at FROM api_tokens WHERE tenant_id = $1 AND name = 'test'`, tenant).Scan(&at)
		})
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	other, err := postgres.Open(ctx, d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := other.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if at := lastUsed(); at != nil {
		t.Fatalf("authenticating wrote the last use on the request's path: %v", at)
	}
	other.Close()
	first := lastUsed()
	if first == nil {
		t.Fatal("the last use was never written")
	}
	again, err := postgres.Open(ctx, d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	again.Close()
	if at := lastUsed(); !at.Equal(*first) {
		t.Errorf("the last use was written again within the minute: %v then %v", first, at)
	}
}
