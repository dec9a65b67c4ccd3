package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

const tokenColumns = `t.token_id, t.user_id, t.name, t.hint, t.created_at, t.last_used_at, t.expires_at, t.revoked_at`

func scanToken(row pgx.Row) (*onboardiq.Token, error) {
	t := &onboardiq.Token{}
	err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Hint, &t.CreatedAt, &t.LastUsedAt, &t.ExpiresAt, &t.RevokedAt)
	return t, err
}

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
		return RecordEvent(ctx, tx, Event{Kind: "token.created", Data: map[string]any{"token_id": rec.ID, "user_id": owner, "name": rec.Name}})
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
		return RecordEvent(ctx, tx, Event{Kind: "token.revoked", Data: map[string]any{"token_id": id, "user_id": t.UserID}})
	})
}
