package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/crm"
)

// CRM-started onboarding (docs/crm.md): each workspace connects its CRMs
// (a signing secret per provider, sealed), orders its mapping rules, and
// reads the log of what arrived. The CRM's calls act as nobody: the
// signature is their authentication (ReceiveCRMWebhook).

// crmSecretAD binds a sealed CRM secret to its column, workspace and
// provider: copied into another row, it does not open.
func crmSecretAD(tenant uuid.UUID, provider onboardiq.CRMProvider) []byte {
	return []byte("crm_connections.secret_sealed\x00" + tenant.String() + "\x00" + string(provider))
}

// CRMWebhookPath is where a workspace's CRM sends its calls.
func CRMWebhookPath(slug string, provider onboardiq.CRMProvider) string {
	return "/api/v1/crm/" + slug + "/" + string(provider)
}

func checkProvider(provider onboardiq.CRMProvider) error {
	if !provider.Valid() {
		return onboardiq.Errorf(onboardiq.ENOTFOUND, "no CRM %q: hubspot, salesforce or generic", provider)
	}
	return nil
}

// ListCRMConnections returns the workspace's connection to each CRM
// (admins), those never set up included (Configured false).
func (db *DB) ListCRMConnections(ctx context.Context) ([]*onboardiq.CRMConnection, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]*onboardiq.CRMConnection, error) {
		if err := p.Check(onboardiq.ManageIntegrations); err != nil {
			return nil, err
		}
		rows, err := tx.Query(ctx, `
SELECT provider, enabled, closed_won_stage, created_at, updated_at, secret_rotated_at
FROM crm_connections WHERE tenant_id = $1`, tx.TenantID())
		if err != nil {
			return nil, err
		}
		got := map[onboardiq.CRMProvider]*onboardiq.CRMConnection{}
		_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
			c := &onboardiq.CRMConnection{Configured: true}
			err := r.Scan(&c.Provider, &c.Enabled, &c.ClosedWonStage, &c.CreatedAt, &c.UpdatedAt, &c.SecretRotatedAt)
			got[c.Provider] = c
			return struct{}{}, err
		})
		if err != nil {
			return nil, err
		}
		out := make([]*onboardiq.CRMConnection, 0, len(onboardiq.CRMProviders))
		for _, pr := range onboardiq.CRMProviders {
			c := got[pr]
			if c == nil {
				c = &onboardiq.CRMConnection{Provider: pr, ClosedWonStage: pr.DefaultStage()}
			}
			c.WebhookPath = CRMWebhookPath(p.TenantSlug, pr)
			out = append(out, c)
		}
		return out, nil
	})
}

// SetCRMConnection sets up or changes the workspace's connection to a CRM
// (admins): on or off, its closed-won stage (empty: the provider's
// default), and optionally the secret it signs with (HubSpot's app client
// secret). A new connection without a given secret gets one made, returned
// only now; otherwise the secret returned is "".
func (db *DB) SetCRMConnection(ctx context.Context, provider onboardiq.CRMProvider, in onboardiq.CRMConnectionInput) (*onboardiq.CRMConnection, string, error) {
	if err := checkProvider(provider); err != nil {
		return nil, "", err
	}
	var (
		c    *onboardiq.CRMConnection
		made string
	)
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageIntegrations); err != nil {
			return err
		}
		if err := in.Validate(); err != nil {
			return err
		}
		if in.ClosedWonStage == "" {
			in.ClosedWonStage = provider.DefaultStage()
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM crm_connections WHERE tenant_id = $1 AND provider = $2)`,
			tx.TenantID(), provider).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			// A new connection is an integration (docs/quotas.md).
			if err := checkQuota(ctx, tx, onboardiq.QuotaIntegrations, 1); err != nil {
				return err
			}
		}
		secret := in.Secret
		if secret == "" && !exists {
			secret = newWebhookSecret()
			made = secret
		}
		var sealed []byte
		if secret != "" {
			if tx.secrets == nil {
				return errNoSecretKey
			}
			var err error
			if sealed, err = tx.secrets.Seal([]byte(secret), crmSecretAD(tx.TenantID(), provider)); err != nil {
				return err
			}
		}
		now := time.Now()
		c = &onboardiq.CRMConnection{Provider: provider, Configured: true, WebhookPath: CRMWebhookPath(p.TenantSlug, provider)}
		err := tx.QueryRow(ctx, `
