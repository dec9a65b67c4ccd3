package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// CreateToken creates an API token for the caller, or, for an admin, for
// another user of the tenant. The token is returned once; only its hash is
// kept.
func (db *DB) CreateToken(ctx context.Context, in onboardiq.NewToken) (string, *onboardiq.Token, error) {
	var (
		token string
		rec   *onboardiq.Token
	)
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		owner := p.UserID
		if in.UserID != nil && *in.UserID != p.UserID {
			if err := p.Check(onboardiq.ManageOthersKeys); err != nil {
				return err
			}
			if _, err := getUser(ctx, tx, *in.UserID, false); err != nil {
				return onboardiq.Invalid("user_id", "no such user")
			}
			owner = *in.UserID
		}
		if owner == uuid.Nil {
			return onboardiq.Invalid("user_id", "is required from the command line")
		}
		if err := in.Validate(time.Now()); err != nil {
			return err
		}
		var err error
		token, rec, err = tx.CreateToken(ctx, owner, in.Name)
		if err != nil {
			return err
		}
		if in.ExpiresAt != nil {
			if _, err := tx.Exec(ctx, `UPDATE api_tokens SET expires_at = $3 WHERE tenant_id = $1 AND token_id = $2`, tx.TenantID(), rec.ID, *in.ExpiresAt); err != nil {
				return err
			}
			rec.ExpiresAt = in.ExpiresAt
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTokenCreated, Data: map[string]any{"token_id": rec.ID, "user_id": owner, "name": rec.Name}})
	})
	return token, rec, err
}

// ListTokens lists the caller's tokens, newest first; an admin may list
// another user's (userID) or everyone's (all).
func (db *DB) ListTokens(ctx context.Context, userID *uuid.UUID, all bool) ([]*onboardiq.Token, error) {
	var out []*onboardiq.Token
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		owner := &p.UserID
		if all || (userID != nil && *userID != p.UserID) {
			if err := p.Check(onboardiq.ManageOthersKeys); err != nil {
				return err
			}
			owner = userID
		}
		rows, err := tx.Query(ctx, `
SELECT `+tokenColumns+` FROM api_tokens t
WHERE t.tenant_id = $1 AND ($2::uuid IS NULL OR t.user_id = $2)
ORDER BY t.created_at DESC, t.token_id LIMIT 1000`, tx.TenantID(), owner)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.Token, error) { return scanToken(r) })
		return err
	})
	if out == nil {
		out = []*onboardiq.Token{}
	}
	return out, err
}

