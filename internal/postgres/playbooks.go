package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/journey"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
	"github.com/onboardiq/onboardiq/internal/playbook"
)

// Playbooks (automation rules; docs/playbooks.md): managers read them and
// their executions, run them by hand and dry-run them; admins create,
// change, enable, delete, export and import them. The runs themselves are
// in playbook_runs.go, the actions in playbook_actions.go.

// RunInput names the subject of a run by hand: a customer, and for a
// project playbook one of its projects (default: its active project).
type RunInput struct {
	CustomerID uuid.UUID  `json:"customer_id"`
	ProjectID  *uuid.UUID `json:"project_id,omitempty" required:"false"`
}

// ImportResult is what an import did.
type ImportResult struct {
	Created   int                   `json:"created"`
	Updated   int                   `json:"updated"`
	Playbooks []*onboardiq.Playbook `json:"playbooks"`
}

const playbookColumns = `pb.playbook_id, pb.definition, pb.enabled, pb.secret_sealed, pb.created_at, pb.updated_at,
    (SELECT max(r.started_at) FROM playbook_runs r WHERE r.tenant_id = pb.tenant_id AND r.playbook_id = pb.playbook_id AND r.status <> 'skipped')`

// storedPlaybook is a playbook with its sealed secret.
type storedPlaybook struct {
	*onboardiq.Playbook
	sealed []byte
}

func scanPlaybook(row pgx.Row) (storedPlaybook, error) {
	p := &onboardiq.Playbook{}
	var def []byte
	var sealed []byte
	if err := row.Scan(&p.ID, &def, &p.Enabled, &sealed, &p.CreatedAt, &p.UpdatedAt, &p.LastRunAt); err != nil {
		return storedPlaybook{}, err
	}
	var d onboardiq.PlaybookDefinition
	if err := json.Unmarshal(def, &d); err != nil {
		return storedPlaybook{}, fmt.Errorf("playbook %s: %w", p.ID, err)
	}
	enabled := p.Enabled // the column's, not the definition's
	id, created, updated, last := p.ID, p.CreatedAt, p.UpdatedAt, p.LastRunAt
	*p = d.Playbook()
	p.ID, p.Enabled, p.CreatedAt, p.UpdatedAt, p.LastRunAt = id, enabled, created, updated, last
	playbook.Normalise(p)
	p.NeedsSetup = playbook.NeedsSetup(p)
	return storedPlaybook{Playbook: p, sealed: sealed}, nil
}

// playbookSecretAD binds a sealed playbook secret to its column, tenant
// and playbook.
func playbookSecretAD(tenant, id uuid.UUID) []byte {
	return []byte("playbooks.secret_sealed\x00" + tenant.String() + "\x00" + id.String())
}

func (tx *Tx) openPlaybookSecret(id uuid.UUID, sealed []byte) (string, error) {
	if sealed == nil {
		return "", fmt.Errorf("playbook %s has no signing secret", id)
	}
	if tx.secrets == nil {
		return "", errNoSecretKey
	}
	b, err := tx.secrets.Open(sealed, playbookSecretAD(tx.tenantID, id))
	if err != nil {
		return "", fmt.Errorf("playbook %s: %w", id, err)
	}
	return string(b), nil
}

// withSecret fills the playbook's signing secret for admins.
func (tx *Tx) withSecret(p *onboardiq.Principal, s storedPlaybook) *onboardiq.Playbook {
	if p.Can(onboardiq.ManagePlaybooks) && s.sealed != nil {
		s.SigningSecret, _ = tx.openPlaybookSecret(s.ID, s.sealed)
	}
	return s.Playbook
}

