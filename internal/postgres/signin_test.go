package postgres_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

const signinPassword = "correct horse battery"

// signinTenant makes workspace "lock" with a staff user (staff@lock.test)
// and a customer contact (contact@lock.test), both with signinPassword,
// and returns the tenant and the staff user's id.
func signinTenant(t *testing.T, db *postgres.DB) (tenant, staff uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	res, err := db.CreateTenant(ctx, onboardiq.NewTenant{Name: "Lock", Slug: "lock", AdminEmail: "admin@lock.test", AdminName: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	tenant = res.Tenant.ID
	err = db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		u, err := tx.CreateUser(ctx, onboardiq.NewUser{Email: "staff@lock.test", Name: "Staff", Role: onboardiq.RoleCSM, Password: signinPassword})
		if err != nil {
			return err
		}
		staff = u.ID
		c, err := tx.CreateCustomer(ctx, onboardiq.NewCustomer{Name: "Customer"})
		if err != nil {
			return err
		}
		_, err = tx.CreateUser(ctx, onboardiq.NewUser{Email: "contact@lock.test", Name: "Contact", Role: onboardiq.RoleCustomer,
			CustomerID: &c.ID, Password: signinPassword})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tenant, staff
}

// linkToken is the token of a link SendLoginLink returned.
func linkToken(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("no token in link %q (%v)", link, err)
	}
	return u.Query().Get("token")
}

// TestSignInLockout: ten wrong passwords within ten minutes lock an
// account, in the database, so every app server refuses even the right
// password until the lock ends; fewer failures are forgotten by a success;
// a password reset (and a sign-in link) still reach a locked account, and a
// reset unlocks it.
func TestSignInLockout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.New(t)
	db := d.App
	tenant, staff := signinTenant(t, db)
	// A second app server on the same database.
	other, err := postgres.Open(ctx, d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	signIn := func(db *postgres.DB, email, pw string) error {
		_, _, err := db.SignIn(ctx, "lock", email, pw)
		return err
	}
	failures := func() (n int, locked bool) {
		err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
			return tx.QueryRow(ctx, `SELECT coalesce(max(failures), 0), coalesce(bool_or(locked_until > now()), false) FROM signin_failures WHERE user_id = $1`, staff).Scan(&n, &locked)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, locked
	}

	// Nine failures, then the right password: signed in, count cleared.
	for range postgres.LockoutFailures - 1 {
		if err := signIn(db, "staff@lock.test", "wrong password"); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
			t.Fatalf("a wrong password: %v", err)
		}
	}
	if n, _ := failures(); n != postgres.LockoutFailures-1 {
		t.Errorf("%d failures counted, want %d", n, postgres.LockoutFailures-1)
	}
	if err := signIn(db, "STAFF@lock.test", signinPassword); err != nil {
		t.Fatalf("the right password after %d failures: %v", postgres.LockoutFailures-1, err)
	}
	if n, _ := failures(); n != 0 {
		t.Errorf("a sign-in left %d failures counted", n)
	}

	// Ten failures, spread over two app servers: locked on both, with the
	// same error as a wrong password.
	for i := range postgres.LockoutFailures {
		_ = signIn([]*postgres.DB{db, other}[i%2], "staff@lock.test", "wrong password")
	}
	if _, locked := failures(); !locked {
		t.Fatal("ten failures did not lock the account")
	}
	for _, s := range []*postgres.DB{db, other} {
		err := signIn(s, "staff@lock.test", signinPassword)
		if onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED || onboardiq.ErrorMessage(err) != onboardiq.ErrorMessage(signIn(db, "nobody@lock.test", "x")) {
			t.Errorf("the right password on a locked account: %v", err)
		}
	}
	// Failures of unknown accounts leave no trace.
	var rows int
	err = db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM signin_failures`).Scan(&rows)
	})
	if err != nil || rows != 1 {
		t.Errorf("%d rows of failures (%v), want the one account's", rows, err)
	}

	// The lock ends by itself.
	err = db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE signin_failures SET locked_until = now() - interval '1 second', window_start = now() - interval '11 minutes' WHERE user_id = $1`, staff)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := signIn(db, "staff@lock.test", signinPassword); err != nil {
		t.Errorf("after the lock ended: %v", err)
	}

	// Locked again: a reset link still comes, and the reset unlocks.
	for range postgres.LockoutFailures {
		_ = signIn(db, "staff@lock.test", "wrong password")
	}
	// No such workspace, no such user: nothing sent, and no error to tell.
	for _, who := range [][2]string{{"nope", "staff@lock.test"}, {"lock", "nobody@lock.test"}} {
		if none, err := db.SendLoginLink(ctx, who[0], who[1], postgres.LinkReset, "http://test"); err != nil || none.URL != "" {
			t.Errorf("a link for %s in %s: %+v, %v; want none and no error", who[1], who[0], none, err)
		}
	}
	link, err := db.SendLoginLink(ctx, "lock", "staff@lock.test", postgres.LinkReset, "http://test")
	if err != nil || link.URL == "" {
		t.Fatalf("a reset link for a locked account: %v, %v", link, err)
	}
	if _, _, err := db.ResetPassword(ctx, linkToken(t, link.URL), "a brand new password"); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if _, locked := failures(); locked {
		t.Error("the reset left the account locked")
	}
	if err := signIn(db, "staff@lock.test", "a brand new password"); err != nil {
		t.Errorf("the new password after a reset: %v", err)
	}

	// A locked contact still gets a sign-in link, and it signs them in.
	for range postgres.LockoutFailures {
		_ = signIn(db, "contact@lock.test", "wrong password")
	}
	if err := signIn(db, "contact@lock.test", signinPassword); err == nil {
		t.Fatal("the contact is not locked")
	}
	link, err = db.SendLoginLink(ctx, "lock", "contact@lock.test", postgres.LinkSignIn, "http://test")
	if err != nil || link.URL == "" {
		t.Fatalf("a sign-in link for a locked contact: %v, %v", link, err)
	}
	// Offered to another workspace, it is refused and not used up.
	if _, _, err := db.SignInWithLink(ctx, "admin", linkToken(t, link.URL)); onboardiq.ErrorCode(err) != onboardiq.EUNAUTHORIZED {
		t.Errorf("the link on another workspace: %v", err)
	}
	if _, _, err := db.SignInWithLink(ctx, "lock", linkToken(t, link.URL)); err != nil {
		t.Errorf("the link of a locked contact: %v", err)
	}
}
