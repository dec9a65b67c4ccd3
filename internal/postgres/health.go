package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/health"
)

// Health scores (internal/health computes, this file gathers the signals
// and keeps the results; docs/customer-success.md). A customer's score is
// recomputed when an event about it arrives (the fan-out's health
// consumer) and every night (RecomputeHealthArgs), and kept with its
// explanation in customer_health; health_history keeps the last score of
// each UTC day. A level change and a drop of more than the workspace's
// drop points are events.

// CustomerHealth is a customer's current health and why.
type CustomerHealth struct {
	CustomerID uuid.UUID `json:"customer_id"`
	Score      *int      `json:"score" doc:"0–100; null when no signal is known at all (not a score of 0)."`
	Level      *string   `json:"level" doc:"The risk level's key (healthy, moderate, at_risk, critical by default); null without a score."`
	LevelName  string    `json:"level_name,omitempty"`
	// Components each with its effective weight and evidence.
	Components  []health.Component `json:"components"`
	Missing     []string           `json:"missing" doc:"Weighted components left out for lack of signals; the others' weights are renormalised."`
	Explanation string             `json:"explanation" doc:"The score in words."`
	ComputedAt  time.Time          `json:"computed_at"`
}

// HealthPoint is one day of a customer's health history: the day's last
// score.
type HealthPoint struct {
	Day        string    `json:"day" doc:"The UTC day, YYYY-MM-DD."`
	Score      int       `json:"score"`
	Level      string    `json:"level"`
	ComputedAt time.Time `json:"computed_at"`
}

// HealthRun is what one recompute did.
type HealthRun struct {
	Customers    int `json:"customers" doc:"Customers rescored."`
	Scored       int `json:"scored" doc:"Of them, those with a score (the others have no signal)."`
	LevelChanges int `json:"level_changes"`
	Drops        int `json:"drops"`
}

// RecomputeHealthArgs is the hourly check that rescores, once a night,
// every customer of every tenant: it enqueues one RecomputeHealthTenantArgs
// per tenant.
type RecomputeHealthArgs struct{}

// Kind is River's name for the job.
func (RecomputeHealthArgs) Kind() string { return "health_recompute" }

// RecomputeHealthTenantArgs rescores one tenant's customers when their
// night has come (RecomputeHealthIfDue).
type RecomputeHealthTenantArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// Kind is River's name for the job.
func (RecomputeHealthTenantArgs) Kind() string { return "health_recompute_tenant" }

// NightlyHealthHour is the hour of the night, in the workspace's time
// zone, from which the nightly recompute runs; a workspace not rescored
// for a day is rescored whatever the hour (after a downtime).
const NightlyHealthHour = 2

const healthConfigQuery = `SELECT health_config FROM tenants WHERE tenant_id = $1`

func loadHealthConfig(ctx context.Context, tx *Tx) (health.Config, error) {
	var raw []byte
	if err := tx.QueryRow(ctx, healthConfigQuery, tx.TenantID()).Scan(&raw); err != nil {
		return health.Config{}, fmt.Errorf("health config: %w", err)
	}
	return parseHealthConfig(raw)
}

// parseHealthConfig reads the stored configuration: the defaults when the
// workspace has none.
func parseHealthConfig(raw []byte) (health.Config, error) {
	cfg := health.DefaultConfig()
	if raw != nil {
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return cfg, fmt.Errorf("health config: %w", err)
		}
	}
	return cfg, nil
}

// GetHealthSettings returns the workspace's health configuration: weights,
// levels and drop points (staff).
func (db *DB) GetHealthSettings(ctx context.Context) (health.Config, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (health.Config, error) {
		if err := p.Check(onboardiq.ReadSettings); err != nil {
			return health.Config{}, err
		}
		return loadHealthConfig(ctx, tx)
	})
}

