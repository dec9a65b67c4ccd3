package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/password"
)

const (
	sessionPrefix = "oiqs_"
	linkPrefix    = "oiql_"
	// SessionTTL is how long a web session lasts.
	SessionTTL = 14 * 24 * time.Hour
)

var errSignIn = onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "the workspace, email or password is wrong")

// Sign-in lockout: after LockoutFailures wrong passwords within
// LockoutWindow, an account refuses every password, the right one too,
// until LockoutDuration has passed. The count is per existing account and
// lives in the database (signin_failures), so it holds across app servers
// and whatever else arrives meanwhile. Any sign-in that succeeds (a link,
// or a password reset) clears it.
const (
	LockoutFailures = 10
	LockoutWindow   = 10 * time.Minute
	LockoutDuration = 10 * time.Minute
)

// SignIn checks a password and opens a web session; any mismatch, and a
// locked account, is the same error, so it tells nothing about which part
// was wrong or whether the account exists.
func (db *DB) SignIn(ctx context.Context, slug, email, pw string) (string, *onboardiq.Principal, error) {
	tenant, err := db.TenantIDBySlug(ctx, slug)
	if onboardiq.ErrorCode(err) == onboardiq.EUNAVAILABLE {
		return "", nil, err
	}
	if err != nil {
		// Spend the time a check would, so timing tells nothing either.
		_, _ = password.Check(dummyHash(), pw)
		return "", nil, errSignIn
	}
	var (
		user uuid.UUID
		hash *string
	)
	now := time.Now()
	err = db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT user_id, password_hash FROM tenant_users WHERE tenant_id = $1 AND email = lower($2) AND disabled_at IS NULL`,
			tenant, email).Scan(&user, &hash)
	})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && hash == nil) {
		_, _ = password.Check(dummyHash(), pw)
		return "", nil, errSignIn
	}
	if err != nil {
		return "", nil, err
	}
	// The attempt is counted before the password is checked, in one
	// statement that also tells whether the account was locked, so
	// attempts sent at once cannot all pass one count; a sign-in that
	// succeeds clears it (openSession). Counted even if the client has
	// gone: hanging up must not buy an attacker a free guess.
	locked, err := db.countSignInAttempt(context.WithoutCancel(ctx), tenant, user, now)
	if err != nil {
		return "", nil, err
	}
	// Checked even when locked, so a locked account answers as slowly.
	ok, err := password.Check(*hash, pw)
	if locked || err != nil || !ok {
		return "", nil, errSignIn
	}
	return db.openSession(ctx, tenant, user)
}

// countSignInAttempt counts a password attempt against an account, locks it
// at the LockoutFailures-th within LockoutWindow, and reports whether it
// was locked already. Attempts while it is locked are not counted, so the
// lock ends LockoutDuration after it began.
func (db *DB) countSignInAttempt(ctx context.Context, tenant, user uuid.UUID, now time.Time) (locked bool, err error) {
	err = db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		tag, err := tx.Exec(ctx, `
INSERT INTO signin_failures AS f (tenant_id, user_id, failures, window_start) VALUES ($1, $2, 1, $3)
ON CONFLICT (tenant_id, user_id) DO UPDATE SET
    failures     = CASE WHEN f.window_start > $4 THEN f.failures + 1 ELSE 1 END,
    window_start = CASE WHEN f.window_start > $4 THEN f.window_start ELSE $3 END,
    locked_until = CASE WHEN f.window_start > $4 AND f.failures + 1 >= $5 THEN $6 ELSE f.locked_until END
WHERE f.locked_until IS NULL OR f.locked_until <= $3`,
			tenant, user, now, now.Add(-LockoutWindow), LockoutFailures, now.Add(LockoutDuration))
		if err != nil {
			return fmt.Errorf("count sign-in attempt: %w", err)
		}
		locked = tag.RowsAffected() == 0 // the row exists and is locked: nothing was counted
		return nil
	})
	return locked, err
}

// dummyHash is checked against when there is no account, so that a
// missing account takes as long as a wrong password. Made at the first
// sign-in, not at start: hashing costs 170 ms and 20 MB, which every
// command would pay.
var dummyHash = sync.OnceValue(func() string { h, _ := password.Hash("a password nobody has"); return h })

func (db *DB) openSession(ctx context.Context, tenant, user uuid.UUID) (string, *onboardiq.Principal, error) {
	token, err := newTokenWith(sessionPrefix, tenant)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256([]byte(token))
	err = db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		// A suspended workspace lets nobody in, whatever the way.
		var suspended bool
		if err := tx.QueryRow(ctx, `SELECT suspended_at IS NOT NULL FROM tenants WHERE tenant_id = $1`, tenant).Scan(&suspended); err != nil {
			return err
		}
		if suspended {
			return errSuspended
		}
		if _, err := tx.Exec(ctx, `INSERT INTO web_sessions (tenant_id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
			tenant, user, sum[:], time.Now().Add(SessionTTL)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM signin_failures WHERE tenant_id = $1 AND user_id = $2`, tenant, user); err != nil {
			return err
		}
		return tx.Emit(onboardiq.NewContextWithPrincipal(ctx, &onboardiq.Principal{TenantID: tenant, UserID: user}), onboardiq.Event{Kind: onboardiq.EventSignedIn, Data: map[string]any{"user_id": user}})
	})
	if errors.Is(err, errSuspended) {
		return "", nil, errSuspended
	}
	if err != nil {
		return "", nil, fmt.Errorf("open session: %w", err)
	}
	p, err := db.AuthenticateSession(ctx, token)
	return token, p, err
}

var errNoSession = onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "please sign in")

// AuthenticateSession returns the principal of a session cookie.
func (db *DB) AuthenticateSession(ctx context.Context, token string) (*onboardiq.Principal, error) {
	p, _, err := db.authenticateSession(ctx, token, false)
	return p, err
}

// AuthenticatePortalSession is AuthenticateSession that also reads the
// session's workspace's portal branding, in the same round trip: for the
// portal's pages whose own read does not bring it.
func (db *DB) AuthenticatePortalSession(ctx context.Context, token string) (*onboardiq.Principal, *PortalBrand, error) {
	return db.authenticateSession(ctx, token, true)
}

func (db *DB) authenticateSession(ctx context.Context, token string, withBrand bool) (*onboardiq.Principal, *PortalBrand, error) {
	tenant, hash, ok := parseTokenWith(sessionPrefix, token)
	if !ok {
		return nil, nil, errNoSession
	}
	// A session read with the portal's branding is kept apart from one
	// read without.
	key := credentialKey{kindSession, [32]byte(hash)}
	if withBrand {
		key.kind = kindBrandedSession
	}
	v, err := db.credential(ctx, key, func(ctx context.Context) (verified, bool, error) {
		return db.lookupSession(ctx, tenant, hash, withBrand)
	})
	if err != nil {
		return nil, nil, err
	}
	db.creds.touch(key, v, kindSession, sessionTouchEvery, time.Now())
	p := v.p
	return &p, v.brand, nil
}

// lookupSession reads what session hash of tenant stands for, and, with
// brand, the portal's branding in the same round trip.
func (db *DB) lookupSession(ctx context.Context, tenant uuid.UUID, hash []byte, withBrand bool) (verified, bool, error) {
	v := verified{p: onboardiq.Principal{TenantID: tenant}}
	var suspended bool
	err := db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		b := &pgx.Batch{}
		b.Queue(`
SELECT s.session_id, s.last_seen_at, s.expires_at, u.user_id, u.email, u.name, u.role, u.customer_id, t.slug, t.name, t.suspended_at IS NOT NULL
FROM web_sessions s
JOIN tenant_users u ON u.tenant_id = $1 AND u.user_id = s.user_id AND u.disabled_at IS NULL
JOIN tenants t ON t.tenant_id = $1
WHERE s.tenant_id = $1 AND s.token_hash = $2 AND s.expires_at > now()`, tenant, hash).QueryRow(func(row pgx.Row) error {
			var expires time.Time
			err := row.Scan(&v.id, &v.used, &expires, &v.p.UserID, &v.p.Email, &v.p.Name, &v.p.Role, &v.p.CustomerID, &v.p.TenantSlug, &v.p.TenantName, &suspended)
			v.expires = &expires
			return err
		})
		if withBrand {
			v.brand = queuePortalBrand(b, tenant)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return v, false, errNoSession
	case err != nil:
		return v, false, fmt.Errorf("session: %w", err)
	case suspended:
		return v, false, errSuspended
	}
	v.p.SessionID = &v.id
	return v, true, nil
}

// SignOut ends a session.
func (db *DB) SignOut(ctx context.Context, token string) error {
	tenant, hash, ok := parseTokenWith(sessionPrefix, token)
	if !ok {
		return nil
	}
	return db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM web_sessions WHERE tenant_id = $1 AND token_hash = $2`, tenant, hash); err != nil {
			return err
		}
		return tx.credentialsChanged(ctx)
	})
}