func getPlaybook(ctx context.Context, tx *Tx, id uuid.UUID, lock bool) (storedPlaybook, error) {
	if lock {
		// A plain lock first: a distributed planner refuses FOR UPDATE
		// beside the read's subquery.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM playbooks WHERE tenant_id = $1 AND playbook_id = $2 FOR UPDATE`, tx.TenantID(), id); err != nil {
			return storedPlaybook{}, err
		}
	}
	s, err := scanPlaybook(tx.QueryRow(ctx, `SELECT `+playbookColumns+` FROM playbooks pb WHERE pb.tenant_id = $1 AND pb.playbook_id = $2`, tx.TenantID(), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, onboardiq.Errorf(onboardiq.ENOTFOUND, "playbook not found")
	}
	return s, err
}

func listPlaybooks(ctx context.Context, tx *Tx, where string, args ...any) ([]storedPlaybook, error) {
	rows, err := tx.Query(ctx, `SELECT `+playbookColumns+` FROM playbooks pb WHERE pb.tenant_id = $1`+where+` ORDER BY pb.position, pb.name`,
		append([]any{tx.TenantID()}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("playbooks: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (storedPlaybook, error) { return scanPlaybook(r) })
}

// ListPlaybooks lists the workspace's playbooks in their order (managers).
func (db *DB) ListPlaybooks(ctx context.Context) ([]*onboardiq.Playbook, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]*onboardiq.Playbook, error) {
		if err := p.Check(onboardiq.ReadPlaybooks); err != nil {
			return nil, err
		}
		all, err := listPlaybooks(ctx, tx, "")
		out := make([]*onboardiq.Playbook, len(all))
		for i, s := range all {
			out[i] = tx.withSecret(p, s)
		}
		return out, err
	})
}

// GetPlaybook reads one playbook (managers; the signing secret for admins).
func (db *DB) GetPlaybook(ctx context.Context, id uuid.UUID) (*onboardiq.Playbook, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.Playbook, error) {
		if err := p.Check(onboardiq.ReadPlaybooks); err != nil {
			return nil, err
		}
		s, err := getPlaybook(ctx, tx, id, false)
		if err != nil {
			return nil, err
		}
		return tx.withSecret(p, s), nil
	})
}

// knownNames are the names a playbook of this workspace may refer to.
func knownNames(ctx context.Context, tx *Tx) (playbook.Known, error) {
	k := playbook.Known{Stages: []string{}, Templates: []string{}, EmailKinds: []string{}}
	js, err := loadJourney(ctx, tx)
	if err != nil {
		return k, err
	}
	for _, s := range js.Stages {
		k.Stages = append(k.Stages, s.Key)
	}
	rows, err := tx.Query(ctx, `SELECT name FROM templates WHERE tenant_id = $1 ORDER BY name`, tx.TenantID())
	if err != nil {
		return k, err
	}
	if k.Templates, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return k, err
	}
	for _, kind := range mailtemplate.Kinds {
		k.EmailKinds = append(k.EmailKinds, kind.Name)
	}
	return k, nil
}

// checkPlaybook normalises and validates in against the workspace, and
// its webhook URLs against the address guard.
func (db *DB) checkPlaybook(ctx context.Context, tx *Tx, in *onboardiq.Playbook) error {
	playbook.Normalise(in)
	k, err := knownNames(ctx, tx)
	if err != nil {
		return err
	}
	if err := playbook.Validate(in, k); err != nil {
		return err
	}
	for i, a := range in.Actions {
		if a.Type == "webhook" && a.URL != "" && db.webhooks != nil {
			if err := db.webhooks.CheckURL(ctx, a.URL, false); err != nil {
				msg := err.Error()
				var e *onboardiq.Error
				if errors.As(err, &e) {
					msg = e.Message
				}
				return onboardiq.Invalid(fmt.Sprintf("actions[%d].url", i), "%s", msg)
			}
		}
	}
	if in.Enabled {
		if need := playbook.NeedsSetup(in); len(need) > 0 {
			return onboardiq.Invalid(need[0], "must be set before the playbook is enabled")
		}
	}
	return nil
}