INSERT INTO crm_connections AS c (tenant_id, provider, enabled, closed_won_stage, secret_sealed, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
ON CONFLICT (tenant_id, provider) DO UPDATE SET enabled = excluded.enabled, closed_won_stage = excluded.closed_won_stage,
    secret_sealed = CASE WHEN $7 THEN excluded.secret_sealed ELSE c.secret_sealed END,
    secret_rotated_at = CASE WHEN $7 THEN $6 ELSE c.secret_rotated_at END, updated_at = $6
RETURNING enabled, closed_won_stage, created_at, updated_at, secret_rotated_at`,
			tx.TenantID(), provider, in.Enabled, in.ClosedWonStage, sealedOrEmpty(sealed), now, sealed != nil).
			Scan(&c.Enabled, &c.ClosedWonStage, &c.CreatedAt, &c.UpdatedAt, &c.SecretRotatedAt)
		if err != nil {
			return fmt.Errorf("set crm connection: %w", err)
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventCRMSettingsChanged, Data: map[string]any{
			"area": "crm", "provider": provider, "enabled": c.Enabled, "closed_won_stage": c.ClosedWonStage, "secret_changed": sealed != nil}})
	})
	return c, made, err
}

// sealedOrEmpty is a sealed secret for the INSERT's NOT NULL column: an
// update that keeps the secret sends none (the CASE keeps the old one),
// and a new connection always has one.
func sealedOrEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// RotateCRMSecret gives a connection a new secret (admins), returned only
// now: the CRM must be given it, and calls signed with the old one are
// refused from now on.
func (db *DB) RotateCRMSecret(ctx context.Context, provider onboardiq.CRMProvider) (string, error) {
	if err := checkProvider(provider); err != nil {
		return "", err
	}
	secret := newWebhookSecret()
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageIntegrations); err != nil {
			return err
		}
		if tx.secrets == nil {
			return errNoSecretKey
		}
		sealed, err := tx.secrets.Seal([]byte(secret), crmSecretAD(tx.TenantID(), provider))
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE crm_connections SET secret_sealed = $3, secret_rotated_at = $4, updated_at = $4 WHERE tenant_id = $1 AND provider = $2`,
			tx.TenantID(), provider, sealed, time.Now())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return onboardiq.Errorf(onboardiq.ENOTFOUND, "no %s connection: set it up first", provider.Label())
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventCRMSettingsChanged, Data: map[string]any{
			"area": "crm", "provider": provider, "secret_changed": true}})
	})
	return secret, err
}

// ListCRMRules returns the mapping rules in order (admins).
func (db *DB) ListCRMRules(ctx context.Context) ([]onboardiq.CRMRule, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) ([]onboardiq.CRMRule, error) {
		if err := p.Check(onboardiq.ManageIntegrations); err != nil {
			return nil, err
		}
		return crmRules(ctx, tx)
	})
}

func crmRules(ctx context.Context, tx *Tx) ([]onboardiq.CRMRule, error) {
	rows, err := tx.Query(ctx, `
SELECT r.rule_id, r.position, r.name, r.pipeline, r.segment, r.min_amount::float8, r.max_amount::float8, r.template_id, t.name
FROM crm_rules r JOIN templates t ON t.tenant_id = r.tenant_id AND t.template_id = r.template_id
WHERE r.tenant_id = $1 ORDER BY r.position`, tx.TenantID())
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (onboardiq.CRMRule, error) {
		var x onboardiq.CRMRule
		return x, r.Scan(&x.ID, &x.Position, &x.Name, &x.Pipeline, &x.Segment, &x.MinAmount, &x.MaxAmount, &x.TemplateID, &x.TemplateName)
	})
	if out == nil {
		out = []onboardiq.CRMRule{}
	}
	return out, err
}

