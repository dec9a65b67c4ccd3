package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// Operator tokens read oiqop_<43 characters of base64url secret>: no
// tenant part, and a prefix no tenant token, session or link starts with
// (those are oiq_, oiqs_, oiql_ followed by a tenant id), so one can never
// pass for another. Only the SHA-256 is kept, in operator_tokens, which
// the app role cannot read: see migration 00025.
const operatorTokenPrefix = "oiqop_"

// IsOperatorToken reports whether s has the shape of an operator token.
func IsOperatorToken(s string) bool { return strings.HasPrefix(s, operatorTokenPrefix) }

// OperatorToken is an operator token's record.
type OperatorToken struct {
	ID         uuid.UUID  `json:"id"`
	Name       string     `json:"name"`
	Hint       string     `json:"hint"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// CreateOperatorToken makes an operator token and returns it (to be shown
// once) with its record. db must be connected as the schema owner (as
// migrate is): the app role has no access to operator tokens.
func (db *DB) CreateOperatorToken(ctx context.Context, name string) (string, *OperatorToken, error) {
	name = strings.TrimSpace(name)
	if n := len([]rune(name)); n < 1 || n > 100 {
		return "", nil, onboardiq.Invalid("name", "must be 1 to 100 characters")
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", nil, err
	}
	token := operatorTokenPrefix + base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(token))
	t := &OperatorToken{Name: name, Hint: token[len(token)-4:]}
	err := db.Pool.QueryRow(ctx, `INSERT INTO operator_tokens (name, token_hash, hint) VALUES ($1, $2, $3) RETURNING token_id, created_at`,
		name, sum[:], t.Hint).Scan(&t.ID, &t.CreatedAt)
	if err != nil {
		return "", nil, fmt.Errorf("create operator token (connect as the schema owner, DATABASE_URL): %w", err)
	}
	return token, t, nil
}

// ListOperatorTokens lists operator tokens, newest first (as the owner).
func (db *DB) ListOperatorTokens(ctx context.Context) ([]*OperatorToken, error) {
	rows, err := db.Pool.Query(ctx, `SELECT token_id, name, hint, created_at, last_used_at, revoked_at FROM operator_tokens ORDER BY created_at DESC, token_id`)
	if err != nil {
		return nil, fmt.Errorf("list operator tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*OperatorToken, error) {
		t := &OperatorToken{}
		err := r.Scan(&t.ID, &t.Name, &t.Hint, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
		return t, err
	})
	if out == nil {
		out = []*OperatorToken{}
	}
	return out, err
}

// RevokeOperatorToken revokes an operator token (as the owner); revoking
// a revoked token changes nothing.
func (db *DB) RevokeOperatorToken(ctx context.Context, id uuid.UUID) error {
	tag, err := db.Pool.Exec(ctx, `UPDATE operator_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE token_id = $1`, id)
	if err != nil {
		return fmt.Errorf("revoke operator token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return onboardiq.Errorf(onboardiq.ENOTFOUND, "no operator token %s", id)
	}
	return nil
}

var errBadOperatorToken = onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "the operator token is missing, unknown or revoked")

// AuthenticateOperator returns the operator an operator token stands for,
// or EUNAUTHORIZED, through operator_token_use (the app role's only way to
// operator tokens).
func (db *DB) AuthenticateOperator(ctx context.Context, token string) (*onboardiq.Operator, error) {
	rest, ok := strings.CutPrefix(token, operatorTokenPrefix)
	if !ok || len(rest) != 43 {
		return nil, errBadOperatorToken
	}
	if _, err := base64.RawURLEncoding.DecodeString(rest); err != nil {
		return nil, errBadOperatorToken
	}
	sum := sha256.Sum256([]byte(token))
	o := &onboardiq.Operator{}
	err := db.Pool.QueryRow(ctx, `SELECT token_id, name FROM operator_token_use($1)`, sum[:]).Scan(&o.TokenID, &o.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errBadOperatorToken
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("authenticate operator: %w", err))
	}
	return o, nil
}

// errSuspended is what a suspended workspace's users, tokens and sessions
// get.
var errSuspended = onboardiq.Errorf(onboardiq.EFORBIDDEN, "this workspace is suspended; its operator can resume it")

func operator(ctx context.Context) (*onboardiq.Operator, error) {
	o := onboardiq.OperatorFromContext(ctx)
	if o == nil {
		return nil, onboardiq.Errorf(onboardiq.EFORBIDDEN, "only an operator may do this")
	}
	return o, nil
}

// Provisioned is a tenant ProvisionTenant made (or found: Created false).
type Provisioned struct {
	Tenant  *onboardiq.OperatorTenant
	Created bool
	// Invitations are the set-password links this request sent, by email
	// (for tests and the development mailbox; never in the API's answer).
	Invitations map[string]string
}

// provisionKey identifies a provisioning request without a slug: the
// organisation's name (case and spacing aside) and its admin's email.
func provisionKey(in onboardiq.Provision) []byte {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.Join(strings.Fields(in.OrganizationName), " ")) + "\x00" + in.AdminEmail))
	return sum[:]
}

// ProvisionWindow is how long a repeated provisioning request without a
// slug answers the tenant the first made.
const ProvisionWindow = 24 * time.Hour

// ProvisionTenant creates a tenant for an operator: the slug given, or one
// made from the name and made unique (-2, -3 …); its admin and initial
// users without passwords, each invited by email with a set-password link
// (InvitationTTL). The same request twice answers the first tenant
// (Created false) and sends nothing: with a slug, when that tenant was
// provisioned with the same name and admin email; without, when it was
// within ProvisionWindow. A slug taken otherwise is ECONFLICT on slug.
func (db *DB) ProvisionTenant(ctx context.Context, in onboardiq.Provision, baseURL string) (*Provisioned, error) {
	if _, err := operator(ctx); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	key := provisionKey(in)
	base, given := in.Slug, in.Slug != ""
	if !given {
		base = onboardiq.Slugify(in.OrganizationName)
	}
	for n := 1; n <= 1000; n++ {
		slug := onboardiq.UniqueSlug(base, n)
		id, err := db.TenantIDBySlug(ctx, slug)
		switch {
		case onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND:
			res, err := db.provision(ctx, in, slug, key, baseURL)
			if onboardiq.ErrorCode(err) == onboardiq.ECONFLICT && onboardiq.ErrorField(err) == "slug" && !given {
				continue // taken meanwhile
			}
			return res, err
		case err != nil:
			return nil, err
		}
		same, err := db.sameProvision(ctx, id, key, given)
		if err != nil {
			return nil, err
		}
		if same {
			t, err := db.operatorTenant(ctx, id)
			return &Provisioned{Tenant: t}, err
		}
		if given {
			return nil, &onboardiq.Error{Code: onboardiq.ECONFLICT, Field: "slug", Message: fmt.Sprintf("the slug %q is taken", slug)}
		}
	}
	return nil, onboardiq.Invalid("slug", "no free slug from %q; give one", base)
}

func (db *DB) sameProvision(ctx context.Context, id uuid.UUID, key []byte, given bool) (bool, error) {
	var same bool
	err := db.InTenantReadOnly(ctx, id, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `SELECT coalesce(provision_key = $2 AND ($3 OR provisioned_at > $4), false) FROM tenants WHERE tenant_id = $1`,
			id, key, given, time.Now().Add(-ProvisionWindow)).Scan(&same)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return same, err
}

func (db *DB) provision(ctx context.Context, in onboardiq.Provision, slug string, key []byte, baseURL string) (*Provisioned, error) {
	res := &Provisioned{Created: true, Invitations: map[string]string{}}
	id := uuid.New()
	err := db.InTenant(ctx, id, func(ctx context.Context, tx *Tx) error {
		_, admin, err := createTenant(ctx, tx, onboardiq.NewTenant{Name: in.OrganizationName, Slug: slug, AdminEmail: in.AdminEmail})
		if err != nil {
			return err
		}
		var tier *string
		if in.SubscriptionTier != "" {
			tier = &in.SubscriptionTier
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET subscription_tier = $2, provisioned_at = now(), provision_key = $3 WHERE tenant_id = $1`,
			id, tier, key); err != nil {
			return fmt.Errorf("provision: %w", err)
		}
		users := []*onboardiq.User{admin}
		for i, nu := range in.InitialUsers {
			u, err := tx.CreateUser(ctx, onboardiq.NewUser{Email: nu.Email, Name: nu.Name, Role: nu.Role})
			if err != nil {
				if f := onboardiq.ErrorField(err); f != "" {
					return &onboardiq.Error{Code: onboardiq.ErrorCode(err), Field: fmt.Sprintf("initial_users[%d].%s", i, f), Message: onboardiq.ErrorMessage(err)}
				}
				return err
			}
			users = append(users, u)
		}
		for _, u := range users {
			sent, err := inviteStaff(ctx, tx, onboardiq.SystemPrincipal(tx.TenantID()), u, baseURL)
			if err != nil {
				return err
			}
			res.Invitations[u.Email] = sent.URL
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Tenant, err = db.operatorTenant(ctx, id)
	return res, err
}

