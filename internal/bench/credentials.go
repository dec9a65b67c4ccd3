package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/password"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// SessionCookie is the web session's cookie (internal/web).
const SessionCookie = "oiq_session"

// Credentials are what the clients present, made for one run through the
// store: API tokens of the two admins (the workspace's and the small
// tenant's), and web sessions of the workspace's CSM (the console) and of
// the first customer's contact (the portal), signed in with a password set
// for the run.
type Credentials struct {
	Token, SmallToken           string
	StaffSession, PortalSession string
	// Principals are who each token and session is, as the store
	// authenticates them: the bare handler's minimal check looks them up.
	Principals map[string]*onboardiq.Principal

	tokens []struct{ tenant, id uuid.UUID }
}

// NewCredentials issues the run's tokens and sessions. Close revokes them
// and takes the passwords away again.
func NewCredentials(ctx context.Context, db *postgres.DB, w *Workspace) (*Credentials, error) {
	c := &Credentials{Principals: map[string]*onboardiq.Principal{}}
	var err error
	if c.Token, err = c.token(ctx, db, w.Main.ID, w.Admin); err != nil {
		return c, err
	}
	if c.SmallToken, err = c.token(ctx, db, w.Small.ID, w.SmallAdmin); err != nil {
		return c, err
	}
	for _, u := range []struct {
		id      uuid.UUID
		email   string
		session *string
	}{{w.CSM, csmEmail(w.Main.Slug), &c.StaffSession}, {w.Contact, contactEmail(w.Main.Slug, 0), &c.PortalSession}} {
		pw := rand.Text()
		hash, err := password.Hash(pw)
		if err != nil {
			return c, err
		}
		if err := setPassword(ctx, db, w.Main.ID, u.id, &hash); err != nil {
			return c, err
		}
		token, p, err := db.SignIn(ctx, w.Main.Slug, u.email, pw)
		if err != nil {
			return c, fmt.Errorf("sign in as %s: %w", u.email, err)
		}
		*u.session = token
		c.Principals[token] = p
	}
	for _, t := range []string{c.Token, c.SmallToken} {
		p, err := db.Authenticate(ctx, t)
		if err != nil {
			return c, fmt.Errorf("authenticate the run's token: %w", err)
		}
		c.Principals[t] = p
	}
	return c, nil
}

func (c *Credentials) token(ctx context.Context, db *postgres.DB, tenant, user uuid.UUID) (string, error) {
	var token string
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		t, rec, err := tx.CreateToken(ctx, user, "bench")
		if err == nil {
			token = t
			c.tokens = append(c.tokens, struct{ tenant, id uuid.UUID }{tenant, rec.ID})
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return token, nil
}

func setPassword(ctx context.Context, db *postgres.DB, tenant, user uuid.UUID, hash *string) error {
	return db.InTenant(ctx, tenant, func(ctx context.Context, tx *postgres.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE tenant_users SET password_hash = $3 WHERE tenant_id = $1 AND user_id = $2`, tenant, user, hash)
		return err
	})
}

// Close revokes the run's tokens, signs its sessions out and clears the
// passwords it set, so that a kept workspace lets nobody in.
func (c *Credentials) Close(ctx context.Context, db *postgres.DB, w *Workspace) error {
	var errs []error
	for _, t := range c.tokens {
		errs = append(errs, db.InTenant(ctx, t.tenant, func(ctx context.Context, tx *postgres.Tx) error { return tx.RevokeToken(ctx, t.id) }))
	}
	for _, s := range []string{c.StaffSession, c.PortalSession} {
		if s != "" {
			errs = append(errs, db.SignOut(ctx, s))
		}
	}
	for _, u := range []uuid.UUID{w.CSM, w.Contact} {
		errs = append(errs, setPassword(ctx, db, w.Main.ID, u, nil))
	}
	return errors.Join(errs...)
}