// SetCRMRules replaces the mapping rules with rules, in that order
// (admins). A rule naming no template of the workspace is EINVALID about
// rules[i].template_id.
func (db *DB) SetCRMRules(ctx context.Context, rules []onboardiq.CRMRuleInput) ([]onboardiq.CRMRule, error) {
	var out []onboardiq.CRMRule
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageIntegrations); err != nil {
			return err
		}
		if err := onboardiq.CheckCRMRules(rules); err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(rules))
		for i, r := range rules {
			ids[i] = r.TemplateID
		}
		rows, err := tx.Query(ctx, `SELECT template_id FROM templates WHERE tenant_id = $1 AND template_id = ANY($2)`, tx.TenantID(), ids)
		if err != nil {
			return err
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return err
		}
		known := map[uuid.UUID]bool{}
		for _, id := range found {
			known[id] = true
		}
		for i, r := range rules {
			if !known[r.TemplateID] {
				return onboardiq.Invalid(fmt.Sprintf("rules[%d].template_id", i), "no such template")
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM crm_rules WHERE tenant_id = $1`, tx.TenantID()); err != nil {
			return err
		}
		for i, r := range rules {
			if _, err := tx.Exec(ctx, `
INSERT INTO crm_rules (tenant_id, position, name, pipeline, segment, min_amount, max_amount, template_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tx.TenantID(), i, r.Name, r.Pipeline, r.Segment, r.MinAmount, r.MaxAmount, r.TemplateID); err != nil {
				return fmt.Errorf("insert crm rule: %w", err)
			}
		}
		if out, err = crmRules(ctx, tx); err != nil {
			return err
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventCRMSettingsChanged, Data: map[string]any{"area": "crm_rules", "rules": len(out)}})
	})
	return out, err
}

const crmInboundColumns = `inbound_id, provider, event_id, deal_id, received_at, signature_ok, outcome, detail, customer_id, project_id, template_id, error`

func scanCRMInbound(r pgx.Row) (*onboardiq.CRMInbound, error) {
	x := &onboardiq.CRMInbound{}
	err := r.Scan(&x.ID, &x.Provider, &x.EventID, &x.DealID, &x.ReceivedAt, &x.SignatureOK, &x.Outcome, &x.Detail,
		&x.CustomerID, &x.ProjectID, &x.TemplateID, &x.Error)
	return x, err
}

// ListCRMInbound lists the inbound CRM log, newest first (admins).
func (db *DB) ListCRMInbound(ctx context.Context, o onboardiq.ListOptions) (onboardiq.Page[*onboardiq.CRMInbound], error) {
	var out onboardiq.Page[*onboardiq.CRMInbound]
	if err := o.Normalise(); err != nil {
		return out, err
	}
	var (
		afterAt time.Time
		afterID uuid.UUID
	)
	if o.Cursor != "" {
		if err := decodeCursor(o.Cursor, &afterAt, &afterID); err != nil {
			return out, err
		}
	}
	err := db.read(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageIntegrations); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+crmInboundColumns+` FROM crm_inbound
WHERE tenant_id = $1 AND outcome <> 'pending' AND ($2::timestamptz IS NULL OR (received_at, inbound_id) < ($2, $3))
ORDER BY received_at DESC, inbound_id DESC LIMIT $4`, tx.TenantID(), nullTime(o.Cursor != "", afterAt), afterID, o.Limit+1)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*onboardiq.CRMInbound, error) { return scanCRMInbound(r) })
		out = page(items, o.Limit, func(x *onboardiq.CRMInbound) []any { return []any{x.ReceivedAt, x.ID} })
		return err
	})
	return out, err
}

// CRMResult is what came of one event of an inbound CRM call.
type CRMResult struct {
	EventID string `json:"event_id"`
	Outcome string `json:"outcome" enum:"started,updated,ignored,failed" doc:"started: a project was started; updated: the customer was updated, the deal had its project already; ignored: not a won deal; failed: see error (not remembered: the same event may be sent again)."`
	// Duplicate is true when the event had been received before: its
	// first outcome is repeated and nothing was done.
	Duplicate  bool       `json:"duplicate"`
	Detail     string     `json:"detail"`
	CustomerID *uuid.UUID `json:"customer_id"`
	ProjectID  *uuid.UUID `json:"project_id"`
	TemplateID *uuid.UUID `json:"template_id"`
	Error      string     `json:"error,omitempty"`
}