// ListTenants lists every tenant for an operator, oldest first, a page
// at a time: the ids through the reviewed all_tenant_ids, then each
// tenant read inside itself.
func (db *DB) ListTenants(ctx context.Context, opts onboardiq.ListOptions) (*onboardiq.Page[*onboardiq.OperatorTenant], error) {
	if _, err := operator(ctx); err != nil {
		return nil, err
	}
	ids, err := db.AllTenantIDs(ctx)
	if err != nil {
		return nil, err
	}
	start := 0
	if opts.Cursor != "" {
		after, err := uuid.Parse(opts.Cursor)
		if err != nil {
			return nil, onboardiq.Invalid("cursor", "is not a cursor this list gave")
		}
		start = len(ids)
		for i, id := range ids {
			if id == after {
				start = i + 1
				break
			}
		}
	}
	limit := opts.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	page := &onboardiq.Page[*onboardiq.OperatorTenant]{Items: []*onboardiq.OperatorTenant{}}
	end := min(start+limit, len(ids))
	for _, id := range ids[start:end] {
		t, err := db.operatorTenant(ctx, id)
		if onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, t)
	}
	if end < len(ids) && end > 0 {
		page.NextCursor = ids[end-1].String()
	}
	return page, nil
}

// GetTenant reads a tenant for an operator.
func (db *DB) GetTenant(ctx context.Context, id uuid.UUID) (*onboardiq.OperatorTenant, error) {
	if _, err := operator(ctx); err != nil {
		return nil, err
	}
	return db.operatorTenant(ctx, id)
}

