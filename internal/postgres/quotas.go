package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// Quotas (docs/quotas.md): a tenant's limits come from its subscription
// tier and its operator's overrides (tenants.quota_overrides); usage is
// measured where it lives (staff users, webhook endpoints, articles and
// the logo, ai_calls) or, for API calls, counted in quota_usage per month.
// A change that adds to a hard quota checks it in its own transaction,
// under a transaction-scoped advisory lock per tenant and quota, so two
// concurrent requests cannot both pass at the limit.

// GetQuotas reads the caller's tenant's tier, limits and usage (admins).
func (db *DB) GetQuotas(ctx context.Context) (*onboardiq.TenantQuotas, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.TenantQuotas, error) {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return nil, err
		}
		q, err := readTenantQuotas(ctx, tx)
		db.addPendingCalls(tx.TenantID(), q)
		return q, err
	})
}

// QuotaChange is an operator's setting of a tenant's tier and overrides:
// both replace what the tenant had (Tier nil: no tier).
type QuotaChange struct {
	Tier      *string
	Overrides onboardiq.QuotaOverrides
}

// SetTenantQuotas sets a tenant's subscription tier and quota overrides
// (operators only), recorded as tenant.quotas_changed when it changes
// something. Lowering a limit below the usage removes nothing: the next
// addition is refused.
func (db *DB) SetTenantQuotas(ctx context.Context, id uuid.UUID, in QuotaChange) (*onboardiq.OperatorTenant, error) {
	if in.Tier != nil {
		t := strings.ToLower(strings.TrimSpace(*in.Tier))
		in.Tier = &t
		if t == "" {
			in.Tier = nil
		} else if !slices.Contains(onboardiq.SubscriptionTiers, t) {
			return nil, onboardiq.Invalid("subscription_tier", "must be one of %s, or empty for none", strings.Join(onboardiq.SubscriptionTiers, ", "))
		}
	}
	if in.Overrides == nil {
		in.Overrides = onboardiq.QuotaOverrides{}
	}
	if err := in.Overrides.Validate(); err != nil {
		return nil, err
	}
	tier := ""
	if in.Tier != nil {
		tier = *in.Tier
	}
	data := map[string]any{"subscription_tier": tier, "overrides": in.Overrides}
	return db.changeTenant(ctx, id, onboardiq.EventTenantQuotasChanged, data, func(ctx context.Context, tx *Tx) (bool, error) {
		return changedRows(ctx, tx, `
UPDATE tenants SET subscription_tier = $2, quota_overrides = $3, updated_at = now()
WHERE tenant_id = $1 AND (subscription_tier IS DISTINCT FROM $2 OR quota_overrides <> $3)`, id, in.Tier, in.Overrides)
	})
}

// quotaSettings are a tenant's tier and overrides, and the database's
// time.
type quotaSettings struct {
	tier      *string
	overrides onboardiq.QuotaOverrides
	now       time.Time
}

func (s quotaSettings) limit(q onboardiq.Quota) *int64 {
	l, _ := onboardiq.Limit(q, s.tier, s.overrides)
	return l
}