// hasWebhook reports whether p has a webhook action with a URL: the
// signing secret is made then.
func hasWebhook(p *onboardiq.Playbook) bool {
	for _, a := range p.Actions {
		if a.Type == "webhook" && a.URL != "" {
			return true
		}
	}
	return false
}

// savePlaybook inserts (id nil) or replaces a checked playbook, sealing a
// new signing secret the first time a webhook action has a URL.
func savePlaybook(ctx context.Context, tx *Tx, id *uuid.UUID, in *onboardiq.Playbook, sealed []byte) (uuid.UUID, error) {
	def, err := json.Marshal(in.Definition())
	if err != nil {
		return uuid.Nil, err
	}
	pid := uuid.New()
	if id != nil {
		pid = *id
	}
	if sealed == nil && hasWebhook(in) {
		if tx.secrets == nil {
			return uuid.Nil, errNoSecretKey
		}
		if sealed, err = tx.secrets.Seal([]byte(newWebhookSecret()), playbookSecretAD(tx.tenantID, pid)); err != nil {
			return uuid.Nil, err
		}
	}
	var event, schedule *string
	if in.Trigger.Event != "" {
		event = &in.Trigger.Event
	} else {
		schedule = &in.Trigger.Schedule
	}
	if id == nil {
		var position int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(position) + 1, 0) FROM playbooks WHERE tenant_id = $1`, tx.TenantID()).Scan(&position); err != nil {
			return uuid.Nil, err
		}
		_, err = tx.Exec(ctx, `
INSERT INTO playbooks (tenant_id, playbook_id, name, enabled, definition, trigger_event, trigger_schedule, secret_sealed, position)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			tx.TenantID(), pid, in.Name, in.Enabled, def, event, schedule, sealed, position)
	} else {
		_, err = tx.Exec(ctx, `
UPDATE playbooks SET name = $3, enabled = $4, definition = $5, trigger_event = $6, trigger_schedule = $7, secret_sealed = $8, updated_at = now()
WHERE tenant_id = $1 AND playbook_id = $2`, tx.TenantID(), pid, in.Name, in.Enabled, def, event, schedule, sealed)
	}
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "23505" {
		return uuid.Nil, onboardiq.Invalid("name", "another playbook is called %q", in.Name)
	}
	return pid, err
}

// CreatePlaybook adds a playbook (admins). It is validated (the error names
// the field) and may be enabled only when it needs no setup.
func (db *DB) CreatePlaybook(ctx context.Context, in onboardiq.Playbook) (*onboardiq.Playbook, error) {
	var out *onboardiq.Playbook
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManagePlaybooks); err != nil {
			return err
		}
		if err := db.checkPlaybook(ctx, tx, &in); err != nil {
			return err
		}
		id, err := savePlaybook(ctx, tx, nil, &in, nil)
		if err != nil {
			return err
		}
		if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventPlaybookCreated, Data: map[string]any{"playbook_id": id, "name": in.Name, "enabled": in.Enabled}}); err != nil {
			return err
		}
		s, err := getPlaybook(ctx, tx, id, false)
		out = tx.withSecret(p, s)
		return err
	})
	return out, err
}

// UpdatePlaybook replaces a playbook's definition (admins).
func (db *DB) UpdatePlaybook(ctx context.Context, id uuid.UUID, in onboardiq.Playbook) (*onboardiq.Playbook, error) {
	var out *onboardiq.Playbook
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManagePlaybooks); err != nil {
			return err
		}
		before, err := getPlaybook(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := db.checkPlaybook(ctx, tx, &in); err != nil {
			return err
		}
		if _, err := savePlaybook(ctx, tx, &id, &in, before.sealed); err != nil {
			return err
		}
		after, err := getPlaybook(ctx, tx, id, false)
		if err != nil {
			return err
		}
		ch := changes(before.Definition(), after.Definition())
		if before.Enabled != after.Enabled {
			ch["enabled"] = map[string]any{"from": before.Enabled, "to": after.Enabled}
		}
		if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventPlaybookUpdated, Changes: ch,
			Data: map[string]any{"playbook_id": id, "name": after.Name}}); err != nil {
			return err
		}
		out = tx.withSecret(p, after)
		return nil
	})
	return out, err
}