// RevokeToken revokes one of the caller's tokens, or any token for an
// admin. Another user's token is ENOTFOUND for everyone else.
func (db *DB) RevokeToken(ctx context.Context, id uuid.UUID) error {
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		t, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens t WHERE t.tenant_id = $1 AND t.token_id = $2 FOR UPDATE`, tx.TenantID(), id))
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && t.UserID != p.UserID && p.Role != onboardiq.RoleAdmin) {
			return onboardiq.Errorf(onboardiq.ENOTFOUND, "token not found")
		}
		if err != nil {
			return fmt.Errorf("find token: %w", err)
		}
		if t.RevokedAt != nil {
			return nil
		}
		if err := tx.RevokeToken(ctx, id); err != nil {
			return err
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventTokenRevoked, Data: map[string]any{"token_id": id, "user_id": t.UserID}})
	})
}

// authenticateSQL finds token $2 of tenant $1 with its user and tenant.
const authenticateSQL = `
SELECT a.token_id, a.last_used_at, a.expires_at, u.user_id, u.email, u.name, u.role, u.customer_id, t.slug, t.name,
       t.suspended_at IS NOT NULL, t.subscription_tier, t.quota_overrides, now(),
       coalesce((SELECT q.amount FROM quota_usage q WHERE q.tenant_id = $1 AND q.month = date_trunc('month', now() AT TIME ZONE 'UTC')::date AND q.quota = 'api_calls'), 0)
FROM api_tokens a
JOIN tenant_users u ON u.tenant_id = $1 AND u.user_id = a.user_id AND u.disabled_at IS NULL
JOIN tenants t ON t.tenant_id = $1
WHERE a.tenant_id = $1 AND a.token_hash = $2 AND a.revoked_at IS NULL
  AND (a.expires_at IS NULL OR a.expires_at > now())`

// Authenticate returns the principal an API token stands for, or
// EUNAUTHORIZED. A token verified lately is known from memory
// (credentials.go); one that is not is looked up in a read-only
// transaction. When the token was last used is recorded at most once a
// minute, off the request's path. Every call counts against the tenant's
// API calls of the month (countAPICall: a *onboardiq.QuotaError past its
// limit).
func (db *DB) Authenticate(ctx context.Context, token string) (*onboardiq.Principal, error) {
	tenantID, hash, ok := parseToken(token)
	if !ok {
		if IsOperatorToken(token) {
			return nil, onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "an operator token is accepted only on /api/v1/admin; use a workspace's API token (oiq_…)")
		}
		return nil, errBadToken
	}
	key := credentialKey{kindToken, [32]byte(hash)}
	v, err := db.credential(ctx, key, func(ctx context.Context) (verified, bool, error) {
		return db.lookupToken(ctx, tenantID, hash)
	})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	db.creds.touch(key, v, kindToken, tokenTouchEvery, now)
	quotas := v.quotas
	quotas.now = now
	// Every authenticated call counts against the month's API calls
	// (docs/quotas.md), in memory, written once a second.
	if err := db.countAPICall(ctx, tenantID, quotas, v.calls); err != nil {
		return nil, err
	}
	p := v.p
	return &p, nil
}

// lookupToken reads what token hash of tenant stands for.
func (db *DB) lookupToken(ctx context.Context, tenant uuid.UUID, hash []byte) (verified, bool, error) {
	v := verified{p: onboardiq.Principal{TenantID: tenant}}
	var suspended bool
	err := db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		var overrides []byte
		err := tx.QueryRow(ctx, authenticateSQL, tenant, hash).
			Scan(&v.id, &v.used, &v.expires, &v.p.UserID, &v.p.Email, &v.p.Name, &v.p.Role, &v.p.CustomerID, &v.p.TenantSlug, &v.p.TenantName,
				&suspended, &v.quotas.tier, &overrides, &v.quotas.now, &v.calls)
		if err != nil || suspended {
			return err
		}
		if err := json.Unmarshal(overrides, &v.quotas.overrides); err != nil {
			return fmt.Errorf("read quota overrides: %w", err)
		}
		return nil
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return v, false, errBadToken
	case err != nil:
		return v, false, fmt.Errorf("authenticate: %w", err)
	case suspended:
		return v, false, errSuspended
	}
	v.p.TokenID = &v.id
	return v, true, nil
}

// CreateToken issues an API token for a user of the tenant tx runs in and
// returns it (to be shown once) with its record.
func (tx *Tx) CreateToken(ctx context.Context, userID uuid.UUID, name string) (string, *onboardiq.Token, error) {
	in := onboardiq.NewToken{Name: name}
	if err := in.Validate(time.Now()); err != nil {
		return "", nil, err
	}
	name = in.Name
	token, err := newToken(tx.TenantID())
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256([]byte(token))
	t := &onboardiq.Token{UserID: userID, Name: name, Hint: token[len(token)-4:]}
	err = tx.QueryRow(ctx, `
INSERT INTO api_tokens (tenant_id, user_id, name, token_hash, hint)
VALUES ($1, $2, $3, $4, $5)
RETURNING token_id, created_at`, tx.TenantID(), userID, name, sum[:], t.Hint).Scan(&t.ID, &t.CreatedAt)
	if err != nil {
		return "", nil, storeError(err, "user")
	}
	return token, t, nil
}

// RevokeToken revokes a token of the tenant tx runs in.
func (tx *Tx) RevokeToken(ctx context.Context, tokenID uuid.UUID) error {
	tag, err := tx.Exec(ctx, `
UPDATE api_tokens SET revoked_at = now()
WHERE tenant_id = $1 AND token_id = $2 AND revoked_at IS NULL`, tx.TenantID(), tokenID)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return onboardiq.Errorf(onboardiq.ENOTFOUND, "token not found")
	}
	return tx.credentialsChanged(ctx)
}

// RevokeTokensNamed revokes the tokens of users named one of names, in the
// tenant tx runs in.
func (tx *Tx) RevokeTokensNamed(ctx context.Context, users []uuid.UUID, names ...string) error {
	if _, err := tx.Exec(ctx, `
UPDATE api_tokens SET revoked_at = now()
WHERE tenant_id = $1 AND user_id = ANY($2) AND revoked_at IS NULL AND name = ANY($3)`, tx.TenantID(), users, names); err != nil {
		return fmt.Errorf("revoke tokens: %w", err)
	}
	return tx.credentialsChanged(ctx)
}

// An API token reads oiq_<tenant id as 32 hex digits>_<43 characters of
// base64url secret>. The tenant part lets authentication enter the tenant
// before it looks the token up, so the lookup runs under row-level security
// like every other query; only the token's SHA-256 is stored (the secret
// has 256 bits of entropy, so a slow hash would add nothing).
const tokenPrefix = "oiq_"

func newToken(tenantID uuid.UUID) (string, error) { return newTokenWith(tokenPrefix, tenantID) }

// newTokenWith makes a secret that names its tenant: prefix, the tenant id
// in hex, and 32 random bytes. Sessions and one-time links use other
// prefixes than API tokens, so one can never stand for another.
func newTokenWith(prefix string, tenantID uuid.UUID) (string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(tenantID[:]) + "_" + base64.RawURLEncoding.EncodeToString(secret), nil
}

// parseToken returns the tenant an API token names and the token's hash.
func parseToken(token string) (uuid.UUID, []byte, bool) { return parseTokenWith(tokenPrefix, token) }

func parseTokenWith(prefix, token string) (uuid.UUID, []byte, bool) {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok || len(rest) != 32+1+43 || rest[32] != '_' {
		return uuid.Nil, nil, false
	}
	var id uuid.UUID
	if _, err := hex.Decode(id[:], []byte(rest[:32])); err != nil || id == uuid.Nil {
		return uuid.Nil, nil, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(rest[33:]); err != nil {
		return uuid.Nil, nil, false
	}
	sum := sha256.Sum256([]byte(token))
	return id, sum[:], true
}

var errBadToken = onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "the API token is missing, unknown, expired or revoked")

const tokenColumns = `t.token_id, t.user_id, t.name, t.hint, t.created_at, t.last_used_at, t.expires_at, t.revoked_at`

func scanToken(row pgx.Row) (*onboardiq.Token, error) {
	t := &onboardiq.Token{}
	err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Hint, &t.CreatedAt, &t.LastUsedAt, &t.ExpiresAt, &t.RevokedAt)
	return t, err
}
