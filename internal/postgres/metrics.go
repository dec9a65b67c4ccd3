package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/metrics"
)

// MetricsQuery asks for onboarding metrics: grouped by template, CSM,
// segment or customer (GroupBy; empty: all in one group), per week or month
// (Period; empty: the whole span), over the days From to To (YYYY-MM-DD,
// both included, in the workspace's time zone; empty: the six months to
// today).
type MetricsQuery struct {
	GroupBy string
	Period  string
	From    string
	To      string
}

// OnboardingMetrics is the answer: the query as understood and one row per
// group and period (metrics.Row).
type OnboardingMetrics struct {
	GroupBy  string        `json:"group_by" doc:"template, csm, segment or customer; empty: all projects in one group."`
	Period   string        `json:"period" doc:"week, month, or empty for the whole span."`
	From     string        `json:"from" format:"date"`
	To       string        `json:"to" format:"date"`
	TimeZone string        `json:"time_zone" doc:"The workspace's time zone, which days and periods are counted in."`
	Rows     []metrics.Row `json:"rows"`
}

// Group names when a project has none of the key.
const (
	noTemplate = "No template"
	noCSM      = "No CSM"
	noSegment  = "No segment"
)

// metricsSpan reads from and to in loc: [from 00:00, the day after to
// 00:00). Without them it is the six months up to today.
func metricsSpan(from, to string, now time.Time, loc *time.Location) (f, t time.Time, err error) {
	if to == "" {
		y, m, d := now.In(loc).Date()
		t = time.Date(y, m, d, 0, 0, 0, 0, loc)
	} else if t, err = time.ParseInLocation(time.DateOnly, to, loc); err != nil {
		return f, t, onboardiq.Invalid("to", "must be a date, YYYY-MM-DD")
	}
	if from == "" {
		f = time.Date(t.Year(), t.Month()-5, 1, 0, 0, 0, 0, loc)
	} else if f, err = time.ParseInLocation(time.DateOnly, from, loc); err != nil {
		return f, t, onboardiq.Invalid("from", "must be a date, YYYY-MM-DD")
	}
	if t.Before(f) {
		return f, t, onboardiq.Invalid("to", "must not be before from")
	}
	if t.After(f.AddDate(5, 0, 0)) {
		return f, t, onboardiq.Invalid("from", "the span may be at most 5 years")
	}
	return f, t.AddDate(0, 0, 1), nil
}

// OnboardingMetrics computes the onboarding metrics (staff): the projects
// started in the span, each with its first value, completion and contacts,
// and the survey answers given in it, through metrics.Compute.
func (db *DB) OnboardingMetrics(ctx context.Context, q MetricsQuery) (*OnboardingMetrics, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*OnboardingMetrics, error) {
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return nil, err
		}
		return onboardingMetrics(ctx, tx, q, time.Now())
	})
}