// SetPlaybookEnabled enables or disables a playbook (admins); enabling
// one that needs setup is refused, naming the field.
func (db *DB) SetPlaybookEnabled(ctx context.Context, id uuid.UUID, enabled bool) (*onboardiq.Playbook, error) {
	var out *onboardiq.Playbook
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManagePlaybooks); err != nil {
			return err
		}
		s, err := getPlaybook(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if enabled && len(s.NeedsSetup) > 0 {
			return onboardiq.Invalid(s.NeedsSetup[0], "must be set before the playbook is enabled")
		}
		if s.Enabled != enabled {
			if _, err := tx.Exec(ctx, `UPDATE playbooks SET enabled = $3, updated_at = now() WHERE tenant_id = $1 AND playbook_id = $2`,
				tx.TenantID(), id, enabled); err != nil {
				return err
			}
			if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventPlaybookUpdated,
				Changes: map[string]any{"enabled": map[string]any{"from": s.Enabled, "to": enabled}},
				Data:    map[string]any{"playbook_id": id, "name": s.Name, "enabled": enabled}}); err != nil {
				return err
			}
		}
		s, err = getPlaybook(ctx, tx, id, false)
		out = tx.withSecret(p, s)
		return err
	})
	return out, err
}

// DeletePlaybook deletes a playbook and its executions (admins).
func (db *DB) DeletePlaybook(ctx context.Context, id uuid.UUID) error {
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManagePlaybooks); err != nil {
			return err
		}
		var name string
		err := tx.QueryRow(ctx, `DELETE FROM playbooks WHERE tenant_id = $1 AND playbook_id = $2 RETURNING name`, tx.TenantID(), id).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return onboardiq.Errorf(onboardiq.ENOTFOUND, "playbook not found")
		}
		if err != nil {
			return err
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventPlaybookDeleted, Data: map[string]any{"playbook_id": id, "name": name}})
	})
}

// ExportPlaybooks writes every playbook as code (admins): playbook.YAML or
// playbook.JSON.
func (db *DB) ExportPlaybooks(ctx context.Context, format string) ([]byte, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]byte, error) {
		if err := p.Check(onboardiq.ManagePlaybooks); err != nil {
			return nil, err
		}
		if format != playbook.YAML && format != playbook.JSON {
			return nil, onboardiq.Invalid("format", "must be yaml or json")
		}
		all, err := listPlaybooks(ctx, tx, "")
		if err != nil {
			return nil, err
		}
		ps := make([]onboardiq.Playbook, len(all))
		for i, s := range all {
			ps[i] = *s.Playbook
		}
		return playbook.Marshal(ps, format)
	})
}