// SetHealthSettings replaces the workspace's health configuration (admins)
// and rescores every customer with it in the same transaction, so no score
// is left computed by weights that are gone.
func (db *DB) SetHealthSettings(ctx context.Context, cfg health.Config) (health.Config, error) {
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		before, err := loadHealthConfig(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET health_config = $2, updated_at = now() WHERE tenant_id = $1`, tx.TenantID(), cfg); err != nil {
			return fmt.Errorf("health settings: %w", err)
		}
		ch := changes(before, cfg, "weights", "levels", "drop_points")
		if len(ch) == 0 {
			return nil
		}
		if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventNotificationSettingsChanged, Changes: ch, Data: map[string]any{"settings": "health"}}); err != nil {
			return err
		}
		_, err = tx.RecomputeHealth(ctx, nil, time.Now())
		return err
	})
	return cfg, err
}

// CustomerHealth returns a customer's current health and its explanation
// (staff). A customer not scored yet is scored on the spot (and kept by the
// next recompute).
func (db *DB) CustomerHealth(ctx context.Context, customerID uuid.UUID) (*CustomerHealth, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*CustomerHealth, error) {
		if _, err := getCustomer(ctx, tx, p, customerID, false); err != nil {
			return nil, err
		}
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return nil, err
		}
		cfg, err := loadHealthConfig(ctx, tx)
		if err != nil {
			return nil, err
		}
		h, err := storedHealth(ctx, tx, customerID)
		if err != nil || h != nil {
			if h != nil {
				h.describe(cfg)
			}
			return h, err
		}
		now := time.Now()
		scores, err := scoreCustomers(ctx, tx, cfg, []uuid.UUID{customerID}, now)
		if err != nil {
			return nil, err
		}
		out := scores[0].view(now)
		out.describe(cfg)
		return out, nil
	})
}

const storedHealthQuery = `SELECT score, level, components, missing, computed_at FROM customer_health WHERE tenant_id = $1 AND customer_id = $2`

func storedHealth(ctx context.Context, tx *Tx, customer uuid.UUID) (*CustomerHealth, error) {
	return scanStoredHealth(tx.QueryRow(ctx, storedHealthQuery, tx.TenantID(), customer), customer)
}

// scanStoredHealth reads a customer's stored score: nil when it has none.
func scanStoredHealth(row pgx.Row, customer uuid.UUID) (*CustomerHealth, error) {
	h := &CustomerHealth{CustomerID: customer}
	var components []byte
	err := row.Scan(&h.Score, &h.Level, &components, &h.Missing, &h.ComputedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("customer health: %w", err)
	}
	if err := json.Unmarshal(components, &h.Components); err != nil {
		return nil, fmt.Errorf("customer health: %w", err)
	}
	return h, nil
}

// describe fills what the stored score does not keep: the level's name
// and the explanation in words.
func (h *CustomerHealth) describe(cfg health.Config) {
	if h.Components == nil {
		h.Components = []health.Component{}
	}
	if h.Missing == nil {
		h.Missing = []string{}
	}
	sc := health.Score{Components: h.Components, Missing: h.Missing}
	if h.Level != nil {
		h.LevelName = cfg.LevelName(*h.Level)
	}
	h.Explanation = sc.Explain()
	if h.Score == nil {
		h.Explanation = "No score: nothing is known of this customer yet (no usage, no onboarding, no survey answer)."
	}
}

// HealthHistory returns a customer's daily scores from one UTC day to
// another (inclusive; YYYY-MM-DD; empty: the last 180 days), oldest first
// (staff).
func (db *DB) HealthHistory(ctx context.Context, customerID uuid.UUID, from, to string) ([]HealthPoint, error) {
	f, t, err := usageSpan(from, to, time.Now())
	if err != nil {
		return nil, err
	}
	if from == "" {
		f = t.AddDate(0, 0, -179)
	}
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]HealthPoint, error) {
		if _, err := getCustomer(ctx, tx, p, customerID, false); err != nil {
			return nil, err
		}
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return nil, err
		}
		return healthHistory(ctx, tx, customerID, f, t)
	})
}

const healthHistoryQuery = `
SELECT day, score, level, computed_at FROM health_history
WHERE tenant_id = $1 AND customer_id = $2 AND day BETWEEN $3::date AND $4::date ORDER BY day`

func healthHistory(ctx context.Context, tx *Tx, customer uuid.UUID, from, to time.Time) ([]HealthPoint, error) {
	rows, err := tx.Query(ctx, healthHistoryQuery, tx.TenantID(), customer, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("health history: %w", err)
	}
	return collectHealthHistory(rows)
}

func collectHealthHistory(rows pgx.Rows) ([]HealthPoint, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HealthPoint, error) {
		var p HealthPoint
		var day time.Time
		err := r.Scan(&day, &p.Score, &p.Level, &p.ComputedAt)
		p.Day = day.Format(time.DateOnly)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("health history: %w", err)
	}
	if out == nil {
		out = []HealthPoint{}
	}
	return out, nil
}

// scored is one customer's new score, and its previous one.
type scored struct {
	customer uuid.UUID
	score    health.Score
	ok       bool
}

func (s scored) view(now time.Time) *CustomerHealth {
	h := &CustomerHealth{CustomerID: s.customer, Components: s.score.Components, Missing: s.score.Missing, ComputedAt: now}
	if s.ok {
		h.Score, h.Level = &s.score.Score, &s.score.Level
	}
	return h
}

// RecomputeHealth rescores customers (nil: every customer of the tenant
// that is not archived) as of now, in tx: it keeps each score with its
// explanation and the day's history, and records an event for each level
// change and each drop of more than the workspace's drop points.
func (tx *Tx) RecomputeHealth(ctx context.Context, customers []uuid.UUID, now time.Time) (HealthRun, error) {
	var run HealthRun
	cfg, err := loadHealthConfig(ctx, tx)
	if err != nil {
		return run, err
	}
	if customers == nil {
		if customers, err = tx.ScoredCustomers(ctx); err != nil {
			return run, err
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET health_recomputed_at = $2 WHERE tenant_id = $1`, tx.TenantID(), now); err != nil {
			return run, fmt.Errorf("recompute health: %w", err)
		}
	} else {
		// Only customers that exist (an event may name one deleted since).
		rows, err := tx.Query(ctx, `SELECT customer_id FROM customers WHERE tenant_id = $1 AND customer_id = ANY($2) ORDER BY customer_id`, tx.TenantID(), customers)
		if err != nil {
			return run, fmt.Errorf("recompute health: %w", err)
		}
		if customers, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
			return run, fmt.Errorf("recompute health: %w", err)
		}
	}
	if len(customers) == 0 {
		return run, nil
	}
	scores, err := scoreCustomers(ctx, tx, cfg, customers, now)
	if err != nil {
		return run, err
	}
	prev, err := previousScores(ctx, tx, customers)
	if err != nil {
		return run, err
	}
	if err := saveScores(ctx, tx, scores, now); err != nil {
		return run, err
	}
	run.Customers = len(scores)
	for _, s := range scores {
		if !s.ok {
			continue
		}
		run.Scored++
		p, had := prev[s.customer]
		if !had || p.Level == "" {
			continue
		}
		levelChanged, dropped := health.Change(p, s.score, cfg.DropPoints)
		customer := s.customer
		data := map[string]any{"score": s.score.Score, "previous_score": p.Score, "level": s.score.Level,
			"level_name": cfg.LevelName(s.score.Level), "previous_level": p.Level, "explanation": s.score.Explain()}
		if levelChanged {
			run.LevelChanges++
			if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventCustomerHealthLevelChanged, CustomerID: &customer, Data: data}); err != nil {
				return run, err
			}
		}
		if dropped {
			run.Drops++
			data["drop_points"] = cfg.DropPoints
			if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventCustomerHealthDropped, CustomerID: &customer, Data: data}); err != nil {
				return run, err
			}
		}
	}
	return run, nil
}

