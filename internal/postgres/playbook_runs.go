package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/health"
	"github.com/onboardiq/onboardiq/internal/playbook"
)

// Runs: an event (the fan-out's "playbooks" consumer, TriggerPlaybooks), the
// hourly schedule check (RunPlaybookSchedules) or a person (RunPlaybook)
// starts a run of a playbook on a subject. The store gathers the subject's
// facts, internal/playbook evaluates the conditions, and the run is
// recorded once per trigger key and subject (the unique index on
// playbook_runs): a repeated event runs nothing again. A run that acts
// records its actions and enqueues the first; each action's job does it
// and enqueues the next (playbook_actions.go).

// subject is what a run is about: a customer, or one of its projects.
type subject struct {
	customer uuid.UUID
	project  *uuid.UUID
}

func (s subject) key() string {
	if s.project != nil {
		return "project:" + s.project.String()
	}
	return "customer:" + s.customer.String()
}

// runStart is how a run started.
type runStart struct {
	trigger  string // the event kind, schedule:KIND or manual
	key      string // event:ID, schedule:KIND:DAY or manual:ID
	eventID  *int64
	evidence []string
	by       *uuid.UUID // who ran it by hand
	schedule bool
}

// activeProjectStatuses are the statuses of a project still being run.
var activeProjectStatuses = []string{string(onboardiq.StatusNotStarted), string(onboardiq.StatusInProgress), string(onboardiq.StatusBlocked)}