// ReceiveCRMWebhook acts on a CRM's call to the workspace slug's address
// for r.Provider. It acts as nobody, like TenantIDBySlug: the signature,
// checked with the connection's secret, is the authentication. An unknown
// workspace, or a provider it has not set up, is ENOTFOUND (not logged: it
// names no connection); a connection turned off is ENOTFOUND too, logged.
// A bad or stale signature is EUNAUTHORIZED, a body not of the documented
// form EINVALID naming the field: both logged, nothing else changed. Each
// event of the body is then applied in a transaction of its own
// (applyCRMDeal) and logged.
func (db *DB) ReceiveCRMWebhook(ctx context.Context, slug string, r crm.Request, now time.Time) ([]CRMResult, error) {
	if err := checkProvider(r.Provider); err != nil {
		return nil, err
	}
	tenant, err := db.TenantIDBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	var (
		found, enabled bool
		stage, secret  string
	)
	err = db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		var sealed []byte
		err := tx.QueryRow(ctx, `SELECT enabled, closed_won_stage, secret_sealed FROM crm_connections WHERE tenant_id = $1 AND provider = $2`,
			tenant, r.Provider).Scan(&enabled, &stage, &sealed)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		if tx.secrets == nil {
			return errNoSecretKey
		}
		plain, err := tx.secrets.Open(sealed, crmSecretAD(tenant, r.Provider))
		secret = string(plain)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("crm connection: %w", err)
	}
	notFound := onboardiq.Errorf(onboardiq.ENOTFOUND, "no %s connection is on in workspace %q", r.Provider.Label(), slug)
	if !found {
		return nil, notFound
	}
	if !enabled {
		return nil, orLogError(notFound, db.logCRM(ctx, tenant, onboardiq.CRMInbound{Provider: r.Provider, SignatureOK: false,
			Outcome: onboardiq.CRMDisabled, Detail: "the connection is turned off: nothing was read"}))
	}
	if err := crm.Verify(r, secret, now); err != nil {
		return nil, orLogError(onboardiq.Errorf(onboardiq.EUNAUTHORIZED, "the %s signature was refused: %v", r.Provider.Label(), err),
			db.logCRM(ctx, tenant, onboardiq.CRMInbound{Provider: r.Provider, Outcome: onboardiq.CRMBadSignature,
				Detail: "refused: nothing was read", Error: err.Error()}))
	}
	deals, err := crm.Parse(r, stage)
	if err != nil {
		msg := onboardiq.ErrorMessage(err)
		if f := onboardiq.ErrorField(err); f != "" {
			msg = f + ": " + msg
		}
		return nil, orLogError(err, db.logCRM(ctx, tenant, onboardiq.CRMInbound{Provider: r.Provider, SignatureOK: true,
			Outcome: onboardiq.CRMInvalid, Detail: "refused: nothing was done", Error: truncate(msg, 1000)}))
	}
	out := make([]CRMResult, 0, len(deals))
	for _, d := range deals {
		res, err := db.applyCRMDeal(ctx, tenant, r.Provider, d)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

// orLogError is refusal, unless logging it failed: then the logging's
// error, so that the caller answers 5xx and the CRM sends it again.
func orLogError(refusal, logErr error) error {
	if logErr != nil {
		return logErr
	}
	return refusal
}

// logCRM records a call that did nothing, in a transaction of its own.
func (db *DB) logCRM(ctx context.Context, tenant uuid.UUID, x onboardiq.CRMInbound) error {
	return db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `
INSERT INTO crm_inbound (tenant_id, provider, event_id, deal_id, signature_ok, outcome, detail, error)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenant, x.Provider, truncate(x.EventID, 100), truncate(x.DealID, 100),
			x.SignatureOK, x.Outcome, truncate(x.Detail, 1000), truncate(x.Error, 1000))
		if err != nil {
			return fmt.Errorf("log crm call: %w", err)
		}
		return nil
	})
}

// applyCRMDeal applies one event in one transaction of the workspace: it
// claims the event (the same provider's event id once), then creates or
// updates the customer by its CRM id, adds its contacts and starts the
// project the first matching rule picks. An error the deal's data caused
// (an archived customer, an address of another customer's contact…) rolls
// it all back and is logged as failed, not claimed: the same event may
// come again once it is fixed.
func (db *DB) applyCRMDeal(ctx context.Context, tenant uuid.UUID, provider onboardiq.CRMProvider, d crm.Deal) (CRMResult, error) {
	var res CRMResult
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		res = CRMResult{EventID: d.EventID}
		var id uuid.UUID
		err := tx.QueryRow(ctx, `
INSERT INTO crm_inbound (tenant_id, provider, event_id, deal_id, signature_ok, applied, outcome)
VALUES ($1, $2, $3, $4, true, true, 'pending')
ON CONFLICT (tenant_id, provider, event_id) WHERE applied DO NOTHING
RETURNING inbound_id`, tenant, provider, d.EventID, d.DealID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return crmDuplicate(ctx, tx, provider, d, &res)
		}
		if err != nil {
			return fmt.Errorf("claim crm event: %w", err)
		}
		tx.cause = map[string]any{"source": "crm", "crm_provider": string(provider), "crm_event_id": d.EventID}
		defer func() { tx.cause = nil }()
		if d.Ignore != "" {
			res.Outcome, res.Detail = onboardiq.CRMIgnored, d.Ignore
		} else if err := applyDeal(ctx, tx, provider, d, &res); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
UPDATE crm_inbound SET outcome = $3, detail = $4, customer_id = $5, project_id = $6, template_id = $7
WHERE tenant_id = $1 AND inbound_id = $2`, tenant, id, res.Outcome, truncate(res.Detail, 1000), res.CustomerID, res.ProjectID, res.TemplateID)
		return err
	})
	if err == nil {
		return res, nil
	}
	switch onboardiq.ErrorCode(err) {
	case onboardiq.EINVALID, onboardiq.ECONFLICT, onboardiq.ENOTFOUND, onboardiq.EFORBIDDEN:
	default:
		return res, err
	}
	res = CRMResult{EventID: d.EventID, Outcome: onboardiq.CRMFailed, Error: crmErrorText(err)}
	return res, db.logCRM(ctx, tenant, onboardiq.CRMInbound{Provider: provider, EventID: d.EventID, DealID: d.DealID, SignatureOK: true,
		Outcome: onboardiq.CRMFailed, Detail: "nothing was done; the same event may be sent again", Error: res.Error})
}