func (db *DB) operatorTenant(ctx context.Context, id uuid.UUID) (*onboardiq.OperatorTenant, error) {
	var t *onboardiq.OperatorTenant
	err := db.InTenantReadOnly(ctx, id, func(ctx context.Context, tx *Tx) error {
		var err error
		t, err = readOperatorTenant(ctx, tx)
		return err
	})
	if t != nil {
		db.addPendingCalls(id, t.Quotas)
	}
	return t, err
}

func readOperatorTenant(ctx context.Context, tx *Tx) (*onboardiq.OperatorTenant, error) {
	t := &onboardiq.OperatorTenant{}
	err := tx.QueryRow(ctx, `
SELECT t.tenant_id, t.name, t.slug, t.subscription_tier, t.created_at, t.suspended_at, t.suspended_reason, t.delete_after,
       (SELECT count(*) FROM tenant_users u WHERE u.tenant_id = $1 AND u.disabled_at IS NULL AND u.role <> 'customer')
FROM tenants t WHERE t.tenant_id = $1`, tx.TenantID()).
		Scan(&t.ID, &t.Name, &t.Slug, &t.SubscriptionTier, &t.CreatedAt, &t.SuspendedAt, &t.SuspendedReason, &t.DeleteAfter, &t.Users)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "no tenant %s", tx.TenantID())
	}
	if err != nil {
		return nil, fmt.Errorf("read tenant: %w", err)
	}
	if t.Quotas, err = readTenantQuotas(ctx, tx); err != nil {
		return nil, err
	}
	switch {
	case t.DeleteAfter != nil:
		t.Status = onboardiq.TenantDeleting
	case t.SuspendedAt != nil:
		t.Status = onboardiq.TenantSuspended
	default:
		t.Status = onboardiq.TenantActive
	}
	return t, nil
}

// changeTenant runs change in tenant id for an operator; when it changed
// something it records kind with data (and the operator token's id) in
// the tenant's activity log. It answers the tenant as it is after.
func (db *DB) changeTenant(ctx context.Context, id uuid.UUID, kind onboardiq.EventKind, data map[string]any, change func(ctx context.Context, tx *Tx) (bool, error)) (*onboardiq.OperatorTenant, error) {
	o, err := operator(ctx)
	if err != nil {
		return nil, err
	}
	var t *onboardiq.OperatorTenant
	err = db.InTenant(ctx, id, func(ctx context.Context, tx *Tx) error {
		if _, err := readOperatorTenant(ctx, tx); err != nil {
			return err
		}
		changed, err := change(ctx, tx)
		if err != nil {
			return err
		}
		if changed {
			if err := tx.credentialsChanged(ctx); err != nil {
				return err
			}
			if data == nil {
				data = map[string]any{}
			}
			data["operator_token_id"] = o.TokenID
			if err := tx.Emit(ctx, onboardiq.Event{Kind: kind, Data: data}); err != nil {
				return err
			}
		}
		t, err = readOperatorTenant(ctx, tx)
		return err
	})
	if t != nil {
		db.addPendingCalls(id, t.Quotas)
	}
	return t, err
}