// RecomputeHealthIfDue rescores every customer of a tenant when its night
// has come (NightlyHealthHour in its time zone) and it was not rescored in
// the last 20 hours, or when it was not rescored for a day; it reports
// whether it ran.
func (tx *Tx) RecomputeHealthIfDue(ctx context.Context, now time.Time) (bool, HealthRun, error) {
	var zone string
	var last *time.Time
	if err := tx.QueryRow(ctx, `SELECT time_zone, health_recomputed_at FROM tenants WHERE tenant_id = $1`, tx.TenantID()).Scan(&zone, &last); err != nil {
		return false, HealthRun{}, fmt.Errorf("nightly health: %w", err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	due := last == nil || now.Sub(*last) >= 24*time.Hour ||
		now.In(loc).Hour() >= NightlyHealthHour && now.In(loc).Hour() < NightlyHealthHour+3 && now.Sub(*last) >= 20*time.Hour
	if !due {
		return false, HealthRun{}, nil
	}
	run, err := tx.RecomputeHealth(ctx, nil, now)
	return err == nil, run, err
}

func previousScores(ctx context.Context, tx *Tx, customers []uuid.UUID) (map[uuid.UUID]health.Score, error) {
	rows, err := tx.Query(ctx, `
SELECT customer_id, score, level FROM customer_health
WHERE tenant_id = $1 AND customer_id = ANY($2) AND score IS NOT NULL FOR UPDATE`, tx.TenantID(), customers)
	if err != nil {
		return nil, fmt.Errorf("previous health: %w", err)
	}
	out := map[uuid.UUID]health.Score{}
	var id uuid.UUID
	var s health.Score
	_, err = pgx.ForEachRow(rows, []any{&id, &s.Score, &s.Level}, func() error { out[id] = s; return nil })
	if err != nil {
		return nil, fmt.Errorf("previous health: %w", err)
	}
	return out, nil
}

// saveScores keeps the scores and the day's history, set based.
func saveScores(ctx context.Context, tx *Tx, scores []scored, now time.Time) error {
	n := len(scores)
	ids, points, levels, comps, missing := make([]uuid.UUID, n), make([]*int32, n), make([]*string, n), make([]string, n), make([]string, n)
	for i, s := range scores {
		ids[i] = s.customer
		if s.ok {
			v, l := int32(s.score.Score), s.score.Level
			points[i], levels[i] = &v, &l
		}
		c := s.score.Components
		if c == nil {
			c = []health.Component{}
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		comps[i] = string(b)
		m := s.score.Missing
		if m == nil {
			m = []string{}
		}
		b, err = json.Marshal(m)
		if err != nil {
			return err
		}
		missing[i] = string(b)
	}
	rows, err := tx.Query(ctx, `
INSERT INTO customer_health AS h (tenant_id, customer_id, score, level, components, missing, computed_at)
SELECT $1, u.c, u.s, u.l, u.j::jsonb, ARRAY(SELECT jsonb_array_elements_text(u.m::jsonb)), $7
FROM unnest($2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(c, s, l, j, m, i)
ORDER BY u.i
ON CONFLICT (tenant_id, customer_id) DO UPDATE SET score = excluded.score, level = excluded.level,
    components = excluded.components, missing = excluded.missing, computed_at = excluded.computed_at
RETURNING h.customer_id`, tx.TenantID(), ids, points, levels, comps, missing, now)
	if err != nil {
		return fmt.Errorf("save health: %w", err)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("save health: %w", err)
	}
	rows, err = tx.Query(ctx, `
INSERT INTO health_history AS h (tenant_id, customer_id, day, score, level, computed_at)
SELECT $1, u.c, $5::date, u.s, u.l, $6
FROM unnest($2::uuid[], $3::int[], $4::text[]) WITH ORDINALITY AS u(c, s, l, i)
WHERE u.s IS NOT NULL
ORDER BY u.i
ON CONFLICT (tenant_id, customer_id, day) DO UPDATE SET score = excluded.score, level = excluded.level, computed_at = excluded.computed_at
RETURNING h.customer_id`, tx.TenantID(), ids, points, levels, now.UTC().Format(time.DateOnly), now)
	if err != nil {
		return fmt.Errorf("save health history: %w", err)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("save health history: %w", err)
	}
	return nil
}

// scoreCustomers gathers the signals of customers (set based: a handful of
// queries whatever their number) and scores each, in the order given.
func scoreCustomers(ctx context.Context, tx *Tx, cfg health.Config, customers []uuid.UUID, now time.Time) ([]scored, error) {
	sig, err := gatherSignals(ctx, tx, customers, now)
	if err != nil {
		return nil, err
	}
	out := make([]scored, len(customers))
	for i, c := range customers {
		s := sig[c]
		if s == nil {
			s = &health.Signals{}
		}
		sc, ok := health.Compute(cfg, *s)
		out[i] = scored{customer: c, score: sc, ok: ok}
	}
	return out, nil
}

// usageDays reads the daily roll-ups (UTC days) behind the usage signals.
type usageDays struct {
	days      []health.Day
	firstSeen time.Time
}

// gatherSignals reads what is known of each customer as of now: usage from
// the daily roll-ups (UTC days; the 60 days to today), feature adoption,
// contacts as seats, blocked and escalated tasks and the onboarding's
// progress and lateness from the open projects, and survey answers.
func gatherSignals(ctx context.Context, tx *Tx, customers []uuid.UUID, now time.Time) (map[uuid.UUID]*health.Signals, error) {
	out := make(map[uuid.UUID]*health.Signals, len(customers))
	for _, c := range customers {
		out[c] = &health.Signals{}
	}
	today := now.UTC().Truncate(24 * time.Hour)
	start, prevStart := today.AddDate(0, 0, -29), today.AddDate(0, 0, -59)
	tenant := tx.TenantID()
	usage := map[uuid.UUID]*usageDays{}
	b := &pgx.Batch{}

	// First usage ever: one index probe per customer.
	b.Queue(`
SELECT c.customer_id, (SELECT d.day FROM usage_days d WHERE d.tenant_id = $1 AND d.customer_id = c.customer_id ORDER BY d.day LIMIT 1)
FROM customers c WHERE c.tenant_id = $1 AND c.customer_id = ANY($2)`, tenant, customers).Query(func(rows pgx.Rows) error {
		var id uuid.UUID
		var first *time.Time
		_, err := pgx.ForEachRow(rows, []any{&id, &first}, func() error {
			if first != nil {
				usage[id] = &usageDays{firstSeen: *first}
			}
			return nil
		})
		return err
	})
	// Events and distinct users per day, and the day's latest event
	// (cited).
	b.Queue(`
SELECT d.customer_id, d.day, d.events, d.users, d.last_key
FROM usage_days d
WHERE d.tenant_id = $1 AND d.customer_id = ANY($2) AND d.day BETWEEN $3::date AND $4::date`,
		tenant, customers, prevStart.Format(time.DateOnly), today.Format(time.DateOnly)).Query(func(rows pgx.Rows) error {
		var id uuid.UUID
		var day time.Time
		var events int64
		var users int
		var key *string
		_, err := pgx.ForEachRow(rows, []any{&id, &day, &events, &users, &key}, func() error {
			u := usage[id]
			if u == nil {
				return nil
			}
			d := health.Day{Date: day, Events: int(events), ActiveUsers: users}
			if key != nil {
				d.EventIDs = []string{*key}
			}
			u.days = append(u.days, d)
			return nil
		})
		return err
	})
	// Feature adoption: core features used in the last 30 days.
	var core int
	b.Queue(`SELECT count(*)::int FROM core_features WHERE tenant_id = $1`, tenant).QueryRow(func(row pgx.Row) error {
		return row.Scan(&core)
	})
	coreUsed := map[uuid.UUID]*health.Signal{}
	b.Queue(`
SELECT d.customer_id, count(DISTINCT d.name)::int,
       array_remove(array_agg(d.last_key ORDER BY d.last_at DESC NULLS LAST, d.last_key DESC), NULL)
FROM usage_daily d JOIN core_features f ON f.tenant_id = d.tenant_id AND f.name = d.name
WHERE d.tenant_id = $1 AND d.customer_id = ANY($2) AND d.day BETWEEN $3::date AND $4::date
GROUP BY d.customer_id`, tenant, customers, start.Format(time.DateOnly), today.Format(time.DateOnly)).Query(func(rows pgx.Rows) error {
		var id uuid.UUID
		var n int
		var keys []string
		_, err := pgx.ForEachRow(rows, []any{&id, &n, &keys}, func() error {
			coreUsed[id] = &health.Signal{Value: float64(n), EventIDs: firstN(keys, health.EvidenceEvents)}
			return nil
		})
		return err
	})
	// Seats: the customer's contacts who may sign in.
	b.Queue(`
SELECT customer_id, count(*)::int FROM tenant_users
WHERE tenant_id = $1 AND role = 'customer' AND customer_id = ANY($2) AND disabled_at IS NULL
GROUP BY customer_id`, tenant, customers).Query(func(rows pgx.Rows) error {
		var id uuid.UUID
		var n int
		_, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error {
			out[id].Seats = &health.Signal{Value: float64(n), EventIDs: []string{}}
			return nil
		})
		return err
	})
	// Blocked tasks and escalations (tasks overdue for longer than the
	// workspace escalates to admins) in the open projects.
	b.Queue(`
SELECT p.customer_id,
       count(*) FILTER (WHERE t.status = 'blocked')::int,
       count(*) FILTER (WHERE t.status NOT IN ('completed', 'cancelled') AND t.due_at < $3::timestamptz - make_interval(days => tn.escalate_to_admins_after_days))::int
FROM projects p
JOIN tenants tn ON tn.tenant_id = p.tenant_id
LEFT JOIN tasks t ON t.tenant_id = p.tenant_id AND t.project_id = p.project_id
WHERE p.tenant_id = $1 AND p.customer_id = ANY($2) AND p.status NOT IN ('completed', 'cancelled')
GROUP BY p.customer_id`, tenant, customers, now).Query(func(rows pgx.Rows) error {
		var id uuid.UUID
		var blocked, escalated int
		_, err := pgx.ForEachRow(rows, []any{&id, &blocked, &escalated}, func() error {
			s := out[id]
			s.BlockedTasks = &health.Signal{Value: float64(blocked), EventIDs: []string{}}
			s.Escalations = &health.Signal{Value: float64(escalated), EventIDs: []string{}}
			return nil
		})
		return err
	})
	// Onboarding progress and lateness: the open projects' mean progress
	// (100 when every project is completed) and the most days any open
	// project runs past its deadline (forecast or, past it, today).
	b.Queue(`
SELECT customer_id,
       coalesce(avg(progress) FILTER (WHERE status <> 'completed'), 100)::float8,
       coalesce(max(GREATEST(0, extract(epoch FROM GREATEST(coalesce(forecast_finish, $3::timestamptz), $3::timestamptz) - deadline) / 86400))
                FILTER (WHERE status <> 'completed' AND deadline IS NOT NULL), 0)::float8
FROM projects
WHERE tenant_id = $1 AND customer_id = ANY($2) AND status NOT IN ('cancelled')
GROUP BY customer_id`, tenant, customers, now).Query(func(rows pgx.Rows) error {
		var id uuid.UUID
		var progress, late float64
		_, err := pgx.ForEachRow(rows, []any{&id, &progress, &late}, func() error {
			s := out[id]
			s.OnboardingProgress = &health.Signal{Value: float64(int(progress*10+0.5)) / 10, EventIDs: []string{}}
			s.DaysLate = &health.Signal{Value: float64(int(late)), EventIDs: []string{}}
			return nil
		})
		return err
	})
	queueSurveySignals(b, tenant, customers, out, now)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("health signals: %w", err)
	}
	for id, u := range usage {
		s := out[id]
		s.DAU, s.DAUPrevious, s.ActiveDays = health.UsageSignals(u.days, now, time.UTC, u.firstSeen)
		if core > 0 {
			s.CoreFeatures = &health.Signal{Value: float64(core), EventIDs: []string{}}
			s.CoreFeaturesUsed = coreUsed[id]
			if s.CoreFeaturesUsed == nil {
				s.CoreFeaturesUsed = &health.Signal{EventIDs: []string{}}
			}
		}
	}
	return out, nil
}

// queueSurveySignals queues the read of the survey answers behind support
// sentiment (CSAT answers of 2 or less in the last 90 days, counted when
// the customer answered any CSAT then) and satisfaction (the latest CSAT
// and NPS answers).
func queueSurveySignals(b *pgx.Batch, tenant uuid.UUID, customers []uuid.UUID, out map[uuid.UUID]*health.Signals, now time.Time) {
	b.Queue(`
SELECT customer_id,
       count(*) FILTER (WHERE kind = 'csat' AND answered_at >= $3)::int,
       count(*) FILTER (WHERE kind = 'csat' AND answered_at >= $3 AND score <= 2)::int,
       (array_agg(score ORDER BY answered_at DESC) FILTER (WHERE kind = 'csat'))[1],
       (array_agg(score ORDER BY answered_at DESC) FILTER (WHERE kind = 'nps'))[1]
FROM survey_responses
WHERE tenant_id = $1 AND customer_id = ANY($2) AND answered_at <= $4
GROUP BY customer_id`, tenant, customers, now.AddDate(0, 0, -90), now).Query(func(rows pgx.Rows) error {
		var id uuid.UUID
		var recent, negative int
		var csat, nps *int
		_, err := pgx.ForEachRow(rows, []any{&id, &recent, &negative, &csat, &nps}, func() error {
			s := out[id]
			if recent > 0 {
				s.NegativeCSAT = &health.Signal{Value: float64(negative), EventIDs: []string{}}
			}
			if csat != nil {
				s.CSAT = &health.Signal{Value: float64(*csat), EventIDs: []string{}}
			}
			if nps != nil {
				s.NPS = &health.Signal{Value: float64(*nps), EventIDs: []string{}}
			}
			return nil
		})
		return err
	})
}

func firstN(s []string, n int) []string {
	if s == nil {
		return []string{}
	}
	return s[:min(n, len(s))]
}

// HealthFilter narrows and orders the health overview.
type HealthFilter struct {
	// Level keeps the customers at one risk level's key; "none" those
	// without a score.
	Level string
	// CSM keeps one CSM's customers: a user id, or "me".
	CSM string
	// Stage keeps the customers in one journey stage.
	Stage string
	// Sort orders the rows: score (the worst first; the default), -score,
	// trend (the steepest fall first), arr (the largest first), renewal
	// (the soonest first) or name.
	Sort string
}

// HealthSorts are the orders the overview takes.
var HealthSorts = []string{"score", "-score", "trend", "arr", "renewal", "name"}

// HealthRow is one customer in the health overview.
type HealthRow struct {
	CustomerID   uuid.UUID  `json:"customer_id"`
	CustomerName string     `json:"customer_name"`
	Score        *int       `json:"score"`
	Level        *string    `json:"level"`
	LevelName    string     `json:"level_name,omitempty"`
	Trend        *int       `json:"trend" doc:"Points gained (negative: lost) since the score nearest to 30 days ago; null without history."`
	ARR          *float64   `json:"arr"`
	RenewalDate  *string    `json:"renewal_date"`
	Stage        string     `json:"stage"`
	StageName    string     `json:"stage_name"`
	CSMID        *uuid.UUID `json:"csm_id"`
	CSMName      string     `json:"csm_name"`
	ComputedAt   *time.Time `json:"computed_at"`
}

// HealthOverview lists the customers that are not archived with their
// health, trend, ARR, renewal, stage and CSM (staff).
func (db *DB) HealthOverview(ctx context.Context, f HealthFilter) ([]HealthRow, error) {
	if f.Sort == "" {
		f.Sort = "score"
	}
	if !slices.Contains(HealthSorts, f.Sort) {
		return nil, onboardiq.Invalid("sort", "must be one of score, -score, trend, arr, renewal, name")
	}
	var csm *uuid.UUID
	if f.CSM != "" && f.CSM != "me" {
		id, err := uuid.Parse(f.CSM)
		if err != nil {
			return nil, onboardiq.Invalid("csm", "must be a user id or me")
		}
		csm = &id
	}
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]HealthRow, error) {
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return nil, err
		}
		if f.CSM == "me" {
			csm = &p.UserID
		}
		cfg, err := loadHealthConfig(ctx, tx)
		if err != nil {
			return nil, err
		}
		if f.Level != "" && f.Level != "none" && !slices.ContainsFunc(cfg.Levels, func(l health.Level) bool { return l.Key == f.Level }) {
			return nil, onboardiq.Invalid("level", "is not one of the workspace's levels")
		}
		journeys, err := loadJourney(ctx, tx)
		if err != nil {
			return nil, err
		}
		all, err := healthOverview(ctx, tx, cfg, journeys, time.Now())
		if err != nil {
			return nil, err
		}
		return filterHealthRows(all, f, csm), nil
	})
}