func crmErrorText(err error) string {
	msg := onboardiq.ErrorMessage(err)
	if f := onboardiq.ErrorField(err); f != "" && !strings.HasPrefix(msg, f) {
		msg = f + ": " + msg
	}
	return truncate(msg, 1000)
}

// crmDuplicate answers an event received before with its first outcome,
// and logs the call.
func crmDuplicate(ctx context.Context, tx *Tx, provider onboardiq.CRMProvider, d crm.Deal, res *CRMResult) error {
	var first time.Time
	err := tx.QueryRow(ctx, `
SELECT outcome, detail, customer_id, project_id, template_id, received_at FROM crm_inbound
WHERE tenant_id = $1 AND provider = $2 AND event_id = $3 AND applied`, tx.TenantID(), provider, d.EventID).
		Scan(&res.Outcome, &res.Detail, &res.CustomerID, &res.ProjectID, &res.TemplateID, &first)
	if err != nil {
		return fmt.Errorf("find first crm event: %w", err)
	}
	res.Duplicate = true
	_, err = tx.Exec(ctx, `
INSERT INTO crm_inbound (tenant_id, provider, event_id, deal_id, signature_ok, outcome, detail, customer_id, project_id, template_id)
VALUES ($1, $2, $3, $4, true, 'duplicate', $5, $6, $7, $8)`, tx.TenantID(), provider, d.EventID, d.DealID,
		fmt.Sprintf("received before, at %s (%s): nothing done again", first.UTC().Format(time.RFC3339), res.Outcome),
		res.CustomerID, res.ProjectID, res.TemplateID)
	return err
}