// gatherFacts reads what the playbook package needs about each subject, in
// one round trip whatever their number: the customer (with its CSM, stage
// and health), its project (the subject's, else the customer's active
// one), the event's task, and the signals of the schedule trigger t.
func gatherFacts(ctx context.Context, tx *Tx, subs []subject, e *onboardiq.Event, t *onboardiq.PlaybookTrigger, now time.Time) (map[string]*playbook.Facts, error) {
	out := make(map[string]*playbook.Facts, len(subs))
	if len(subs) == 0 {
		return out, nil
	}
	var customers, projects []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for _, s := range subs {
		if !seen[s.customer] {
			seen[s.customer] = true
			customers = append(customers, s.customer)
		}
		if s.project != nil {
			projects = append(projects, *s.project)
		}
	}
	var cfgRaw, stagesRaw, rulesRaw []byte
	byCustomer := map[uuid.UUID]*playbook.CustomerFacts{}
	created := map[uuid.UUID]time.Time{}
	byProject := map[uuid.UUID]*playbook.ProjectFacts{}
	projectOf := map[uuid.UUID]uuid.UUID{} // project → customer
	atRisk := map[uuid.UUID]string{}       // project → reason, for at-risk projects
	active := map[uuid.UUID]uuid.UUID{}    // customer → its active project
	var task *playbook.TaskFacts
	lastActivity := map[uuid.UUID]time.Time{}
	type usage struct{ recent, previous float64 }
	usageOf := map[uuid.UUID]usage{}
	belowSince := map[uuid.UUID]time.Time{}
	var blocked []struct {
		customer, project uuid.UUID
		task              playbook.BlockedTask
	}

	b := &pgx.Batch{}
	b.Queue(`SELECT health_config, journey_stages, journey_rules FROM tenants WHERE tenant_id = $1`, tx.TenantID()).QueryRow(func(row pgx.Row) error {
		return row.Scan(&cfgRaw, &stagesRaw, &rulesRaw)
	})
	b.Queue(`
SELECT c.customer_id, c.name, coalesce(c.external_id, ''), c.segment, c.lifecycle_status, c.arr::float8, c.renewal_date, c.custom_fields, c.created_at,
       s.user_id, coalesce(s.name, ''), coalesce(s.email, ''),
       coalesce((SELECT st.stage FROM customer_stages st WHERE st.tenant_id = c.tenant_id AND st.customer_id = c.customer_id
                 ORDER BY st.entered_at DESC, st.transition_id LIMIT 1), ''),
       h.score, coalesce(h.level, ''), coalesce(h.components, '[]'), h.computed_at,
       (SELECT hh.score FROM health_history hh WHERE hh.tenant_id = c.tenant_id AND hh.customer_id = c.customer_id
          AND hh.day < (h.computed_at AT TIME ZONE 'UTC')::date ORDER BY hh.day DESC LIMIT 1)
FROM customers c
LEFT JOIN tenant_users s ON s.tenant_id = c.tenant_id AND s.user_id = c.support_member_id
LEFT JOIN customer_health h ON h.tenant_id = c.tenant_id AND h.customer_id = c.customer_id
WHERE c.tenant_id = $1 AND c.customer_id = ANY ($2)`, tx.TenantID(), customers).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			c := &playbook.CustomerFacts{}
			var renewal *time.Time
			var at time.Time
			var csm *uuid.UUID
			var csmName, csmEmail string
			var score, previous *int
			var level string
			var components []health.Component
			var computed *time.Time
			if err := rows.Scan(&c.ID, &c.Name, &c.ExternalID, &c.Segment, &c.Lifecycle, &c.ARR, &renewal, &c.Custom, &at,
				&csm, &csmName, &csmEmail, &c.Stage, &score, &level, &components, &computed, &previous); err != nil {
				return err
			}
			if renewal != nil {
				d := time.Date(renewal.Year(), renewal.Month(), renewal.Day(), 0, 0, 0, 0, time.UTC)
				c.RenewalDate = &d
			}
			if csm != nil {
				c.CSM = &playbook.Person{ID: *csm, Name: csmName, Email: csmEmail}
			}
			if score != nil && computed != nil {
				c.Health = &playbook.Health{Score: *score, PreviousScore: previous, Level: level, Components: components, ComputedAt: *computed}
			}
			byCustomer[c.ID] = c
			created[c.ID] = at
		}
		return rows.Err()
	})
	b.Queue(`
SELECT p.project_id, p.customer_id, p.name, p.status, coalesce(t.name, ''), p.progress::float8, p.deadline, p.custom_fields,
       p.at_risk, coalesce(p.risk_reason, ''), p.start_date
FROM projects p
LEFT JOIN templates t ON t.tenant_id = p.tenant_id AND t.template_id = p.template_id
WHERE p.tenant_id = $1 AND (p.project_id = ANY ($2) OR (p.customer_id = ANY ($3) AND p.status = ANY ($4)))
ORDER BY p.start_date, p.project_id`, tx.TenantID(), projects, customers, activeProjectStatuses).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			pf := &playbook.ProjectFacts{}
			var customer uuid.UUID
			var progress float64
			var risky bool
			var reason string
			var start time.Time
			if err := rows.Scan(&pf.ID, &customer, &pf.Name, &pf.Status, &pf.Template, &progress, &pf.Deadline, &pf.Custom, &risky, &reason, &start); err != nil {
				return err
			}
			pf.Progress = int(math.Round(progress))
			if pf.Deadline != nil && now.After(*pf.Deadline) && pf.Status != string(onboardiq.StatusCompleted) && pf.Status != string(onboardiq.StatusCancelled) {
				pf.DaysLate = int(now.Sub(*pf.Deadline).Hours() / 24)
			}
			byProject[pf.ID] = pf
			projectOf[pf.ID] = customer
			if risky {
				atRisk[pf.ID] = reason
			}
			switch pf.Status {
			case string(onboardiq.StatusNotStarted), string(onboardiq.StatusInProgress), string(onboardiq.StatusBlocked):
				active[customer] = pf.ID // the latest started wins
			}
		}
		return rows.Err()
	})
	if e != nil && e.TaskID != nil {
		b.Queue(`SELECT task_id, description, status, phase, visibility = 'customer', coalesce(blocked_reason, ''), due_at FROM tasks WHERE tenant_id = $1 AND task_id = $2`,
			tx.TenantID(), *e.TaskID).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				task = &playbook.TaskFacts{}
				if err := rows.Scan(&task.ID, &task.Title, &task.Status, &task.Phase, &task.VisibleToCustomer, &task.BlockedReason, &task.Due); err != nil {
					return err
				}
			}
			return rows.Err()
		})
	}
	if t != nil {
		days := max(t.Days, 1)
		switch t.Schedule {
		case onboardiq.ScheduleNoActivity:
			since := now.AddDate(0, 0, -days-1)
			b.Queue(`
SELECT customer_id, max(last_at) FROM usage_days WHERE tenant_id = $1 AND customer_id = ANY ($2) AND day >= $3::date AND last_at IS NOT NULL GROUP BY customer_id
UNION ALL
SELECT u.customer_id, max(e.occurred_at) FROM events e
JOIN tenant_users u ON u.tenant_id = e.tenant_id AND u.user_id = e.actor_user_id
WHERE e.tenant_id = $1 AND u.role = 'customer' AND u.customer_id = ANY ($2) AND e.occurred_at >= $3
GROUP BY u.customer_id`, tx.TenantID(), customers, since).Query(func(rows pgx.Rows) error {
				var c uuid.UUID
				var at time.Time
				_, err := pgx.ForEachRow(rows, []any{&c, &at}, func() error {
					if at.After(lastActivity[c]) {
						lastActivity[c] = at
					}
					return nil
				})
				return err
			})
		case onboardiq.ScheduleUsageChange:
			today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
			b.Queue(`
SELECT customer_id, coalesce(sum(events) FILTER (WHERE day >= $3::date), 0)::float8, coalesce(sum(events) FILTER (WHERE day < $3::date), 0)::float8
FROM usage_days WHERE tenant_id = $1 AND customer_id = ANY ($2) AND day >= $4::date AND day < $5::date
GROUP BY customer_id`, tx.TenantID(), customers, today.AddDate(0, 0, -days), today.AddDate(0, 0, -2*days), today.AddDate(0, 0, 1)).Query(func(rows pgx.Rows) error {
				var c uuid.UUID
				var u usage
				_, err := pgx.ForEachRow(rows, []any{&c, &u.recent, &u.previous}, func() error { usageOf[c] = u; return nil })
				return err
			})
		case onboardiq.ScheduleHealthBelow:
			b.Queue(`
SELECT h.customer_id, coalesce(min(hh.day)::timestamptz, h.computed_at)
FROM customer_health h
LEFT JOIN health_history hh ON hh.tenant_id = h.tenant_id AND hh.customer_id = h.customer_id AND hh.score < $3
  AND hh.day > coalesce((SELECT max(x.day) FROM health_history x WHERE x.tenant_id = h.tenant_id AND x.customer_id = h.customer_id AND x.score >= $3), '-infinity'::date)
WHERE h.tenant_id = $1 AND h.customer_id = ANY ($2) AND h.score < $3
GROUP BY h.customer_id, h.computed_at`, tx.TenantID(), customers, t.Score).Query(func(rows pgx.Rows) error {
				var c uuid.UUID
				var at time.Time
				_, err := pgx.ForEachRow(rows, []any{&c, &at}, func() error { belowSince[c] = at; return nil })
				return err
			})
		case onboardiq.ScheduleTaskBlocked:
			b.Queue(`
SELECT p.customer_id, p.project_id, t.task_id, t.description,
       coalesce((SELECT max(e.occurred_at) FROM events e WHERE e.tenant_id = t.tenant_id AND e.task_id = t.task_id AND e.kind = 'task.blocked'), t.updated_at)
FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
WHERE t.tenant_id = $1 AND t.status = 'blocked' AND p.customer_id = ANY ($2) AND p.status = ANY ($3)
ORDER BY t.position, t.task_id`, tx.TenantID(), customers, activeProjectStatuses).Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var bt struct {
						customer, project uuid.UUID
						task              playbook.BlockedTask
					}
					if err := rows.Scan(&bt.customer, &bt.project, &bt.task.ID, &bt.task.Title, &bt.task.Since); err != nil {
						return err
					}
					blocked = append(blocked, bt)
				}
				return rows.Err()
			})
		}
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("playbook facts: %w", err)
	}
	cfg, err := parseHealthConfig(cfgRaw)
	if err != nil {
		return nil, err
	}
	js, err := journeyFrom(stagesRaw, rulesRaw)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		c, ok := byCustomer[s.customer]
		if !ok {
			continue // deleted since
		}
		cf := *c
		cf.StageName = stageName(js.Stages, cf.Stage)
		if c.Health != nil {
			h := *c.Health
			h.LevelName = cfg.LevelName(h.Level)
			cf.Health = &h
		}
		f := &playbook.Facts{Now: now, Customer: cf, Event: e, Task: task}
		pid := s.project
		if pid == nil {
			if a, ok := active[s.customer]; ok {
				pid = &a
			}
		}
		if pid != nil {
			if p, ok := byProject[*pid]; ok && projectOf[*pid] == s.customer {
				f.Project = p
				if reason, risky := atRisk[p.ID]; risky {
					f.AtRisk, f.AtRiskReason = true, reason
				}
			}
		}
		if e != nil && e.Kind == onboardiq.EventCustomerHealthLevelChanged || e != nil && e.Kind == onboardiq.EventCustomerHealthDropped {
			if prev, ok := e.Data["previous_score"].(float64); ok && f.Customer.Health != nil {
				p := int(prev)
				f.Customer.Health.PreviousScore = &p
			}
		}
		if t != nil {
			switch t.Schedule {
			case onboardiq.ScheduleNoActivity:
				if at, ok := lastActivity[s.customer]; ok {
					f.LastActivityAt = &at
				} else if at := created[s.customer]; at.After(now.AddDate(0, 0, -max(t.Days, 1)-1)) {
					f.LastActivityAt = &at // a new customer has not been quiet yet
				}
			case onboardiq.ScheduleUsageChange:
				if u, ok := usageOf[s.customer]; ok {
					f.UsageRecent, f.UsagePrevious = &u.recent, &u.previous
				}
			case onboardiq.ScheduleHealthBelow:
				if at, ok := belowSince[s.customer]; ok {
					f.HealthBelowSince = &at
				}
			case onboardiq.ScheduleTaskBlocked:
				for _, bt := range blocked {
					if bt.customer == s.customer && (s.project == nil || *s.project == bt.project) {
						f.Blocked = append(f.Blocked, bt.task)
					}
				}
			}
		}
		out[s.key()] = f
	}
	return out, nil
}