func loadQuotaSettings(ctx context.Context, tx *Tx) (quotaSettings, error) {
	var s quotaSettings
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT subscription_tier, quota_overrides, now() FROM tenants WHERE tenant_id = $1`, tx.TenantID()).
		Scan(&s.tier, &raw, &s.now)
	if err != nil {
		return s, fmt.Errorf("read quotas: %w", err)
	}
	if err := json.Unmarshal(raw, &s.overrides); err != nil {
		return s, fmt.Errorf("read quota overrides: %w", err)
	}
	return s, nil
}

// usageQuery measures every quota of tenant $1 in the month starting $2.
// Storage is what the tenant stores as files and text: its
// knowledge-base articles (title and body, in bytes) and its portal logo.
const usageQuery = `
SELECT
  (SELECT count(*) FROM tenant_users WHERE tenant_id = $1 AND role <> 'customer' AND disabled_at IS NULL),
  coalesce((SELECT amount FROM quota_usage WHERE tenant_id = $1 AND month = $2 AND quota = 'api_calls'), 0),
  coalesce((SELECT sum(octet_length(title) + octet_length(content)) FROM knowledge_base WHERE tenant_id = $1), 0)
    + coalesce((SELECT octet_length(logo) FROM tenant_branding WHERE tenant_id = $1), 0),
  (SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1) + (SELECT count(*) FROM crm_connections WHERE tenant_id = $1),
  coalesce((SELECT sum(input_tokens + output_tokens) FROM ai_calls WHERE tenant_id = $1 AND created_at >= $2::timestamptz), 0)`

func measureQuotas(ctx context.Context, tx *Tx, now time.Time) (map[onboardiq.Quota]int64, error) {
	var users, calls, storage, integrations, tokens int64
	err := tx.QueryRow(ctx, usageQuery, tx.TenantID(), onboardiq.MonthOf(now)).Scan(&users, &calls, &storage, &integrations, &tokens)
	if err != nil {
		return nil, fmt.Errorf("measure quotas: %w", err)
	}
	return map[onboardiq.Quota]int64{onboardiq.QuotaUsers: users, onboardiq.QuotaAPICalls: calls, onboardiq.QuotaStorage: storage,
		onboardiq.QuotaIntegrations: integrations, onboardiq.QuotaAITokens: tokens}, nil
}

// hardQuotaQueries measure the hard quotas of tenant $1, one each.
var hardQuotaQueries = map[onboardiq.Quota]string{
	onboardiq.QuotaUsers: `SELECT count(*) FROM tenant_users WHERE tenant_id = $1 AND role <> 'customer' AND disabled_at IS NULL`,
	onboardiq.QuotaStorage: `SELECT coalesce((SELECT sum(octet_length(title) + octet_length(content)) FROM knowledge_base WHERE tenant_id = $1), 0)
    + coalesce((SELECT octet_length(logo) FROM tenant_branding WHERE tenant_id = $1), 0)`,
	onboardiq.QuotaIntegrations: `SELECT (SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1) + (SELECT count(*) FROM crm_connections WHERE tenant_id = $1)`,
}

// measureQuota measures one quota.
func measureQuota(ctx context.Context, tx *Tx, q onboardiq.Quota, now time.Time) (int64, error) {
	sql, ok := hardQuotaQueries[q]
	if !ok {
		m, err := measureQuotas(ctx, tx, now)
		return m[q], err
	}
	var n int64
	if err := tx.QueryRow(ctx, sql, tx.TenantID()).Scan(&n); err != nil {
		return 0, fmt.Errorf("measure %s: %w", q, err)
	}
	return n, nil
}

func readTenantQuotas(ctx context.Context, tx *Tx) (*onboardiq.TenantQuotas, error) {
	s, err := loadQuotaSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	usage, err := measureQuotas(ctx, tx, s.now)
	if err != nil {
		return nil, err
	}
	return onboardiq.NewTenantQuotas(s.tier, s.overrides, usage, s.now), nil
}

// checkQuota admits adding n (users, bytes, endpoints) to hard quota q of
// the tenant tx runs in, or refuses it with a *onboardiq.QuotaError. It
// takes the tenant's lock on q until the transaction ends, so a
// concurrent addition waits and then counts this one: call it before the
// insert, in the same transaction. Reaching the warning level records
// the warning (once per quota and month).
func checkQuota(ctx context.Context, tx *Tx, q onboardiq.Quota, n int64) error {
	if n <= 0 {
		return nil
	}
	s, err := loadQuotaSettings(ctx, tx)
	if err != nil {
		return err
	}
	limit := s.limit(q)
	if limit == nil {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('onboardiq.quota:' || $1::text || ':' || $2::text, 0))`, tx.TenantID(), string(q)); err != nil {
		return fmt.Errorf("lock quota: %w", err)
	}
	used, err := measureQuota(ctx, tx, q, s.now)
	if err != nil {
		return err
	}
	if used+n > *limit {
		return onboardiq.ExceedQuota(q, *limit, used, s.now)
	}
	return warnQuota(ctx, tx, q, *limit, used+n, s.now)
}