// ImportPlaybooks reads playbooks as code (admins; format "" detects):
// a playbook with the name of an existing one replaces its definition,
// others are added; all or nothing.
func (db *DB) ImportPlaybooks(ctx context.Context, data []byte, format string) (*ImportResult, error) {
	out := &ImportResult{Playbooks: []*onboardiq.Playbook{}}
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManagePlaybooks); err != nil {
			return err
		}
		if format != "" && format != playbook.YAML && format != playbook.JSON {
			return onboardiq.Invalid("format", "must be yaml or json")
		}
		ps, err := playbook.Unmarshal(data, format)
		if err != nil {
			return err
		}
		existing, err := listPlaybooks(ctx, tx, "")
		if err != nil {
			return err
		}
		byName := map[string]storedPlaybook{}
		for _, s := range existing {
			byName[strings.ToLower(s.Name)] = s
		}
		*out = ImportResult{Playbooks: []*onboardiq.Playbook{}}
		for i := range ps {
			in := &ps[i]
			if err := db.checkPlaybook(ctx, tx, in); err != nil {
				var e *onboardiq.Error
				if errors.As(err, &e) && e.Field != "" {
					return onboardiq.Invalid(fmt.Sprintf("playbooks[%d].%s", i, e.Field), "%s", e.Message)
				}
				return err
			}
			var id uuid.UUID
			kind := onboardiq.EventPlaybookCreated
			if s, ok := byName[strings.ToLower(in.Name)]; ok {
				id, err = savePlaybook(ctx, tx, &s.ID, in, s.sealed)
				kind = onboardiq.EventPlaybookUpdated
				out.Updated++
			} else {
				id, err = savePlaybook(ctx, tx, nil, in, nil)
				out.Created++
			}
			if err != nil {
				return err
			}
			if err := tx.Emit(ctx, onboardiq.Event{Kind: kind, Data: map[string]any{"playbook_id": id, "name": in.Name, "imported": true}}); err != nil {
				return err
			}
			s, err := getPlaybook(ctx, tx, id, false)
			if err != nil {
				return err
			}
			out.Playbooks = append(out.Playbooks, tx.withSecret(p, s))
		}
		return nil
	})
	return out, err
}