// PlaybookActionArgs asks for one action of a run to be done. The job is
// unique per action, and the action's row says whether it was done: a job
// run twice does it once.
type PlaybookActionArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	RunID    uuid.UUID `json:"run_id"`
	Index    int       `json:"index"`
}

// Kind is River's name for the job.
func (PlaybookActionArgs) Kind() string { return "playbook_action" }

// PlaybookActionAttempts is how many times an action that fails on an
// error (not on its own terms: "no active project" is final) is tried.
const PlaybookActionAttempts = 5

// InsertOpts: one job per action, a few attempts.
func (PlaybookActionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: PlaybookActionAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// PlaybookScanArgs is the hourly job that enqueues each tenant's check of
// its schedule playbooks.
type PlaybookScanArgs struct{}

// Kind is River's name for the job.
func (PlaybookScanArgs) Kind() string { return "playbook_scan" }

// PlaybookTenantArgs checks one tenant's schedule playbooks.
type PlaybookTenantArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// Kind is River's name for the job.
func (PlaybookTenantArgs) Kind() string { return "playbook_scan_tenant" }

// startRun records a run of pb on sub and, when it acts, its actions and
// the first action's job. It returns the run's id, or nil when the
// playbook already ran for this trigger key and subject, or (for a
// schedule) when it would only be skipped.
func startRun(ctx context.Context, tx *Tx, pb *onboardiq.Playbook, sub subject, rs runStart, f *playbook.Facts, now time.Time) (*uuid.UUID, error) {
	// One run of a playbook at a time decides its cooldown and cap.
	if _, err := tx.Exec(ctx, `SELECT 1 FROM playbooks WHERE tenant_id = $1 AND playbook_id = $2 FOR UPDATE`, tx.TenantID(), pb.ID); err != nil {
		return nil, err
	}
	ok, seen := playbook.Evaluate(pb.Conditions, f)
	status, reason := "running", ""
	if !ok {
		status, reason = "skipped", "the conditions did not hold"
	}
	if ok && rs.by == nil {
		var err error
		if status, reason, err = heldBack(ctx, tx, pb, sub, now); err != nil {
			return nil, err
		}
	}
	if status == "skipped" && rs.schedule {
		return nil, nil
	}
	facts, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	evidence := rs.evidence
	if evidence == nil {
		evidence = []string{}
	}
	var id uuid.UUID
	var finished *time.Time
	if status == "skipped" {
		finished = &now
	}
	err = tx.QueryRow(ctx, `
INSERT INTO playbook_runs (tenant_id, playbook_id, trigger, trigger_key, subject_key, event_id, customer_id, project_id, status, reason,
    conditions, evidence, facts, by_user, started_at, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
ON CONFLICT (tenant_id, playbook_id, trigger_key, subject_key) DO NOTHING
RETURNING run_id`, tx.TenantID(), pb.ID, rs.trigger, rs.key, sub.key(), rs.eventID, sub.customer, projectOfRun(sub, f), status, reason,
		seen, evidence, facts, rs.by, now, finished).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil // ran before for this trigger
	}
	if err != nil {
		return nil, fmt.Errorf("record run: %w", err)
	}
	if status == "skipped" {
		return &id, nil
	}
	b := &pgx.Batch{}
	for i, a := range pb.Actions {
		b.Queue(`INSERT INTO playbook_actions (tenant_id, run_id, idx, type, action, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6)`,
			tx.TenantID(), id, i, a.Type, a, actionKey(id, i))
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("record actions: %w", err)
	}
	return &id, tx.Enqueue(ctx, PlaybookActionArgs{TenantID: tx.TenantID(), RunID: id, Index: 0})
}