// Link purposes. An invitation is a sign-in link a contact is sent when
// they are added to a customer (AddContact, ResendInvitation): it signs in
// like LinkSignIn, and lasts InvitationTTL.
const (
	LinkSignIn = "magic_link"
	LinkReset  = "password_reset"
	LinkInvite = "invitation"
)

// InvitationTTL is how long a contact's invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

// SentLink is a one-time link SendLoginLink made.
type SentLink struct {
	URL, Subject string // empty when nothing was sent
}

// linkPlaceholder stands for the link in a link email's stored text: the
// link itself is made when the email is sent (ReissueLink), so no delivery
// ever holds a secret.
const linkPlaceholder = "{link}"

// SendLoginLink emails a one-time link to a user of the workspace: a
// sign-in link for a customer contact (15 minutes), a password-reset link
// for anyone (1 hour). The queued delivery holds the link token's id, not
// the token: the email worker issues a fresh secret for it when it sends.
// SendLoginLink returns the link it made for this request, which works
// until then: for the log and the development mailbox when there is no SMTP
// server. When the workspace or the email matches no such user it sends
// nothing and returns an empty SentLink (no URL), and no error, so callers
// cannot tell; an error is a real failure (the database is down).
func (db *DB) SendLoginLink(ctx context.Context, slug, email, purpose, baseURL string) (SentLink, error) {
	tenant, err := db.TenantIDBySlug(ctx, slug)
	if onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND {
		return SentLink{}, nil
	}
	if err != nil {
		return SentLink{}, err
	}
	token, err := newTokenWith(linkPrefix, tenant)
	if err != nil {
		return SentLink{}, err
	}
	sum := sha256.Sum256([]byte(token))
	ttl, path, subject := 15*time.Minute, "/portal/"+slug+"/magic?token=", "Your sign-in link for "
	if purpose == LinkReset {
		ttl, path, subject = time.Hour, "/reset?token=", "Reset your OnboardIQ password for "
	}
	var sent SentLink
	err = db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		var user uuid.UUID
		var role onboardiq.Role
		var tenantName string
		err := tx.QueryRow(ctx, `SELECT u.user_id, u.role, t.name FROM tenant_users u JOIN tenants t ON t.tenant_id = u.tenant_id
WHERE u.tenant_id = $1 AND u.email = lower($2) AND u.disabled_at IS NULL`, tenant, email).Scan(&user, &role, &tenantName)
		if errors.Is(err, pgx.ErrNoRows) || (purpose == LinkSignIn && role != onboardiq.RoleCustomer) {
			return nil
		}
		if err != nil {
			return err
		}
		var tokenID uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO login_tokens (tenant_id, user_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING token_id`,
			tenant, user, purpose, sum[:], time.Now().Add(ttl)).Scan(&tokenID); err != nil {
			return err
		}
		var id uuid.UUID
		text := fmt.Sprintf("Open this link within %s to continue (it works once):\n\n%s\n\nIf you did not ask for it, ignore this email.", ttl, linkPlaceholder)
		if err := tx.QueryRow(ctx, `
INSERT INTO deliveries (tenant_id, channel, event_type, payload, recipient, message_id)
VALUES ($1, 'email', $2, $3, $4, $5) RETURNING delivery_id`, tenant, purpose,
			map[string]any{"subject": subject + tenantName, "text": text, "token_id": tokenID, "link_prefix": baseURL + path},
			email, newMessageID()).Scan(&id); err != nil {
			return err
		}
		sent = SentLink{URL: baseURL + path + token, Subject: subject + tenantName}
		return tx.Enqueue(ctx, EmailArgs{TenantID: tenant, DeliveryID: id})
	})
	if err != nil {
		return SentLink{}, err
	}
	return sent, nil
}

// IsLinkEmail reports whether o is a sign-in or reset email, whose link
// ReissueLink makes at send time.
func IsLinkEmail(o *Outbound) bool {
	_, ok := o.Payload["token_id"].(string)
	return ok && o.Channel == "email"
}

// ReissueLink gives the one-time link of a link email a new secret, in the
// tenant tx runs in, and fills the link into o's payload ("link", and the
// text's placeholder) for sending. The link's earlier secret, and so any
// link sent before, stops working. It returns false, changing nothing, when
// the link was used or has expired: there is nothing left to send.
func (tx *Tx) ReissueLink(ctx context.Context, o *Outbound) (bool, error) {
	id, err := uuid.Parse(fmt.Sprint(o.Payload["token_id"]))
	if err != nil {
		return false, fmt.Errorf("link email %s: token_id: %w", o.ID, err)
	}
	prefix, _ := o.Payload["link_prefix"].(string)
	token, err := newTokenWith(linkPrefix, tx.TenantID())
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256([]byte(token))
	tag, err := tx.Exec(ctx, `
UPDATE login_tokens SET token_hash = $3
WHERE tenant_id = $1 AND token_id = $2 AND used_at IS NULL AND expires_at > $4`, tx.TenantID(), id, sum[:], time.Now())
	if err != nil {
		return false, fmt.Errorf("reissue link: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	link := prefix + token
	o.Payload["link"] = link
	for _, part := range []string{"text", "markdown"} {
		if text, ok := o.Payload[part].(string); ok {
			o.Payload[part] = strings.ReplaceAll(text, linkPlaceholder, link)
		}
	}
	return true, nil
}

var errLink = onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "this link is invalid, used or expired; ask for a new one")

// useLink consumes a one-time link of one of purposes and returns its
// tenant and user.
func (db *DB) useLink(ctx context.Context, token string, purposes []string, then func(ctx context.Context, tx *Tx, user uuid.UUID) error) (uuid.UUID, uuid.UUID, error) {
	tenant, hash, ok := parseTokenWith(linkPrefix, token)
	if !ok {
		return uuid.Nil, uuid.Nil, errLink
	}
	var user uuid.UUID
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		err := tx.QueryRow(ctx, `
UPDATE login_tokens SET used_at = now()
WHERE tenant_id = $1 AND token_hash = $2 AND purpose = ANY ($3) AND used_at IS NULL AND expires_at > now()
RETURNING user_id`, tenant, hash, purposes).Scan(&user)
		if errors.Is(err, pgx.ErrNoRows) {
			return errLink
		}
		if err != nil || then == nil {
			return err
		}
		return then(ctx, tx, user)
	})
	return tenant, user, err
}

// SignInWithLink consumes a sign-in link (an invitation, or the link in
// an email to a contact) to the
// workspace slug and opens a session. A link to another workspace is
// refused without being consumed.
func (db *DB) SignInWithLink(ctx context.Context, slug, token string) (string, *onboardiq.Principal, error) {
	linkTenant, _, ok := parseTokenWith(linkPrefix, token)
	if !ok {
		return "", nil, errLink
	}
	if tenant, err := db.TenantIDBySlug(ctx, slug); onboardiq.ErrorCode(err) == onboardiq.EUNAVAILABLE {
		return "", nil, err
	} else if err != nil || tenant != linkTenant {
		return "", nil, errLink
	}
	tenant, user, err := db.useLink(ctx, token, []string{LinkSignIn, LinkInvite, LinkEmail}, nil)
	if err != nil {
		return "", nil, err
	}
	return db.openSession(ctx, tenant, user)
}

// ResetPassword consumes a reset link, sets the new password, ends the
// user's sessions and other links (and any sign-in lockout), and opens a
// new session.
func (db *DB) ResetPassword(ctx context.Context, token, newPassword string) (string, *onboardiq.Principal, error) {
	if err := onboardiq.CheckPassword("password", newPassword); err != nil {
		return "", nil, err
	}
	h, err := password.Hash(newPassword)
	if err != nil {
		return "", nil, err
	}
	tenant, user, err := db.useLink(ctx, token, []string{LinkReset}, func(ctx context.Context, tx *Tx, user uuid.UUID) error {
		if _, err := tx.Exec(ctx, `UPDATE tenant_users SET password_hash = $3, updated_at = now() WHERE tenant_id = $1 AND user_id = $2`, tx.TenantID(), user, h); err != nil {
			return err
		}
		return endCredentials(ctx, tx, user, nil, false)
	})
	if err != nil {
		return "", nil, err
	}
	return db.openSession(ctx, tenant, user)
}

// endCredentials ends what lets user in other than their password, after
// it changed or when they are disabled: their web sessions (all but keep,
// the session of a user changing their own password), their unused sign-in
// and reset links, and their failed sign-ins. With revokeTokens their API
// tokens are revoked too, for good: re-enabling a user revives none of it.
func endCredentials(ctx context.Context, tx *Tx, user uuid.UUID, keep *uuid.UUID, revokeTokens bool) error {
	now := time.Now()
	if err := tx.credentialsChanged(ctx); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM web_sessions WHERE tenant_id = $1 AND user_id = $2 AND ($3::uuid IS NULL OR session_id <> $3)`,
		tx.TenantID(), user, keep); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE login_tokens SET used_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL`, tx.TenantID(), user, now); err != nil {
		return fmt.Errorf("end links: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM signin_failures WHERE tenant_id = $1 AND user_id = $2`, tx.TenantID(), user); err != nil {
		return fmt.Errorf("end lockout: %w", err)
	}
	if revokeTokens {
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL`, tx.TenantID(), user, now); err != nil {
			return fmt.Errorf("revoke tokens: %w", err)
		}
	}
	return nil
}