// healthOverview reads every active customer's row of the overview, by
// name.
func healthOverview(ctx context.Context, tx *Tx, cfg health.Config, js JourneySettings, now time.Time) ([]HealthRow, error) {
	rows, err := tx.Query(ctx, `
SELECT c.customer_id, c.name, h.score, h.level, h.computed_at,
       h.score - (SELECT hh.score FROM health_history hh WHERE hh.tenant_id = $1 AND hh.customer_id = c.customer_id
                  ORDER BY abs(hh.day - $2::date), hh.day LIMIT 1),
       c.arr::float8, to_char(c.renewal_date, 'YYYY-MM-DD'),
       coalesce((SELECT s.stage FROM customer_stages s WHERE s.tenant_id = $1 AND s.customer_id = c.customer_id
                 ORDER BY s.entered_at DESC, s.transition_id LIMIT 1), ''),
       c.support_member_id, coalesce(u.name, '')
FROM customers c
LEFT JOIN customer_health h ON h.tenant_id = c.tenant_id AND h.customer_id = c.customer_id
LEFT JOIN tenant_users u ON u.tenant_id = c.tenant_id AND u.user_id = c.support_member_id
WHERE c.tenant_id = $1 AND c.archived_at IS NULL
ORDER BY lower(c.name), c.customer_id`, tx.TenantID(), now.UTC().AddDate(0, 0, -30).Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("health overview: %w", err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HealthRow, error) {
		var h HealthRow
		err := r.Scan(&h.CustomerID, &h.CustomerName, &h.Score, &h.Level, &h.ComputedAt, &h.Trend, &h.ARR, &h.RenewalDate, &h.Stage, &h.CSMID, &h.CSMName)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("health overview: %w", err)
	}
	for i := range all {
		if h := &all[i]; h.Level != nil {
			h.LevelName = cfg.LevelName(*h.Level)
		}
		if h := &all[i]; h.Stage != "" {
			h.StageName = stageName(js.Stages, h.Stage)
		}
	}
	return all, nil
}

// filterHealthRows keeps the rows f (and csm, when not nil) select, in
// f's order.
func filterHealthRows(all []HealthRow, f HealthFilter, csm *uuid.UUID) []HealthRow {
	out := make([]HealthRow, 0, len(all))
	for _, h := range all {
		switch {
		case csm != nil && (h.CSMID == nil || *h.CSMID != *csm),
			f.Level == "none" && h.Score != nil,
			f.Level != "" && f.Level != "none" && (h.Level == nil || *h.Level != f.Level),
			f.Stage != "" && h.Stage != f.Stage:
			continue
		}
		out = append(out, h)
	}
	slices.SortStableFunc(out, func(a, b HealthRow) int { return compareHealthRows(a, b, f.Sort) })
	return out
}

// compareHealthRows orders two rows by sort; rows without the value come
// last, whatever the direction.
func compareHealthRows(a, b HealthRow, sort string) int {
	lastIfNil := func(x, y bool) (int, bool) {
		switch {
		case x && y:
			return 0, true
		case x:
			return 1, true
		case y:
			return -1, true
		}
		return 0, false
	}
	switch sort {
	case "score", "-score":
		if c, done := lastIfNil(a.Score == nil, b.Score == nil); done {
			return c
		}
		if sort == "score" {
			return *a.Score - *b.Score
		}
		return *b.Score - *a.Score
	case "trend":
		if c, done := lastIfNil(a.Trend == nil, b.Trend == nil); done {
			return c
		}
		return *a.Trend - *b.Trend
	case "arr":
		if c, done := lastIfNil(a.ARR == nil, b.ARR == nil); done {
			return c
		}
		switch {
		case *a.ARR > *b.ARR:
			return -1
		case *a.ARR < *b.ARR:
			return 1
		}
		return 0
	case "renewal":
		if c, done := lastIfNil(a.RenewalDate == nil, b.RenewalDate == nil); done {
			return c
		}
		return cmp.Compare(*a.RenewalDate, *b.RenewalDate)
	}
	return 0 // name: the query's order
}

// ScoredCustomers lists the customers of the tenant tx runs in that the
// nightly recompute rescores: every one not archived.
func (tx *Tx) ScoredCustomers(ctx context.Context) ([]uuid.UUID, error) {
	rows, err := tx.Query(ctx, `SELECT customer_id FROM customers WHERE tenant_id = $1 AND archived_at IS NULL ORDER BY customer_id`, tx.TenantID())
	if err != nil {
		return nil, fmt.Errorf("scored customers: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("scored customers: %w", err)
	}
	return ids, nil
}