func changedRows(ctx context.Context, tx *Tx, sql string, args ...any) (bool, error) {
	tag, err := tx.Exec(ctx, sql, args...)
	if err != nil {
		return false, fmt.Errorf("change tenant: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// SuspendTenant suspends a tenant: its users cannot sign in and its API
// tokens and sessions are refused (errSuspended) until ResumeTenant; its
// jobs keep running. Suspending a suspended tenant changes nothing.
func (db *DB) SuspendTenant(ctx context.Context, id uuid.UUID, reason string) (*onboardiq.OperatorTenant, error) {
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > 500 {
		return nil, onboardiq.Invalid("reason", "at most 500 characters")
	}
	var r *string
	if reason != "" {
		r = &reason
	}
	return db.changeTenant(ctx, id, onboardiq.EventTenantSuspended, map[string]any{"reason": reason}, func(ctx context.Context, tx *Tx) (bool, error) {
		return changedRows(ctx, tx, `UPDATE tenants SET suspended_at = now(), suspended_reason = $2, updated_at = now() WHERE tenant_id = $1 AND suspended_at IS NULL`, id, r)
	})
}

// ResumeTenant ends a suspension.
func (db *DB) ResumeTenant(ctx context.Context, id uuid.UUID) (*onboardiq.OperatorTenant, error) {
	return db.changeTenant(ctx, id, onboardiq.EventTenantResumed, nil, func(ctx context.Context, tx *Tx) (bool, error) {
		return changedRows(ctx, tx, `UPDATE tenants SET suspended_at = NULL, suspended_reason = NULL, updated_at = now() WHERE tenant_id = $1 AND suspended_at IS NOT NULL`, id)
	})
}

// MaxDeletionGrace bounds the grace period of a scheduled deletion.
const MaxDeletionGrace = 365 * 24 * time.Hour

// ScheduleTenantDeletion schedules a tenant's deletion after grace (its
// users keep working meanwhile, so that its admins can export it); the
// hourly deletion job deletes it once that has passed. Scheduling it again
// keeps the first date.
func (db *DB) ScheduleTenantDeletion(ctx context.Context, id uuid.UUID, grace time.Duration) (*onboardiq.OperatorTenant, error) {
	if grace < 0 || grace > MaxDeletionGrace {
		return nil, onboardiq.Invalid("grace_days", "must be 0 to 365")
	}
	at := time.Now().Add(grace).UTC().Truncate(time.Second)
	return db.changeTenant(ctx, id, onboardiq.EventTenantDeletionScheduled, map[string]any{"delete_after": at.Format(time.RFC3339)}, func(ctx context.Context, tx *Tx) (bool, error) {
		return changedRows(ctx, tx, `UPDATE tenants SET delete_after = $2, updated_at = now() WHERE tenant_id = $1 AND delete_after IS NULL`, id, at)
	})
}

// RestoreTenant cancels a scheduled deletion.
func (db *DB) RestoreTenant(ctx context.Context, id uuid.UUID) (*onboardiq.OperatorTenant, error) {
	return db.changeTenant(ctx, id, onboardiq.EventTenantDeletionCancelled, nil, func(ctx context.Context, tx *Tx) (bool, error) {
		return changedRows(ctx, tx, `UPDATE tenants SET delete_after = NULL, updated_at = now() WHERE tenant_id = $1 AND delete_after IS NOT NULL`, id)
	})
}

// DeleteDueTenants deletes every tenant whose deletion was scheduled
// before now (the hourly deletion job), each in its own transaction that
// checks the date again, and returns the ids it deleted.
func (db *DB) DeleteDueTenants(ctx context.Context, now time.Time) ([]uuid.UUID, error) {
	rows, err := db.Pool.Query(ctx, `SELECT tenant_ids_due_for_deletion($1)`, now)
	if err != nil {
		return nil, unavailable(fmt.Errorf("tenants due for deletion: %w", err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("tenants due for deletion: %w", err)
	}
	var deleted []uuid.UUID
	for _, id := range ids {
		err := db.InTenant(ctx, id, func(ctx context.Context, tx *Tx) error {
			var due bool
			if err := tx.QueryRow(ctx, `SELECT coalesce(delete_after <= $2, false) FROM tenants WHERE tenant_id = $1 FOR UPDATE`, id, now).Scan(&due); err != nil {
				if errors.Is(err, pgx.ErrNoRows) {
					return nil
				}
				return err
			}
			if !due {
				return nil // restored meanwhile
			}
			deleted = append(deleted, id)
			return tx.DeleteTenant(ctx)
		})
		if err != nil {
			return deleted, fmt.Errorf("delete tenant %s: %w", id, err)
		}
	}
	return deleted, nil
}