func tenantLocation(ctx context.Context, tx *Tx) (*time.Location, error) {
	var tz string
	if err := tx.QueryRow(ctx, `SELECT time_zone FROM tenants WHERE tenant_id = $1`, tx.TenantID()).Scan(&tz); err != nil {
		return nil, fmt.Errorf("time zone: %w", err)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}

func onboardingMetrics(ctx context.Context, tx *Tx, q MetricsQuery, now time.Time) (*OnboardingMetrics, error) {
	if err := metrics.ValidateQuery(q.GroupBy, q.Period); err != nil {
		return nil, err
	}
	loc, err := tenantLocation(ctx, tx)
	if err != nil {
		return nil, err
	}
	from, to, err := metricsSpan(q.From, q.To, now, loc)
	if err != nil {
		return nil, err
	}
	in, err := gatherMetrics(ctx, tx, from, to)
	if err != nil {
		return nil, err
	}
	return &OnboardingMetrics{GroupBy: q.GroupBy, Period: q.Period, From: from.Format(time.DateOnly), To: to.AddDate(0, 0, -1).Format(time.DateOnly),
		TimeZone: loc.String(), Rows: in.rows(q.GroupBy, q.Period, loc)}, nil
}

// metricProject is a project with every key it may be grouped by.
type metricProject struct {
	metrics.Project
	id, customer                     uuid.UUID
	template, csm, segment, custName string
}

// metricInputs are what the metrics are computed from.
type metricInputs struct {
	projects []metricProject
	answers  []metrics.Answer
	// customers names each answer's customer's keys (template: of its
	// latest project) for grouping the answers, which carry
	// "customer_id" or "customer_id/project_id" as their Group.
	customers map[uuid.UUID]metricProject
	byProject map[uuid.UUID]metricProject
}

func groupOf(p metricProject, groupBy string) string {
	switch groupBy {
	case "template":
		return p.template
	case "csm":
		return p.csm
	case "segment":
		return p.segment
	case "customer":
		return p.custName
	}
	return ""
}

func (in *metricInputs) rows(groupBy, period string, loc *time.Location) []metrics.Row {
	projects := make([]metrics.Project, len(in.projects))
	for i, p := range in.projects {
		projects[i] = p.Project
		projects[i].Group = groupOf(p, groupBy)
	}
	answers := make([]metrics.Answer, 0, len(in.answers))
	for _, a := range in.answers {
		c, proj, _ := strings.Cut(a.Group, "/")
		var keys metricProject
		if id, err := uuid.Parse(proj); err == nil && in.byProject[id].id != uuid.Nil {
			keys = in.byProject[id]
		} else if id, err := uuid.Parse(c); err == nil {
			keys = in.customers[id]
		}
		if keys.custName == "" && groupBy != "" {
			continue // the customer is gone
		}
		a.Group = groupOf(keys, groupBy)
		answers = append(answers, a)
	}
	rows := metrics.Compute(projects, answers, metrics.Options{Period: period, Location: loc})
	if rows == nil {
		rows = []metrics.Row{}
	}
	return rows
}

// gatherMetrics reads the projects started in [from, to) (cancelled ones
// left out), their first value (the first value milestone's hit for the
// project, or for its customer), their customers' contacts and who of them
// signed in and reached the activation milestone, and the answers given in
// [from, to).
func gatherMetrics(ctx context.Context, tx *Tx, from, to time.Time) (*metricInputs, error) {
	in := &metricInputs{customers: map[uuid.UUID]metricProject{}, byProject: map[uuid.UUID]metricProject{}}
	rows, err := tx.Query(ctx, `
SELECT p.project_id, p.customer_id, p.start_date, p.deadline, p.completed_at,
       coalesce(t.name, ''), coalesce(sm.name, ''), c.segment, c.name,
       (SELECT min(h.reached_at) FROM milestone_hits h JOIN milestones m ON m.tenant_id = h.tenant_id AND m.milestone_id = h.milestone_id
        WHERE h.tenant_id = $1 AND m.tenant_id = $1 AND m.first_value AND h.customer_id = p.customer_id
          AND (h.project_id IS NULL OR h.project_id = p.project_id))
FROM projects p
JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id
LEFT JOIN templates t ON t.tenant_id = p.tenant_id AND t.template_id = p.template_id
LEFT JOIN support_members sm ON sm.tenant_id = c.tenant_id AND sm.support_member_id = c.support_member_id
WHERE p.tenant_id = $1 AND c.tenant_id = $1 AND p.start_date >= $2 AND p.start_date < $3 AND p.status <> 'cancelled'
ORDER BY p.start_date, p.project_id`, tx.TenantID(), from, to)
	if err != nil {
		return nil, fmt.Errorf("metrics projects: %w", err)
	}
	in.projects, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (metricProject, error) {
		var p metricProject
		err := r.Scan(&p.id, &p.customer, &p.Start, &p.Deadline, &p.Completed, &p.template, &p.csm, &p.segment, &p.custName, &p.FirstValue)
		p.template = orDefault(p.template, noTemplate)
		p.csm = orDefault(p.csm, noCSM)
		p.segment = orDefault(p.segment, noSegment)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("metrics projects: %w", err)
	}
	customers := map[uuid.UUID]bool{}
	for _, p := range in.projects {
		customers[p.customer] = true
		in.byProject[p.id] = p
	}
	activation, err := contactActivation(ctx, tx, customers)
	if err != nil {
		return nil, err
	}
	for i := range in.projects {
		p := &in.projects[i]
		p.Activated, p.Invited = metrics.Activation(activation[p.customer])
	}
	if in.answers, err = metricAnswers(ctx, tx, from, to); err != nil {
		return nil, err
	}
	if len(in.answers) > 0 {
		if err := answerCustomers(ctx, tx, in); err != nil {
			return nil, err
		}
	}
	return in, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// contactActivation returns, per customer, its contacts (not disabled):
// whether each signed in (an auth.signed_in event of theirs) and reached
// the activation milestone. For an event rule a contact reached it when the
// customer did and the contact sent the milestone's event (the roll-up's
// users name them by email); for a task rule, when the customer did.
func contactActivation(ctx context.Context, tx *Tx, customers map[uuid.UUID]bool) (map[uuid.UUID][]metrics.Contact, error) {
	out := map[uuid.UUID][]metrics.Contact{}
	if len(customers) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, 0, len(customers))
	for c := range customers {
		ids = append(ids, c)
	}
	rows, err := tx.Query(ctx, `
WITH act AS (SELECT milestone_id, rule->>'event' AS event FROM milestones WHERE tenant_id = $1 AND activation),
reached AS (
    SELECT DISTINCT h.customer_id FROM milestone_hits h JOIN act ON act.milestone_id = h.milestone_id
    WHERE h.tenant_id = $1 AND h.customer_id = ANY ($2)),
signed AS (
    SELECT DISTINCT e.actor_user_id FROM events e
    WHERE e.tenant_id = $1 AND e.kind = 'auth.signed_in' AND e.actor_user_id IS NOT NULL)
SELECT u.customer_id, s.actor_user_id IS NOT NULL,
       r.customer_id IS NOT NULL AND (act.event IS NULL OR EXISTS (
           SELECT FROM usage_daily_users d WHERE d.tenant_id = $1 AND d.customer_id = u.customer_id
             AND d.name = act.event AND d.user_email = u.email))
FROM tenant_users u
LEFT JOIN signed s ON s.actor_user_id = u.user_id
LEFT JOIN reached r ON r.customer_id = u.customer_id
LEFT JOIN act ON true
WHERE u.tenant_id = $1 AND u.role = 'customer' AND u.disabled_at IS NULL AND u.customer_id = ANY ($2)`, tx.TenantID(), ids)
	if err != nil {
		return nil, fmt.Errorf("metrics contacts: %w", err)
	}
	var c uuid.UUID
	var k metrics.Contact
	_, err = pgx.ForEachRow(rows, []any{&c, &k.SignedIn, &k.Reached}, func() error { out[c] = append(out[c], k); return nil })
	if err != nil {
		return nil, fmt.Errorf("metrics contacts: %w", err)
	}
	return out, nil
}

// metricAnswers returns the CSAT and NPS answers given in [from, to), each
// with Group "customer_id" or, when it is about a project,
// "customer_id/project_id" (rows regroups them by the query's key).
func metricAnswers(ctx context.Context, tx *Tx, from, to time.Time) ([]metrics.Answer, error) {
	rows, err := tx.Query(ctx, `
SELECT customer_id::text || coalesce('/' || project_id::text, ''), kind, score, answered_at
FROM survey_responses WHERE tenant_id = $1 AND answered_at >= $2 AND answered_at < $3`, tx.TenantID(), from, to)
	if err != nil {
		return nil, fmt.Errorf("metric answers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (metrics.Answer, error) {
		var a metrics.Answer
		return a, r.Scan(&a.Group, &a.Kind, &a.Score, &a.At)
	})
	if err != nil {
		return nil, fmt.Errorf("metric answers: %w", err)
	}
	return out, nil
}

// answerCustomers names the keys of the customers the answers are of that
// no project of the span brought: its segment, CSM, name and the template
// of its latest project.
func answerCustomers(ctx context.Context, tx *Tx, in *metricInputs) error {
	ids := map[uuid.UUID]bool{}
	for _, a := range in.answers {
		c, _, _ := strings.Cut(a.Group, "/")
		if id, err := uuid.Parse(c); err == nil {
			ids[id] = true
		}
	}
	list := make([]uuid.UUID, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	rows, err := tx.Query(ctx, `
SELECT c.customer_id, c.name, c.segment, coalesce(sm.name, ''),
       coalesce((SELECT t.name FROM projects p JOIN templates t ON t.tenant_id = p.tenant_id AND t.template_id = p.template_id
                 WHERE p.tenant_id = $1 AND t.tenant_id = $1 AND p.customer_id = c.customer_id ORDER BY p.start_date DESC LIMIT 1), '')
FROM customers c
LEFT JOIN support_members sm ON sm.tenant_id = c.tenant_id AND sm.support_member_id = c.support_member_id
WHERE c.tenant_id = $1 AND c.customer_id = ANY ($2)`, tx.TenantID(), list)
	if err != nil {
		return fmt.Errorf("metrics customers: %w", err)
	}
	var p metricProject
	_, err = pgx.ForEachRow(rows, []any{&p.customer, &p.custName, &p.segment, &p.csm, &p.template}, func() error {
		q := p
		q.template, q.csm, q.segment = orDefault(q.template, noTemplate), orDefault(q.csm, noCSM), orDefault(q.segment, noSegment)
		in.customers[q.customer] = q
		return nil
	})
	return err
}

// MetricsPage is the success-metrics dashboard: the trend of every metric
// over the periods (all projects in one group), the table by the chosen
// key over the whole span, and the milestones.
type MetricsPage struct {
	Trend      *OnboardingMetrics
	Table      *OnboardingMetrics
	Milestones []Milestone
	Unread     int
}

// LoadMetricsPage reads the dashboard in one transaction (staff): q's
// Period buckets the trend, its GroupBy keys the table.
func (db *DB) LoadMetricsPage(ctx context.Context, q MetricsQuery) (*MetricsPage, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*MetricsPage, error) {
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return nil, err
		}
		if err := metrics.ValidateQuery(q.GroupBy, q.Period); err != nil {
			return nil, err
		}
		loc, err := tenantLocation(ctx, tx)
		if err != nil {
			return nil, err
		}
		from, to, err := metricsSpan(q.From, q.To, time.Now(), loc)
		if err != nil {
			return nil, err
		}
		in, err := gatherMetrics(ctx, tx, from, to)
		if err != nil {
			return nil, err
		}
		span := func(groupBy, period string) *OnboardingMetrics {
			return &OnboardingMetrics{GroupBy: groupBy, Period: period, From: from.Format(time.DateOnly), To: to.AddDate(0, 0, -1).Format(time.DateOnly),
				TimeZone: loc.String(), Rows: in.rows(groupBy, period, loc)}
		}
		out := &MetricsPage{Trend: span("", q.Period), Table: span(q.GroupBy, "")}
		if out.Milestones, err = listMilestones(ctx, tx); err != nil {
			return nil, err
		}
		return out, tx.QueryRow(ctx, unreadQuery, tx.TenantID(), p.UserID).Scan(&out.Unread)
	})
}