// warnQuota records that q reached the warning level with usage, and
// emits quota.warning, the first time in the month only.
func warnQuota(ctx context.Context, tx *Tx, q onboardiq.Quota, limit, usage int64, now time.Time) error {
	if !onboardiq.ShouldWarn(usage, &limit) {
		return nil
	}
	month := onboardiq.MonthOf(now)
	err := tx.QueryRow(ctx, `
INSERT INTO quota_usage (tenant_id, month, quota, warned_at, updated_at) VALUES ($1, $2, $3, $4, $4)
ON CONFLICT (tenant_id, month, quota) DO UPDATE SET warned_at = $4, updated_at = $4 WHERE quota_usage.warned_at IS NULL
RETURNING quota`, tx.TenantID(), month, string(q), now).Scan(new(string))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // warned already this month
	}
	if err != nil {
		return fmt.Errorf("warn quota: %w", err)
	}
	return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventQuotaWarning, Data: map[string]any{
		"quota": string(q), "limit": limit, "usage": usage, "month": month.Format("2006-01")}})
}

// APICallFlushEvery is how often a server writes a tenant's API calls
// counted in memory to quota_usage: at the first call of the tenant after
// this long, in that call's request.
const APICallFlushEvery = time.Second

// apiMeter counts API calls per tenant in memory between writes: the
// authentication only reads the month's count, and one UPSERT a second
// per tenant and server writes what was counted (docs/performance.md has
// the numbers against an UPSERT per call). On one server the limit is
// exact; with several, a tenant may pass it by what the others counted
// in the last second.
type apiMeter struct {
	mu      sync.Mutex
	tenants map[uuid.UUID]*tenantMeter
}

// tenantMeter is one tenant's count on this server. Its lock is held
// while its count is written, so a call never sees it half-written.
type tenantMeter struct {
	mu        sync.Mutex
	month     time.Time // of the calls pending
	pending   int64     // counted, not yet written
	written   int64     // the month's count as this server last wrote it
	lastFlush time.Time
}

func (m *apiMeter) tenant(id uuid.UUID) *tenantMeter {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tenants == nil {
		m.tenants = map[uuid.UUID]*tenantMeter{}
	}
	t := m.tenants[id]
	if t == nil {
		t = &tenantMeter{lastFlush: time.Now()}
		m.tenants[id] = t
	}
	return t
}

// countAPICall counts one API call of tenant at s.now, whose month's count
// read with the authentication is stored, or refuses it past the limit
// with a *onboardiq.QuotaError (429). It writes the tenant's count when
// it is due (APICallFlushEvery).
func (db *DB) countAPICall(ctx context.Context, tenant uuid.UUID, s quotaSettings, stored int64) error {
	t := db.meter.tenant(tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	month := onboardiq.MonthOf(s.now)
	if !t.month.Equal(month) {
		if t.pending > 0 {
			if err := db.flushTenantCalls(ctx, tenant, t, s); err != nil {
				return err
			}
		}
		t.month, t.written = month, 0
	}
	used := max(stored, t.written) + t.pending
	if limit := s.limit(onboardiq.QuotaAPICalls); limit != nil && used >= *limit {
		return onboardiq.ExceedQuota(onboardiq.QuotaAPICalls, *limit, used, s.now)
	}
	t.pending++
	if time.Since(t.lastFlush) < APICallFlushEvery {
		return nil
	}
	return db.flushTenantCalls(ctx, tenant, t, s)
}

// flushTenantCalls writes t's pending calls (t locked) and warns at 80%.
// A failure keeps them pending for the next write.
func (db *DB) flushTenantCalls(ctx context.Context, tenant uuid.UUID, t *tenantMeter, s quotaSettings) error {
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		var warned bool
		err := tx.QueryRow(ctx, `
INSERT INTO quota_usage (tenant_id, month, quota, amount, updated_at) VALUES ($1, $2, 'api_calls', $3, $4)
ON CONFLICT (tenant_id, month, quota) DO UPDATE SET amount = quota_usage.amount + $3, updated_at = $4
RETURNING amount, warned_at IS NOT NULL`, tenant, t.month, t.pending, s.now).Scan(&t.written, &warned)
		if err != nil {
			return fmt.Errorf("count api calls: %w", err)
		}
		if limit := s.limit(onboardiq.QuotaAPICalls); limit != nil && !warned {
			return warnQuota(ctx, tx, onboardiq.QuotaAPICalls, *limit, t.written, s.now)
		}
		return nil
	})
	t.lastFlush = time.Now()
	if err != nil {
		return err
	}
	t.pending = 0
	return nil
}