// actionKey is an action's idempotency key: the run and the action's place.
func actionKey(run uuid.UUID, i int) string { return fmt.Sprintf("pb:%s:%d", run, i) }

// projectOfRun is the project a run names: the subject's, or the project
// the facts found for a customer.
func projectOfRun(sub subject, f *playbook.Facts) *uuid.UUID {
	if sub.project != nil {
		return sub.project
	}
	if f.Project != nil && f.Event != nil && f.Event.ProjectID != nil && *f.Event.ProjectID == f.Project.ID {
		return &f.Project.ID
	}
	return nil
}

// heldBack says whether the cooldown or the daily cap holds a run back.
func heldBack(ctx context.Context, tx *Tx, pb *onboardiq.Playbook, sub subject, now time.Time) (status, reason string, err error) {
	if pb.CooldownMinutes > 0 {
		var last *time.Time
		if err := tx.QueryRow(ctx, `SELECT max(started_at) FROM playbook_runs WHERE tenant_id = $1 AND playbook_id = $2 AND subject_key = $3 AND status <> 'skipped'`,
			tx.TenantID(), pb.ID, sub.key()).Scan(&last); err != nil {
			return "", "", err
		}
		cool := time.Duration(pb.CooldownMinutes) * time.Minute
		if last != nil && now.Sub(*last) < cool {
			return "skipped", fmt.Sprintf("cooling down: it ran on this %s at %s; the cooldown of %d minutes ends at %s", subjectNoun(sub),
				last.UTC().Format("2006-01-02 15:04 UTC"), pb.CooldownMinutes, last.Add(cool).UTC().Format("2006-01-02 15:04 UTC")), nil
		}
	}
	if pb.MaxRunsPerDay > 0 {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM playbook_runs WHERE tenant_id = $1 AND playbook_id = $2 AND status <> 'skipped' AND started_at > $3`,
			tx.TenantID(), pb.ID, now.Add(-24*time.Hour)).Scan(&n); err != nil {
			return "", "", err
		}
		if n >= pb.MaxRunsPerDay {
			return "skipped", fmt.Sprintf("the cap of %d runs in 24 hours was reached", pb.MaxRunsPerDay), nil
		}
	}
	return "running", "", nil
}

func subjectNoun(s subject) string {
	if s.project != nil {
		return "project"
	}
	return "customer"
}

// eventSubject is the subject an event names for a playbook.
func eventSubject(pb *onboardiq.Playbook, e *onboardiq.Event) subject {
	s := subject{customer: *e.CustomerID}
	if pb.Subject == "project" {
		s.project = e.ProjectID
	}
	return s
}

// TriggerPlaybooks runs every enabled playbook that e triggers, once (the
// fan-out's "playbooks" consumer). It returns how many runs it recorded.
func (tx *Tx) TriggerPlaybooks(ctx context.Context, e *onboardiq.Event, now time.Time) (int, error) {
	if e.CustomerID == nil {
		return 0, nil
	}
	all, err := listPlaybooks(ctx, tx, ` AND pb.enabled AND pb.trigger_event = $2`, string(e.Kind))
	if err != nil {
		return 0, err
	}
	var matched []*onboardiq.Playbook
	var subs []subject
	for _, s := range all {
		if playbook.MatchEvent(s.Playbook, e) {
			matched = append(matched, s.Playbook)
			subs = append(subs, eventSubject(s.Playbook, e))
		}
	}
	if len(matched) == 0 {
		return 0, nil
	}
	facts, err := gatherFacts(ctx, tx, subs, e, nil, now)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, pb := range matched {
		f, ok := facts[subs[i].key()]
		if !ok {
			continue // the customer is gone
		}
		id, err := startRun(ctx, tx, pb, subs[i], runStart{trigger: string(e.Kind), key: fmt.Sprintf("event:%d", e.ID), eventID: &e.ID}, f, now)
		if err != nil {
			return n, fmt.Errorf("playbook %q: %w", pb.Name, err)
		}
		if id != nil {
			n++
		}
	}
	return n, nil
}

// scheduleSubjects lists what a schedule playbook checks: the customers not
// archived, or their active projects.
func scheduleSubjects(ctx context.Context, tx *Tx, pb *onboardiq.Playbook) ([]subject, error) {
	if pb.Subject == "project" {
		rows, err := tx.Query(ctx, `
SELECT p.customer_id, p.project_id FROM projects p JOIN customers c ON c.tenant_id = p.tenant_id AND c.customer_id = p.customer_id
WHERE p.tenant_id = $1 AND p.status = ANY ($2) AND c.archived_at IS NULL ORDER BY p.project_id`, tx.TenantID(), activeProjectStatuses)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (subject, error) {
			var s subject
			var p uuid.UUID
			err := r.Scan(&s.customer, &p)
			s.project = &p
			return s, err
		})
	}
	rows, err := tx.Query(ctx, `SELECT customer_id FROM customers WHERE tenant_id = $1 AND archived_at IS NULL ORDER BY customer_id`, tx.TenantID())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (subject, error) {
		var s subject
		return s, r.Scan(&s.customer)
	})
}

// RunPlaybookSchedules checks every enabled schedule playbook of the
// tenant tx runs in and runs it on each subject its schedule holds for, at
// most once a (UTC) day per subject. The hourly per-tenant job calls it.
func (tx *Tx) RunPlaybookSchedules(ctx context.Context, now time.Time) (int, error) {
	all, err := listPlaybooks(ctx, tx, ` AND pb.enabled AND pb.trigger_schedule IS NOT NULL`)
	if err != nil {
		return 0, err
	}
	n := 0
	day := now.UTC().Format("2006-01-02")
	for _, s := range all {
		pb := s.Playbook
		subs, err := scheduleSubjects(ctx, tx, pb)
		if err != nil {
			return n, err
		}
		facts, err := gatherFacts(ctx, tx, subs, nil, &pb.Trigger, now)
		if err != nil {
			return n, err
		}
		for _, sub := range subs {
			f, ok := facts[sub.key()]
			if !ok {
				continue
			}
			due, evidence := playbook.Due(pb.Trigger, f)
			if !due {
				continue
			}
			id, err := startRun(ctx, tx, pb, sub, runStart{trigger: "schedule:" + pb.Trigger.Schedule,
				key: "schedule:" + pb.Trigger.Schedule + ":" + day, evidence: evidence, schedule: true}, f, now)
			if err != nil {
				return n, fmt.Errorf("playbook %q: %w", pb.Name, err)
			}
			if id != nil {
				n++
			}
		}
	}
	return n, nil
}

// RunPlaybook runs a playbook by hand on a customer (managers), enabled or
// not, without its trigger and past its cooldown and cap: its conditions
// are recorded, and its actions run only when they hold.
func (db *DB) RunPlaybook(ctx context.Context, id uuid.UUID, in RunInput) (*onboardiq.PlaybookRun, error) {
	var out *onboardiq.PlaybookRun
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.RunPlaybooks); err != nil {
			return err
		}
		s, err := getPlaybook(ctx, tx, id, false)
		if err != nil {
			return err
		}
		sub, err := manualSubject(ctx, tx, p, s.Playbook, in)
		if err != nil {
			return err
		}
		now := time.Now()
		facts, err := gatherFacts(ctx, tx, []subject{sub}, nil, nil, now)
		if err != nil {
			return err
		}
		runID, err := startRun(ctx, tx, s.Playbook, sub, runStart{trigger: "manual", key: "manual:" + uuid.NewString(), by: &p.UserID}, facts[sub.key()], now)
		if err != nil {
			return err
		}
		out, err = getRun(ctx, tx, *runID)
		return err
	})
	return out, err
}

// manualSubject checks the subject a person named.
func manualSubject(ctx context.Context, tx *Tx, p *onboardiq.Principal, pb *onboardiq.Playbook, in RunInput) (subject, error) {
	c, err := getCustomer(ctx, tx, p, in.CustomerID, false)
	if onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND {
		return subject{}, onboardiq.Invalid("customer_id", "no such customer")
	}
	if err != nil {
		return subject{}, err
	}
	sub := subject{customer: c.ID}
	if in.ProjectID != nil {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM projects WHERE tenant_id = $1 AND project_id = $2 AND customer_id = $3)`,
			tx.TenantID(), *in.ProjectID, c.ID).Scan(&ok); err != nil {
			return sub, err
		}
		if !ok {
			return sub, onboardiq.Invalid("project_id", "is not a project of this customer")
		}
		if pb.Subject == "project" {
			sub.project = in.ProjectID
		}
		return sub, nil
	}
	if pb.Subject == "project" {
		var pid uuid.UUID
		err := tx.QueryRow(ctx, `SELECT project_id FROM projects WHERE tenant_id = $1 AND customer_id = $2 AND status = ANY ($3) ORDER BY start_date DESC, project_id LIMIT 1`,
			tx.TenantID(), c.ID, activeProjectStatuses).Scan(&pid)
		if errors.Is(err, pgx.ErrNoRows) {
			return sub, onboardiq.Invalid("project_id", "the customer has no active project: name one")
		}
		if err != nil {
			return sub, err
		}
		sub.project = &pid
	}
	return sub, nil
}

