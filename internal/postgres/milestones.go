package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/metrics"
)

// Milestone is one of a workspace's onboarding milestones: an event rule or
// a task completion (metrics.Milestone), and whether it is the first value
// milestone (time to first value) or the activation milestone (user
// activation), one of each at most (docs/customer-success.md).
//
// The rule's fields (event, distinct_users, within_days, task) are the
// milestone's own in JSON.
type Milestone struct {
	ID   uuid.UUID `json:"id"`
	Key  string    `json:"key" doc:"A short name, lower-case letters, digits and underscores."`
	Name string    `json:"name"`
	metrics.Milestone
	FirstValue bool `json:"first_value" doc:"Reaching it is the customer's first value."`
	Activation bool `json:"activation" doc:"The milestone a contact must reach to count as activated."`
	Position   int  `json:"position"`
}

// MilestoneInput is a new milestone; Key is made from Name when empty.
type MilestoneInput struct {
	Key  string `json:"key,omitempty" maxLength:"40" doc:"Made from the name when left out."`
	Name string `json:"name" maxLength:"100"`
	metrics.Milestone
	FirstValue bool `json:"first_value,omitempty"`
	Activation bool `json:"activation,omitempty"`
}

// MilestonePatch changes the fields it sets.
// To turn an event rule into a task milestone, set task and an empty event.
type MilestonePatch struct {
	Name          *string `json:"name,omitempty"`
	Event         *string `json:"event,omitempty"`
	DistinctUsers *int    `json:"distinct_users,omitempty"`
	WithinDays    *int    `json:"within_days,omitempty"`
	Task          *string `json:"task,omitempty"`
	FirstValue    *bool   `json:"first_value,omitempty"`
	Activation    *bool   `json:"activation,omitempty"`
	Position      *int    `json:"position,omitempty"`
}

// MilestoneHit is a milestone a customer reached: when, in which project
// (task milestones), and the usage events that reached it.
type MilestoneHit struct {
	MilestoneID uuid.UUID  `json:"milestone_id"`
	Key         string     `json:"key"`
	Name        string     `json:"name"`
	CustomerID  uuid.UUID  `json:"customer_id"`
	ProjectID   *uuid.UUID `json:"project_id,omitempty"`
	ReachedAt   time.Time  `json:"reached_at"`
	EventIDs    []string   `json:"event_ids" doc:"The ids of the usage events that reached it, as their sender gave them; empty for a task."`
}

var milestoneKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// keyFromName makes a milestone's key from its name: "3 users active" is
// "m3_users_active".
func keyFromName(name string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			under = false
		default:
			under = true
		}
	}
	k := b.String()
	if k == "" || k[0] < 'a' || k[0] > 'z' {
		k = "m" + k
	}
	return strings.TrimRight(k[:min(len(k), 40)], "_")
}

func checkMilestone(name string, rule metrics.Milestone) error {
	if strings.TrimSpace(name) == "" {
		return onboardiq.Invalid("name", "is required")
	}
	if len([]rune(name)) > 100 {
		return onboardiq.Invalid("name", "must be at most 100 characters")
	}
	if rule.Task != "" && len(rule.Task) > 500 {
		return onboardiq.Invalid("task", "must be at most 500 characters")
	}
	if err := rule.Validate(); err != nil {
		return err
	}
	if rule.Event != "" && !eventName.MatchString(rule.Event) {
		return onboardiq.Invalid("event", "must be a usage event name: lower-case letters, digits, _ . and -")
	}
	return nil
}

// eventName is the usage events' name rule (migration 00018).
var eventName = regexp.MustCompile(`^[a-z0-9_.-]{1,100}$`)

const milestoneColumns = `milestone_id, key, name, rule, first_value, activation, position`

func scanMilestone(r pgx.CollectableRow) (Milestone, error) {
	var m Milestone
	err := r.Scan(&m.ID, &m.Key, &m.Name, &m.Milestone, &m.FirstValue, &m.Activation, &m.Position)
	return m, err
}