// FlushAPICalls writes every tenant's API calls counted in memory (Close
// does, and a test before it reads quota_usage).
func (db *DB) FlushAPICalls(ctx context.Context) error {
	db.meter.mu.Lock()
	ids := make([]uuid.UUID, 0, len(db.meter.tenants))
	for id := range db.meter.tenants {
		ids = append(ids, id)
	}
	db.meter.mu.Unlock()
	var errs []error
	for _, id := range ids {
		t := db.meter.tenant(id)
		t.mu.Lock()
		if t.pending > 0 {
			var s quotaSettings
			err := db.InTenantReadOnly(ctx, id, func(ctx context.Context, tx *Tx) error {
				var err error
				s, err = loadQuotaSettings(ctx, tx)
				return err
			})
			if err == nil {
				err = db.flushTenantCalls(ctx, id, t, s)
			}
			errs = append(errs, err)
		}
		t.mu.Unlock()
	}
	return errors.Join(errs...)
}

// addPendingCalls adds to q (of tenant) the API calls this server counted
// and has not written yet.
func (db *DB) addPendingCalls(tenant uuid.UUID, q *onboardiq.TenantQuotas) {
	if q == nil {
		return
	}
	t := db.meter.tenant(tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.month.Format("2006-01") != q.Month {
		return
	}
	for i, u := range q.Quotas {
		if u.Quota == onboardiq.QuotaAPICalls {
			q.SetUsage(i, max(u.Usage, t.written)+t.pending)
		}
	}
}

// warnAITokens warns, once a month, when the tenant's AI tokens reached
// the warning level (after a call's tokens are recorded).
func warnAITokens(ctx context.Context, tx *Tx) error {
	s, err := loadQuotaSettings(ctx, tx)
	if err != nil {
		return err
	}
	limit := s.limit(onboardiq.QuotaAITokens)
	if limit == nil {
		return nil
	}
	var used int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM ai_calls WHERE tenant_id = $1 AND created_at >= $2::timestamptz`,
		tx.TenantID(), onboardiq.MonthOf(s.now)).Scan(&used); err != nil {
		return fmt.Errorf("measure ai tokens: %w", err)
	}
	return warnQuota(ctx, tx, onboardiq.QuotaAITokens, *limit, used, s.now)
}

// QuotaWarningAudience are the active admins of the tenant tx runs in,
// who hear of a quota.warning.
func (tx *Tx) QuotaWarningAudience(ctx context.Context) ([]uuid.UUID, error) {
	rows, err := tx.Query(ctx, `SELECT user_id FROM tenant_users WHERE tenant_id = $1 AND role = 'admin' AND disabled_at IS NULL ORDER BY user_id`, tx.TenantID())
	if err != nil {
		return nil, fmt.Errorf("quota warning audience: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// KindQuotaWarning tells a tenant's admins that a quota reached 80%.
const KindQuotaWarning = "quota_warning"