// MaxDryRunMatches is how many matches a dry run lists at most.
const MaxDryRunMatches = 500

// DryRunPlaybook lists the subjects the playbook would run on now and
// what it would do, changing nothing (managers): it runs in a read-only
// transaction.
func (db *DB) DryRunPlaybook(ctx context.Context, id uuid.UUID) (*onboardiq.DryRun, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.DryRun, error) {
		if err := p.Check(onboardiq.RunPlaybooks); err != nil {
			return nil, err
		}
		s, err := getPlaybook(ctx, tx, id, false)
		if err != nil {
			return nil, err
		}
		pb := s.Playbook
		out := &onboardiq.DryRun{PlaybookID: pb.ID, Matches: []onboardiq.DryRunMatch{}}
		subs, err := scheduleSubjects(ctx, tx, pb)
		if err != nil {
			return nil, err
		}
		out.Checked = len(subs)
		now := time.Now()
		var t *onboardiq.PlaybookTrigger
		if pb.Trigger.Schedule != "" {
			t = &pb.Trigger
		} else {
			out.Note = fmt.Sprintf("The playbook runs on an event (%s): these are the %ss whose conditions hold now, which the next such event would run on.",
				pb.Trigger.Event, pb.Subject)
		}
		facts, err := gatherFacts(ctx, tx, subs, nil, t, now)
		if err != nil {
			return nil, err
		}
		for _, sub := range subs {
			f, ok := facts[sub.key()]
			if !ok {
				continue
			}
			var evidence []string
			if t != nil {
				due, ev := playbook.Due(*t, f)
				if !due {
					continue
				}
				evidence = ev
			}
			ok, seen := playbook.Evaluate(pb.Conditions, f)
			if !ok {
				continue
			}
			m := onboardiq.DryRunMatch{CustomerID: sub.customer, CustomerName: f.Customer.Name, Conditions: seen, Evidence: evidence, Actions: []string{}}
			if f.Project != nil {
				m.ProjectID, m.ProjectName = &f.Project.ID, f.Project.Name
			}
			if _, reason, err := heldBack(ctx, tx, pb, sub, now); err != nil {
				return nil, err
			} else {
				m.Blocked = reason
			}
			for _, a := range pb.Actions {
				m.Actions = append(m.Actions, playbook.Describe(a, f))
			}
			out.Matches = append(out.Matches, m)
			if len(out.Matches) == MaxDryRunMatches {
				break
			}
		}
		return out, nil
	})
}