// createDefaultPlaybooks gives the workspace tx runs in playbook.Defaults(),
// all disabled, without events (a new workspace's tenant.created says it),
// once: a workspace given them before is left alone, whatever it did with
// them since. A default whose name a playbook of the workspace has is
// skipped. It reports whether it gave them.
func createDefaultPlaybooks(ctx context.Context, tx *Tx) (bool, error) {
	// Claim the workspace first: of two servers starting at once, one
	// gives the defaults, the other waits and finds them given.
	tag, err := tx.Exec(ctx, `UPDATE tenants SET playbooks_seeded_at = $2 WHERE tenant_id = $1 AND playbooks_seeded_at IS NULL`, tx.TenantID(), time.Now())
	if err != nil {
		return false, fmt.Errorf("default playbooks: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	for _, d := range playbook.Defaults() {
		playbook.Normalise(&d)
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM playbooks WHERE tenant_id = $1 AND name = $2)`, tx.TenantID(), d.Name).Scan(&taken); err != nil {
			return false, err
		}
		if taken {
			continue
		}
		if _, err := savePlaybook(ctx, tx, nil, &d, nil); err != nil {
			return false, fmt.Errorf("default playbook %q: %w", d.Name, err)
		}
	}
	return true, nil
}

// CreateMissingDefaultPlaybooks gives every workspace created before
// playbooks existed the default playbooks, once (serve at start, one
// tenant transaction at a time). It returns how many workspaces it gave
// them to.
func (db *DB) CreateMissingDefaultPlaybooks(ctx context.Context) (int, error) {
	rows, err := db.Pool.Query(ctx, `SELECT tenant_ids_without_default_playbooks()`)
	if err != nil {
		return 0, fmt.Errorf("list tenants without default playbooks: %w", err)
	}
	tenants, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("list tenants without default playbooks: %w", err)
	}
	n := 0
	for _, t := range tenants {
		var gave bool
		if err := db.InTenant(ctx, t, func(ctx context.Context, tx *Tx) error {
			var err error
			gave, err = createDefaultPlaybooks(ctx, tx)
			return err
		}); err != nil {
			return n, fmt.Errorf("tenant %s: %w", t, err)
		}
		if gave {
			n++
		}
	}
	return n, nil
}

// PlaybookSummary is a playbook on the list page.
type PlaybookSummary struct {
	*onboardiq.Playbook
	Runs24h    int    // runs that acted in the last 24 hours
	LastStatus string // the latest run's status; "" when none
}

// PlaybooksPage is the console's list of playbooks.
type PlaybooksPage struct {
	Playbooks []*PlaybookSummary
	CanManage bool // admins: create, edit, enable, delete, import
	CanRun    bool // managers: run by hand, dry-run
	Unread    int
}

// PlaybookPage is one playbook's page: its form, its executions, and the
// choices the form offers. Playbook is nil for a new one.
type PlaybookPage struct {
	Playbook   *onboardiq.Playbook
	Runs       []*onboardiq.PlaybookRun // the latest 50
	Customers  []SupportMember          // ID and Name of every active customer, for a run by hand
	Staff      []SupportMember          // staff users, for recipients and assignees
	Stages     []journey.Stage
	Templates  []string // template names
	EmailKinds []string
	Fields     []playbook.Field
	EventKinds []onboardiq.EventKind
	CanManage  bool
	CanRun     bool
	Unread     int
}

// LoadPlaybooksPage reads the list page (managers) in one round trip.
func (db *DB) LoadPlaybooksPage(ctx context.Context) (*PlaybooksPage, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*PlaybooksPage, error) {
		if err := p.Check(onboardiq.ReadPlaybooks); err != nil {
			return nil, err
		}
		out := &PlaybooksPage{CanManage: p.Can(onboardiq.ManagePlaybooks), CanRun: p.Can(onboardiq.RunPlaybooks), Playbooks: []*PlaybookSummary{}}
		b := &pgx.Batch{}
		b.Queue(`SELECT `+playbookColumns+`,
    (SELECT count(*) FROM playbook_runs r WHERE r.tenant_id = pb.tenant_id AND r.playbook_id = pb.playbook_id AND r.status <> 'skipped' AND r.started_at > now() - interval '24 hours'),
    coalesce((SELECT r.status FROM playbook_runs r WHERE r.tenant_id = pb.tenant_id AND r.playbook_id = pb.playbook_id ORDER BY r.started_at DESC LIMIT 1), '')
FROM playbooks pb WHERE pb.tenant_id = $1 ORDER BY pb.position, pb.name`, tx.TenantID()).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				sum := &PlaybookSummary{}
				s, err := scanPlaybook(withExtra(rows, &sum.Runs24h, &sum.LastStatus))
				if err != nil {
					return err
				}
				sum.Playbook = s.Playbook
				out.Playbooks = append(out.Playbooks, sum)
			}
			return rows.Err()
		})
		b.Queue(unreadQuery, tx.TenantID(), p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Unread) })
		return out, tx.SendBatch(ctx, b).Close()
	})
}

// LoadPlaybookPage reads one playbook's page, or the new-playbook page when
// id is nil (managers), in one round trip.
func (db *DB) LoadPlaybookPage(ctx context.Context, id *uuid.UUID) (*PlaybookPage, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*PlaybookPage, error) {
		if err := p.Check(onboardiq.ReadPlaybooks); err != nil {
			return nil, err
		}
		if id == nil {
			if err := p.Check(onboardiq.ManagePlaybooks); err != nil {
				return nil, err
			}
		}
		out := &PlaybookPage{CanManage: p.Can(onboardiq.ManagePlaybooks), CanRun: p.Can(onboardiq.RunPlaybooks),
			Runs: []*onboardiq.PlaybookRun{}, Fields: playbook.Fields(), EventKinds: onboardiq.EventKinds, Templates: []string{}}
		for _, k := range mailtemplate.Kinds {
			out.EmailKinds = append(out.EmailKinds, k.Name)
		}
		var found bool
		var sealed []byte
		b := &pgx.Batch{}
		if id != nil {
			b.Queue(`SELECT `+playbookColumns+` FROM playbooks pb WHERE pb.tenant_id = $1 AND pb.playbook_id = $2`, tx.TenantID(), *id).Query(func(rows pgx.Rows) error {
				for rows.Next() {
					s, err := scanPlaybook(rows)
					if err != nil {
						return err
					}
					out.Playbook, sealed, found = s.Playbook, s.sealed, true
				}
				return rows.Err()
			})
			b.Queue(`SELECT `+runColumns+runFrom+`WHERE r.tenant_id = $1 AND r.playbook_id = $2 ORDER BY r.started_at DESC, r.run_id DESC LIMIT 50`,
				tx.TenantID(), *id).Query(func(rows pgx.Rows) error {
				var err error
				out.Runs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.PlaybookRun, error) { return scanRun(r) })
				return err
			})
		}
		b.Queue(`SELECT customer_id, name, '' FROM customers WHERE tenant_id = $1 AND archived_at IS NULL ORDER BY lower(name), customer_id`,
			tx.TenantID()).Query(func(rows pgx.Rows) error {
			var err error
			out.Customers, err = pgx.CollectRows(rows, pgx.RowToStructByPos[SupportMember])
			return err
		})
		b.Queue(`SELECT user_id, name, email FROM tenant_users WHERE tenant_id = $1 AND role <> 'customer' AND disabled_at IS NULL ORDER BY lower(name), user_id`,
			tx.TenantID()).Query(func(rows pgx.Rows) error {
			var err error
			out.Staff, err = pgx.CollectRows(rows, pgx.RowToStructByPos[SupportMember])
			return err
		})
		b.Queue(`SELECT name FROM templates WHERE tenant_id = $1 ORDER BY name`, tx.TenantID()).Query(func(rows pgx.Rows) error {
			var err error
			out.Templates, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		var stages, rules []byte
		b.Queue(`SELECT journey_stages, journey_rules FROM tenants WHERE tenant_id = $1`, tx.TenantID()).QueryRow(func(row pgx.Row) error {
			return row.Scan(&stages, &rules)
		})
		b.Queue(unreadQuery, tx.TenantID(), p.UserID).QueryRow(func(row pgx.Row) error { return row.Scan(&out.Unread) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, err
		}
		if id != nil && !found {
			return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "playbook not found")
		}
		if out.Playbook != nil {
			out.Playbook = tx.withSecret(p, storedPlaybook{Playbook: out.Playbook, sealed: sealed})
		}
		js, err := journeyFrom(stages, rules)
		out.Stages = js.Stages
		return out, err
	})
}

// runColumns and runFrom read a playbook run with its actions.
const runColumns = `r.run_id, r.playbook_id, coalesce(pb.name, ''), r.trigger, r.trigger_key, r.event_id, r.customer_id, coalesce(c.name, ''),
    r.project_id, coalesce(pr.name, ''), r.status, r.reason, r.conditions, r.evidence, r.by_user, r.started_at, r.finished_at,
    coalesce((SELECT jsonb_agg(jsonb_build_object('index', a.idx, 'type', a.type, 'status', a.status, 'outcome', a.outcome,
        'idempotency_key', a.idempotency_key, 'attempts', a.attempts, 'delivery_ids', a.delivery_ids, 'created_ids', a.created_ids,
        'finished_at', a.finished_at) ORDER BY a.idx)
      FROM playbook_actions a WHERE a.tenant_id = r.tenant_id AND a.run_id = r.run_id), '[]')`

const runFrom = ` FROM playbook_runs r
LEFT JOIN playbooks pb ON pb.tenant_id = r.tenant_id AND pb.playbook_id = r.playbook_id
LEFT JOIN customers c ON c.tenant_id = r.tenant_id AND c.customer_id = r.customer_id
LEFT JOIN projects pr ON pr.tenant_id = r.tenant_id AND pr.project_id = r.project_id
`

func scanRun(row pgx.Row) (*onboardiq.PlaybookRun, error) {
	r := &onboardiq.PlaybookRun{}
	err := row.Scan(&r.ID, &r.PlaybookID, &r.PlaybookName, &r.Trigger, &r.TriggerKey, &r.EventID, &r.CustomerID, &r.CustomerName,
		&r.ProjectID, &r.ProjectName, &r.Status, &r.Reason, &r.Conditions, &r.Evidence, &r.By, &r.StartedAt, &r.FinishedAt, &r.Actions)
	if r.Conditions == nil {
		r.Conditions = []onboardiq.Condition{}
	}
	if r.Actions == nil {
		r.Actions = []onboardiq.ActionRun{}
	}
	for i := range r.Actions {
		if r.Actions[i].DeliveryIDs == nil {
			r.Actions[i].DeliveryIDs = []uuid.UUID{}
		}
	}
	return r, err
}

// ListPlaybookRuns lists a playbook's executions, newest first (managers).
func (db *DB) ListPlaybookRuns(ctx context.Context, id uuid.UUID, o onboardiq.ListOptions) (onboardiq.Page[*onboardiq.PlaybookRun], error) {
	var out onboardiq.Page[*onboardiq.PlaybookRun]
	if err := o.Normalise(); err != nil {
		return out, err
	}
	before, beforeID, err := newestFirst(o.Cursor)
	if err != nil {
		return out, err
	}
	if o.Cursor == "" {
		before = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) // runs are stamped with their trigger's clock
	}
	err = db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ReadPlaybooks); err != nil {
			return err
		}
		if _, err := getPlaybook(ctx, tx, id, false); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+runColumns+runFrom+`WHERE r.tenant_id = $1 AND r.playbook_id = $2 AND (r.started_at, r.run_id) < ($3, $4)
ORDER BY r.started_at DESC, r.run_id DESC LIMIT $5`, tx.TenantID(), id, before, beforeID, o.Limit+1)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.PlaybookRun, error) { return scanRun(r) })
		out = page(items, o.Limit, func(r *onboardiq.PlaybookRun) []any { return []any{r.StartedAt, r.ID} })
		return err
	})
	return out, err
}

func getRun(ctx context.Context, tx *Tx, id uuid.UUID) (*onboardiq.PlaybookRun, error) {
	r, err := scanRun(tx.QueryRow(ctx, `SELECT `+runColumns+runFrom+`WHERE r.tenant_id = $1 AND r.run_id = $2`, tx.TenantID(), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "run not found")
	}
	return r, err
}

// AcknowledgeEscalation stops an escalation ladder (staff who may read
// playbooks): no later step is told.
func (db *DB) AcknowledgeEscalation(ctx context.Context, id uuid.UUID) (*onboardiq.Escalation, error) {
	var out *onboardiq.Escalation
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ReadPlaybooks); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE escalations SET acknowledged_at = $3, acknowledged_by = $4
WHERE tenant_id = $1 AND escalation_id = $2 AND acknowledged_at IS NULL`, tx.TenantID(), id, time.Now(), p.UserID)
		if err != nil {
			return err
		}
		if out, err = getEscalation(ctx, tx, id); err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // acknowledged before
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventEscalationAcknowledged, CustomerID: out.CustomerID, ProjectID: out.ProjectID,
			Data: map[string]any{"escalation_id": id, "title": out.Title, "step": out.Step}})
	})
	return out, err
}

func getEscalation(ctx context.Context, tx *Tx, id uuid.UUID) (*onboardiq.Escalation, error) {
	e := &onboardiq.Escalation{}
	err := tx.QueryRow(ctx, `
SELECT e.escalation_id, e.run_id, coalesce(pb.name, ''), e.customer_id, e.project_id, e.title, e.message, e.ladder, e.step,
       e.acknowledged_at, e.acknowledged_by, e.created_at
FROM escalations e
JOIN playbook_runs r ON r.tenant_id = e.tenant_id AND r.run_id = e.run_id
LEFT JOIN playbooks pb ON pb.tenant_id = r.tenant_id AND pb.playbook_id = r.playbook_id
WHERE e.tenant_id = $1 AND e.escalation_id = $2`, tx.TenantID(), id).Scan(&e.ID, &e.RunID, &e.PlaybookName, &e.CustomerID, &e.ProjectID,
		&e.Title, &e.Message, &e.Ladder, &e.Step, &e.AcknowledgedAt, &e.AcknowledgedBy, &e.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "escalation not found")
	}
	return e, err
}