func listMilestones(ctx context.Context, tx *Tx) ([]Milestone, error) {
	rows, err := tx.Query(ctx, `SELECT `+milestoneColumns+` FROM milestones WHERE tenant_id = $1 ORDER BY position, name, milestone_id`, tx.TenantID())
	if err != nil {
		return nil, fmt.Errorf("milestones: %w", err)
	}
	return pgx.CollectRows(rows, scanMilestone)
}

// ListMilestones returns the workspace's milestones in their order (staff).
func (db *DB) ListMilestones(ctx context.Context) ([]Milestone, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]Milestone, error) {
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return nil, err
		}
		return listMilestones(ctx, tx)
	})
}

// CreateMilestone adds a milestone (admins), last in the order. Marking it
// the first value or activation milestone takes the mark from the one that
// had it.
func (db *DB) CreateMilestone(ctx context.Context, in MilestoneInput) (*Milestone, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Event, in.Task = strings.TrimSpace(in.Event), strings.TrimSpace(in.Task)
	if err := checkMilestone(in.Name, in.Milestone); err != nil {
		return nil, err
	}
	if in.Key == "" {
		in.Key = keyFromName(in.Name)
	}
	if !milestoneKey.MatchString(in.Key) {
		return nil, onboardiq.Invalid("key", "must start with a letter and hold only lower-case letters, digits and underscores, at most 40")
	}
	var out Milestone
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		if err := takeMarks(ctx, tx, uuid.Nil, in.FirstValue, in.Activation); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
INSERT INTO milestones (tenant_id, key, name, rule, first_value, activation, position)
SELECT $1, $2, $3, $4, $5, $6, coalesce(max(position) + 1, 0) FROM milestones WHERE tenant_id = $1
RETURNING `+milestoneColumns, tx.TenantID(), in.Key, in.Name, in.Milestone, in.FirstValue, in.Activation)
		if err == nil {
			out, err = pgx.CollectExactlyOneRow(rows, scanMilestone)
		}
		if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "23505" {
			return onboardiq.Invalid("key", "another milestone has the key %q", in.Key)
		}
		if err != nil {
			return fmt.Errorf("create milestone: %w", err)
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventMilestonesChanged, Data: map[string]any{"action": "created", "key": out.Key, "name": out.Name}})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// takeMarks clears the first value and activation marks of every milestone
// but except, for the marks a milestone is about to take.
func takeMarks(ctx context.Context, tx *Tx, except uuid.UUID, firstValue, activation bool) error {
	if firstValue {
		if _, err := tx.Exec(ctx, `UPDATE milestones SET first_value = false WHERE tenant_id = $1 AND first_value AND milestone_id <> $2`, tx.TenantID(), except); err != nil {
			return fmt.Errorf("first value milestone: %w", err)
		}
	}
	if activation {
		if _, err := tx.Exec(ctx, `UPDATE milestones SET activation = false WHERE tenant_id = $1 AND activation AND milestone_id <> $2`, tx.TenantID(), except); err != nil {
			return fmt.Errorf("activation milestone: %w", err)
		}
	}
	return nil
}

func getMilestone(ctx context.Context, tx *Tx, id uuid.UUID) (*Milestone, error) {
	rows, err := tx.Query(ctx, `SELECT `+milestoneColumns+` FROM milestones WHERE tenant_id = $1 AND milestone_id = $2 FOR UPDATE`, tx.TenantID(), id)
	if err != nil {
		return nil, fmt.Errorf("milestone: %w", err)
	}
	m, err := pgx.CollectExactlyOneRow(rows, scanMilestone)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "milestone not found")
	}
	return &m, err
}

// UpdateMilestone changes a milestone (admins). A changed rule applies to
// what happens next: milestones already reached stay reached.
func (db *DB) UpdateMilestone(ctx context.Context, id uuid.UUID, in MilestonePatch) (*Milestone, error) {
	var out *Milestone
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		before, err := getMilestone(ctx, tx, id)
		if err != nil {
			return err
		}
		m := *before
		if in.Name != nil {
			m.Name = strings.TrimSpace(*in.Name)
		}
		if in.Event != nil {
			m.Event = strings.TrimSpace(*in.Event)
		}
		if in.Task != nil {
			m.Task = strings.TrimSpace(*in.Task)
		}
		if in.DistinctUsers != nil {
			m.DistinctUsers = *in.DistinctUsers
		}
		if in.WithinDays != nil {
			m.WithinDays = *in.WithinDays
		}
		if in.FirstValue != nil {
			m.FirstValue = *in.FirstValue
		}
		if in.Activation != nil {
			m.Activation = *in.Activation
		}
		if in.Position != nil {
			if *in.Position < 0 {
				return onboardiq.Invalid("position", "must be 0 or more")
			}
			m.Position = *in.Position
		}
		if err := checkMilestone(m.Name, m.Milestone); err != nil {
			return err
		}
		if err := takeMarks(ctx, tx, id, m.FirstValue && !before.FirstValue, m.Activation && !before.Activation); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE milestones SET name = $3, rule = $4, first_value = $5, activation = $6, position = $7, updated_at = now()
WHERE tenant_id = $1 AND milestone_id = $2`, tx.TenantID(), id, m.Name, m.Milestone, m.FirstValue, m.Activation, m.Position); err != nil {
			return fmt.Errorf("update milestone: %w", err)
		}
		out = &m
		ch := changes(before, m, "name", "event", "distinct_users", "within_days", "task", "first_value", "activation", "position")
		if len(ch) == 0 {
			return nil
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventMilestonesChanged, Changes: ch, Data: map[string]any{"action": "updated", "key": m.Key, "name": m.Name}})
	})
	return out, err
}