// applyDeal does what a won deal asks, in tx.
func applyDeal(ctx context.Context, tx *Tx, provider onboardiq.CRMProvider, d crm.Deal, res *CRMResult) error {
	var notes []string
	customer, segment, created, err := upsertCRMCustomer(ctx, tx, d)
	if err != nil {
		return err
	}
	res.CustomerID = &customer
	added, skipped, err := addCRMContacts(ctx, tx, customer, d.Contacts)
	if err != nil {
		return err
	}
	if created {
		notes = append(notes, "customer created")
	} else {
		notes = append(notes, "customer updated")
	}
	if added > 0 {
		notes = append(notes, fmt.Sprintf("%d contacts added", added))
	}
	notes = append(notes, skipped...)
	if d.DealID != "" {
		var project uuid.UUID
		err := tx.QueryRow(ctx, `
SELECT i.project_id FROM crm_inbound i
JOIN projects p ON p.tenant_id = i.tenant_id AND p.project_id = i.project_id
WHERE i.tenant_id = $1 AND i.provider = $2 AND i.deal_id = $3 AND i.applied AND i.project_id IS NOT NULL
ORDER BY i.received_at LIMIT 1`, tx.TenantID(), provider, d.DealID).Scan(&project)
		if err == nil {
			res.Outcome, res.ProjectID = onboardiq.CRMUpdated, &project
			res.Detail = strings.Join(append(notes, "the deal had started its project already"), "; ")
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
	}
	rules, err := crmRules(ctx, tx)
	if err != nil {
		return err
	}
	var template *uuid.UUID
	if i := onboardiq.PickCRMRule(rules, d.Pipeline, segment, d.Amount); i >= 0 {
		template = &rules[i].TemplateID
		notes = append(notes, fmt.Sprintf("rule %d%s picked template %q", i+1, ruleName(rules[i].Name), rules[i].TemplateName))
	} else {
		var id uuid.UUID
		var name string
		err := tx.QueryRow(ctx, `SELECT template_id, name FROM templates WHERE tenant_id = $1 AND is_default`, tx.TenantID()).Scan(&id, &name)
		switch {
		case err == nil:
			template = &id
			notes = append(notes, fmt.Sprintf("no rule matched: the default template %q", name))
		case errors.Is(err, pgx.ErrNoRows):
			notes = append(notes, "no rule matched and there is no default template: a project without tasks")
		default:
			return err
		}
	}
	name := d.DealName
	if name == "" {
		name = d.Customer.Name + " onboarding"
	}
	if len([]rune(name)) > 200 {
		name = string([]rune(name)[:200])
	}
	p, err := tx.CreateProject(ctx, onboardiq.NewProject{CustomerID: customer, Name: name, TemplateID: template,
		Description: crmProjectDescription(provider, d)})
	if err != nil {
		return err
	}
	if err := tx.RefreshProject(ctx, p.ID); err != nil {
		return err
	}
	res.Outcome, res.ProjectID, res.TemplateID = onboardiq.CRMStarted, &p.ID, template
	res.Detail = strings.Join(append(notes, "project started"), "; ")
	return nil
}

func ruleName(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}

func crmProjectDescription(provider onboardiq.CRMProvider, d crm.Deal) string {
	s := "Started by " + provider.Label()
	if d.DealID != "" {
		s += " deal " + d.DealID
	}
	if d.Pipeline != "" {
		s += ", pipeline " + d.Pipeline
	}
	if d.Amount != nil {
		s += fmt.Sprintf(", amount %g", *d.Amount)
	}
	return s + "."
}

// upsertCRMCustomer creates the deal's customer, or updates the one with
// its CRM id as external id (name, and segment, ARR and website when the
// deal gives them). It returns the customer, its segment and whether it
// was created.
func upsertCRMCustomer(ctx context.Context, tx *Tx, d crm.Deal) (uuid.UUID, string, bool, error) {
	c := d.Customer
	info := map[string]any{}
	if c.Website != "" {
		info["website"] = c.Website
	}
	crmID := c.CRMID
	id, err := customerByExternalID(ctx, tx, crmID)
	if onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND {
		created, err := tx.CreateCustomer(ctx, onboardiq.NewCustomer{Name: c.Name, Segment: c.Segment, ARR: c.ARR,
			ContactInfo: info, ExternalID: &crmID, LifecycleStatus: onboardiq.LifecycleOnboarding})
		if err != nil {
			return uuid.Nil, "", false, err
		}
		return created.ID, created.Segment, true, nil
	}
	if err != nil {
		return uuid.Nil, "", false, err
	}
	before, err := scanCustomer(tx.QueryRow(ctx, `SELECT `+customerColumns+` FROM customers c WHERE c.tenant_id = $1 AND c.customer_id = $2 FOR UPDATE`,
		tx.TenantID(), id))
	if err != nil {
		return uuid.Nil, "", false, err
	}
	if before.ArchivedAt != nil {
		return uuid.Nil, "", false, onboardiq.Errorf(onboardiq.ECONFLICT, "customer %q (external id %s) is archived: unarchive it to start its onboarding from the CRM", before.Name, crmID)
	}
	after := *before
	after.Name = c.Name
	if c.Segment != "" {
		after.Segment = c.Segment
	}
	if c.ARR != nil {
		after.ARR = c.ARR
	}
	if c.Website != "" {
		after.ContactInfo = map[string]any{}
		for k, v := range before.ContactInfo {
			after.ContactInfo[k] = v
		}
		after.ContactInfo["website"] = c.Website
	}
	check := onboardiq.NewCustomer{Name: after.Name, Segment: after.Segment, ARR: after.ARR, ContactInfo: after.ContactInfo,
		LifecycleStatus: after.LifecycleStatus, ExternalID: after.ExternalID, RenewalDate: after.RenewalDate}
	if err := check.Validate(); err != nil {
		return uuid.Nil, "", false, err
	}
	after.Name, after.Segment, after.ContactInfo = check.Name, check.Segment, check.ContactInfo
	ch := changes(before, &after, "name", "segment", "arr", "contact_info")
	if len(ch) == 0 {
		return id, after.Segment, false, nil
	}
	if _, err := tx.Exec(ctx, `
UPDATE customers SET name = $3, segment = $4, arr = $5, contact_info = $6, updated_at = $7 WHERE tenant_id = $1 AND customer_id = $2`,
		tx.TenantID(), id, after.Name, after.Segment, after.ARR, after.ContactInfo, time.Now()); err != nil {
		return uuid.Nil, "", false, customerWriteError(err, "update customer")
	}
	return id, after.Segment, false, tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventCustomerUpdated, CustomerID: &id, Changes: ch})
}

// addCRMContacts adds the deal's contacts the customer lacks, by email; an
// address that is already another customer's contact or a member of staff
// is left alone and said so. Contacts are added without an invitation:
// the team invites them from the customer's page when it is time.
func addCRMContacts(ctx context.Context, tx *Tx, customer uuid.UUID, contacts []crm.Contact) (int, []string, error) {
	added := 0
	var skipped []string
	for _, ct := range contacts {
		var owner *uuid.UUID
		var role onboardiq.Role
		err := tx.QueryRow(ctx, `SELECT customer_id, role FROM tenant_users WHERE tenant_id = $1 AND lower(email) = $2`,
			tx.TenantID(), ct.Email).Scan(&owner, &role)
		switch {
		case err == nil && owner != nil && *owner == customer:
			continue
		case err == nil:
			skipped = append(skipped, ct.Email+" is already another customer's contact or a member of staff: not added")
			continue
		case !errors.Is(err, pgx.ErrNoRows):
			return 0, nil, err
		}
		name := ct.Name
		if name == "" {
			name, _, _ = strings.Cut(ct.Email, "@")
		}
		if _, err := tx.CreateUser(ctx, onboardiq.NewUser{Email: ct.Email, Name: name, Role: onboardiq.RoleCustomer, CustomerID: &customer}); err != nil {
			return 0, nil, err
		}
		added++
	}
	return added, skipped, nil
}

// resealCRM seals again, with the first key, the CRM connections' secrets
// sealed with another (rekey): ResealWebhookSecrets's part for them.
// Unreadable ones are reported by the workspace's id: a connection has no
// id of its own.
func resealCRM(ctx context.Context, tx *Tx, rekey bool, r *ResealReport) error {
	rows, err := tx.Query(ctx, `SELECT provider, secret_sealed FROM crm_connections WHERE tenant_id = $1 ORDER BY provider`, tx.TenantID())
	if err != nil {
		return err
	}
	type row struct {
		provider onboardiq.CRMProvider
		sealed   []byte
	}
	all, err := pgx.CollectRows(rows, func(c pgx.CollectableRow) (row, error) {
		var x row
		return x, c.Scan(&x.provider, &x.sealed)
	})
	if err != nil {
		return err
	}
	for _, x := range all {
		switch {
		case tx.secrets.Current(x.sealed):
			r.Current++
			continue
		case !tx.secrets.Has(x.sealed):
			r.Unreadable = append(r.Unreadable, tx.TenantID())
			continue
		case !rekey:
			continue
		}
		plain, err := tx.secrets.Open(x.sealed, crmSecretAD(tx.TenantID(), x.provider))
		if err != nil {
			r.Unreadable = append(r.Unreadable, tx.TenantID())
			continue
		}
		sealed, err := tx.secrets.Seal(plain, crmSecretAD(tx.TenantID(), x.provider))
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE crm_connections SET secret_sealed = $4 WHERE tenant_id = $1 AND provider = $2 AND secret_sealed = $3`,
			tx.TenantID(), x.provider, x.sealed, sealed)
		if err != nil {
			return fmt.Errorf("seal the secret of the %s connection: %w", x.provider, err)
		}
		if tag.RowsAffected() > 0 {
			r.Resealed++
		}
	}
	return nil
}