// DeleteMilestone removes a milestone and the record of who reached it
// (admins); the milestone.reached events stay in the log.
func (db *DB) DeleteMilestone(ctx context.Context, id uuid.UUID) error {
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		m, err := getMilestone(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM milestones WHERE tenant_id = $1 AND milestone_id = $2`, tx.TenantID(), id); err != nil {
			return fmt.Errorf("delete milestone: %w", err)
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventMilestonesChanged, Data: map[string]any{"action": "deleted", "key": m.Key, "name": m.Name}})
	})
}

// CustomerMilestones returns the milestones a customer reached, earliest
// first, each with its evidence (staff; the customer's contacts are
// refused, as for its journey).
func (db *DB) CustomerMilestones(ctx context.Context, customerID uuid.UUID) ([]MilestoneHit, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]MilestoneHit, error) {
		if _, err := getCustomer(ctx, tx, p, customerID, false); err != nil {
			return nil, err
		}
		if err := p.Check(onboardiq.ReadDashboard); err != nil {
			return nil, err
		}
		return customerHits(ctx, tx, customerID)
	})
}

const customerHitsQuery = `
SELECT h.milestone_id, m.key, m.name, h.customer_id, h.project_id, h.reached_at, h.event_ids
FROM milestone_hits h JOIN milestones m ON m.tenant_id = h.tenant_id AND m.milestone_id = h.milestone_id
WHERE h.tenant_id = $1 AND m.tenant_id = $1 AND h.customer_id = $2
ORDER BY h.reached_at, m.position, h.hit_id`

func customerHits(ctx context.Context, tx *Tx, customer uuid.UUID) ([]MilestoneHit, error) {
	rows, err := tx.Query(ctx, customerHitsQuery, tx.TenantID(), customer)
	if err != nil {
		return nil, fmt.Errorf("milestone hits: %w", err)
	}
	return collectHits(rows)
}

func collectHits(rows pgx.Rows) ([]MilestoneHit, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (MilestoneHit, error) {
		var h MilestoneHit
		err := r.Scan(&h.MilestoneID, &h.Key, &h.Name, &h.CustomerID, &h.ProjectID, &h.ReachedAt, &h.EventIDs)
		return h, err
	})
}

// EvaluateMilestones records, in tx, the milestones the customers reached
// that they had not yet, each once with the usage events that reached it,
// and emits milestone.reached for each; it returns what it recorded. The
// fan-out calls it on usage.ingested and on a task's completion; running it
// again records nothing more.
//
// Usage is read from the roll-ups first (usage_daily, usage_daily_users:
// their keys lead with the customer), and usage_events, which has no
// customer index, only for the days the roll-up says may reach a rule,
// bounded by time (its BRIN index).
func (tx *Tx) EvaluateMilestones(ctx context.Context, customers []uuid.UUID) ([]MilestoneHit, error) {
	ms, err := listMilestones(ctx, tx)
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	var out []MilestoneHit
	for _, c := range customers {
		hits, err := evaluateCustomer(ctx, tx, ms, c)
		if err != nil {
			return nil, err
		}
		out = append(out, hits...)
	}
	return out, nil
}

func evaluateCustomer(ctx context.Context, tx *Tx, ms []Milestone, customer uuid.UUID) ([]MilestoneHit, error) {
	type reached struct {
		milestone uuid.UUID
		project   uuid.UUID
	}
	done := map[reached]bool{}
	rows, err := tx.Query(ctx, `SELECT milestone_id, coalesce(project_id, '00000000-0000-0000-0000-000000000000') FROM milestone_hits WHERE tenant_id = $1 AND customer_id = $2`,
		tx.TenantID(), customer)
	if err != nil {
		return nil, fmt.Errorf("milestone hits: %w", err)
	}
	var r reached
	if _, err := pgx.ForEachRow(rows, []any{&r.milestone, &r.project}, func() error { done[r] = true; return nil }); err != nil {
		return nil, fmt.Errorf("milestone hits: %w", err)
	}
	var out []MilestoneHit
	for _, m := range ms {
		if m.Task != "" {
			dones, err := taskCompletions(ctx, tx, customer, m.Task)
			if err != nil {
				return nil, err
			}
			for project, at := range dones {
				if done[reached{m.ID, project}] {
					continue
				}
				res, ok := metrics.Evaluate(m.Milestone, nil, []metrics.TaskDone{{Task: m.Task, At: at}})
				if !ok {
					continue
				}
				p := project
				hit, err := recordHit(ctx, tx, m, customer, &p, res)
				if err != nil {
					return nil, err
				}
				if hit != nil {
					out = append(out, *hit)
				}
			}
			continue
		}
		if done[reached{m.ID, uuid.Nil}] {
			continue
		}
		res, ok, err := evaluateUsage(ctx, tx, m.Milestone, customer)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		hit, err := recordHit(ctx, tx, m, customer, nil, res)
		if err != nil {
			return nil, err
		}
		if hit != nil {
			out = append(out, *hit)
		}
	}
	return out, nil
}

// taskCompletions returns, per project of the customer, when its task
// named task completed (the earliest, if several). Tasks keep no template
// key, so a task milestone names the task by its description, matched
// case-insensitively and without surrounding spaces.
func taskCompletions(ctx context.Context, tx *Tx, customer uuid.UUID, task string) (map[uuid.UUID]time.Time, error) {
	rows, err := tx.Query(ctx, `
SELECT t.project_id, min(t.completed_at) FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
WHERE t.tenant_id = $1 AND p.tenant_id = $1 AND p.customer_id = $2 AND t.status = 'completed'
  AND lower(btrim(t.description)) = lower(btrim($3))
GROUP BY t.project_id`, tx.TenantID(), customer, task)
	if err != nil {
		return nil, fmt.Errorf("task completions: %w", err)
	}
	out := map[uuid.UUID]time.Time{}
	var id uuid.UUID
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&id, &at}, func() error { out[id] = at; return nil })
	return out, err
}

// evaluateUsage evaluates an event rule over the customer's usage. The
// roll-ups name the first day that could reach it: for one user, the first
// day with the event; for N users within D days, the first day whose D
// days before (and itself) hold N users in usage_daily_users. Only then are
// the events of that window read and metrics.Evaluate decides, day after
// candidate day, since a window of whole days is wider than D × 24 hours.
func evaluateUsage(ctx context.Context, tx *Tx, rule metrics.Milestone, customer uuid.UUID) (metrics.Reached, bool, error) {
	need := max(1, rule.DistinctUsers)
	var candidates []time.Time // UTC days
	var first time.Time
	if need == 1 {
		var day *time.Time
		if err := tx.QueryRow(ctx, `SELECT min(day) FROM usage_daily WHERE tenant_id = $1 AND customer_id = $2 AND name = $3`,
			tx.TenantID(), customer, rule.Event).Scan(&day); err != nil {
			return metrics.Reached{}, false, fmt.Errorf("usage days: %w", err)
		}
		if day == nil {
			return metrics.Reached{}, false, nil
		}
		candidates, first = []time.Time{*day}, *day
	} else {
		rows, err := tx.Query(ctx, `SELECT day, user_email FROM usage_daily_users WHERE tenant_id = $1 AND customer_id = $2 AND name = $3 ORDER BY day`,
			tx.TenantID(), customer, rule.Event)
		if err != nil {
			return metrics.Reached{}, false, fmt.Errorf("usage users: %w", err)
		}
		type dayUser struct {
			day  time.Time
			user string
		}
		var du []dayUser
		var d dayUser
		if _, err := pgx.ForEachRow(rows, []any{&d.day, &d.user}, func() error { du = append(du, d); return nil }); err != nil {
			return metrics.Reached{}, false, fmt.Errorf("usage users: %w", err)
		}
		if len(du) == 0 {
			return metrics.Reached{}, false, nil
		}
		first = du[0].day
		users := map[string]int{}
		lo := 0
		for hi := 0; hi < len(du); {
			day := du[hi].day
			for ; hi < len(du) && du[hi].day.Equal(day); hi++ {
				users[du[hi].user]++
			}
			if rule.WithinDays > 0 {
				for du[lo].day.Before(day.AddDate(0, 0, -rule.WithinDays)) {
					if users[du[lo].user]--; users[du[lo].user] == 0 {
						delete(users, du[lo].user)
					}
					lo++
				}
			}
			if len(users) >= need {
				candidates = append(candidates, day)
			}
		}
	}
	for _, day := range candidates {
		from := first
		if rule.WithinDays > 0 {
			from = day.AddDate(0, 0, -rule.WithinDays)
		}
		events, err := usageEventsBetween(ctx, tx, customer, rule.Event, from, day.AddDate(0, 0, 1))
		if err != nil {
			return metrics.Reached{}, false, err
		}
		if res, ok := metrics.Evaluate(rule, events, nil); ok {
			return res, true, nil
		}
	}
	return metrics.Reached{}, false, nil
}

// usageEventsBetween reads the customer's events of one name in [from, to),
// a time range the BRIN index on occurred_at bounds.
func usageEventsBetween(ctx context.Context, tx *Tx, customer uuid.UUID, name string, from, to time.Time) ([]metrics.UsageEvent, error) {
	rows, err := tx.Query(ctx, `
SELECT event_key, name, coalesce(user_email, ''), occurred_at FROM usage_events
WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3 AND customer_id = $4 AND name = $5`,
		tx.TenantID(), from, to, customer, name)
	if err != nil {
		return nil, fmt.Errorf("usage events: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (metrics.UsageEvent, error) {
		var e metrics.UsageEvent
		err := r.Scan(&e.ID, &e.Name, &e.User, &e.At)
		return e, err
	})
}

// recordHit records that the customer reached m, once: nil when it had
// already (a fan-out run again, or two at once).
func recordHit(ctx context.Context, tx *Tx, m Milestone, customer uuid.UUID, project *uuid.UUID, r metrics.Reached) (*MilestoneHit, error) {
	ids := r.EventIDs
	if ids == nil {
		ids = []string{}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO milestone_hits (tenant_id, milestone_id, customer_id, project_id, reached_at, event_ids)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, tx.TenantID(), m.ID, customer, project, r.At, ids)
	if err != nil {
		return nil, fmt.Errorf("record milestone: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, nil
	}
	hit := &MilestoneHit{MilestoneID: m.ID, Key: m.Key, Name: m.Name, CustomerID: customer, ProjectID: project, ReachedAt: r.At, EventIDs: slices.Clone(ids)}
	data := map[string]any{"milestone_id": m.ID, "key": m.Key, "name": m.Name, "reached_at": r.At.UTC().Format(time.RFC3339Nano), "event_ids": ids}
	if m.FirstValue {
		data["first_value"] = true
	}
	return hit, tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventMilestoneReached, CustomerID: &customer, ProjectID: project, Data: data})
}
