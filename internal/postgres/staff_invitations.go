package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// StaffInvitationTTL is how long a staff invitation's link works.
const StaffInvitationTTL = 7 * 24 * time.Hour

// staffInvitePath is where a staff invitation's link goes: the page that
// sets a password from a link, in an invitation's words.
const staffInvitePath = "/reset?invite=1&token="

// InviteStaff adds a member of staff without a password and emails them
// an invitation (admins only): a one-time link, good for
// StaffInvitationTTL, to a page where they choose their password, which
// signs them in. The link is a password link (LinkReset): hashed at rest,
// used once, and like every link email its secret is made when the email
// is sent (ReissueLink). A contact's role is refused (contacts are added
// to a customer), as is an email already in use, naming the field. It
// returns the link made now, for the log and the development mailbox.
func (db *DB) InviteStaff(ctx context.Context, in onboardiq.NewUser, baseURL string) (*onboardiq.User, SentLink, error) {
	var (
		u    *onboardiq.User
		sent SentLink
	)
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageUsers); err != nil {
			return err
		}
		if in.Role == onboardiq.RoleCustomer {
			return onboardiq.Invalid("role", "must be one of admin, csm, sales_leader, viewer: add a customer's contacts on the customer")
		}
		if !in.Role.IsStaff() {
			return onboardiq.Invalid("role", "must be one of admin, csm, sales_leader, viewer")
		}
		in.Password, in.CustomerID = "", nil
		var err error
		if u, err = tx.CreateUser(ctx, in); err != nil {
			return err
		}
		u.Invited = true
		sent, err = inviteStaff(ctx, tx, p, u, baseURL)
		return err
	})
	if err != nil {
		return nil, SentLink{}, err
	}
	return u, sent, nil
}

// ResendStaffInvitation emails a member of staff who has not yet chosen a
// password a new invitation (admins only); the links sent before stop
// working. One who has joined is refused (ECONFLICT: they reset their
// password instead), as is a disabled one; a contact is not found here.
func (db *DB) ResendStaffInvitation(ctx context.Context, id uuid.UUID, baseURL string) (*onboardiq.User, SentLink, error) {
	var (
		u    *onboardiq.User
		sent SentLink
	)
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageUsers); err != nil {
			return err
		}
		var err error
		if u, err = getUser(ctx, tx, id, true); err != nil {
			return err
		}
		switch {
		case !u.Role.IsStaff():
			return onboardiq.Errorf(onboardiq.ENOTFOUND, "user not found")
		case !u.Invited:
			return onboardiq.Errorf(onboardiq.ECONFLICT, "%s has joined already: they can reset their password from the sign-in page", u.Name)
		case u.Disabled:
			return onboardiq.Errorf(onboardiq.ECONFLICT, "%s is disabled: enable them before inviting them again", u.Name)
		}
		if err := endLinks(ctx, tx, id); err != nil {
			return err
		}
		sent, err = inviteStaff(ctx, tx, p, u, baseURL)
		return err
	})
	if err != nil {
		return nil, SentLink{}, err
	}
	return u, sent, nil
}

// inviteStaff queues member of staff u's invitation email in tx, as invite
// does a contact's: the delivery holds the link token's id, never the
// token.
func inviteStaff(ctx context.Context, tx *Tx, p *onboardiq.Principal, u *onboardiq.User, baseURL string) (SentLink, error) {
	var workspace string
	if err := tx.QueryRow(ctx, `SELECT name FROM tenants WHERE tenant_id = $1`, tx.TenantID()).Scan(&workspace); err != nil {
		return SentLink{}, fmt.Errorf("invite: workspace: %w", err)
	}
	token, err := newTokenWith(linkPrefix, tx.TenantID())
	if err != nil {
		return SentLink{}, err
	}
	sum := sha256.Sum256([]byte(token))
	var tokenID uuid.UUID
	if err := tx.QueryRow(ctx, `INSERT INTO login_tokens (tenant_id, user_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING token_id`,
		tx.TenantID(), u.ID, LinkReset, sum[:], time.Now().Add(StaffInvitationTTL)).Scan(&tokenID); err != nil {
		return SentLink{}, fmt.Errorf("invite: link: %w", err)
	}
	inviter := "An admin"
	if !p.IsSystem() && p.Name != "" {
		inviter = p.Name
	}
	days := strconv.Itoa(int(StaffInvitationTTL.Hours() / 24))
	subject := "You are invited to " + workspace + " on OnboardIQ"
	text := fmt.Sprintf("%s invited you to join %s on OnboardIQ as %s.\n\nChoose your password within %s days to join (the link works once):\n\n%s\n\nIf you did not expect this, ignore this email.",
		inviter, workspace, u.Role, days, linkPlaceholder)
	prefix := baseURL + staffInvitePath
	var deliveryID uuid.UUID
	if err := tx.QueryRow(ctx, `
INSERT INTO deliveries (tenant_id, channel, event_type, payload, recipient, message_id, user_id)
VALUES ($1, 'email', $2, $3, $4, $5, $6) RETURNING delivery_id`, tx.TenantID(), "staff_invitation",
		withLink(map[string]any{"subject": subject, "text": text}, tokenID, prefix),
		u.Email, newMessageID(), u.ID).Scan(&deliveryID); err != nil {
		return SentLink{}, fmt.Errorf("invite: delivery: %w", err)
	}
	if err := tx.Enqueue(ctx, EmailArgs{TenantID: tx.TenantID(), DeliveryID: deliveryID}); err != nil {
		return SentLink{}, err
	}
	if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventUserInvited,
		Data: map[string]any{"user_id": u.ID, "email": u.Email, "role": u.Role, "delivery_id": deliveryID}}); err != nil {
		return SentLink{}, err
	}
	return SentLink{URL: prefix + token, Subject: subject}, nil
}

// The setup checklist's rules, each read from what the workspace holds:
//
//   - branding: the portal's branding was saved (a tenant_branding row);
//   - team: more than one member of staff (invited or joined);
//   - template: a template besides the default, or any template changed
//     after it was created (its updated_at is later than its created_at);
//   - emails: an email to contacts customised (an email_templates row);
//   - integration: a webhook endpoint, a playbook with a webhook action
//     that has a URL, or a CRM connection that is on;
//   - customer: a customer.
const setupQuery = `
SELECT EXISTS (SELECT FROM tenant_branding WHERE tenant_id = $1),
       (SELECT count(*) FROM tenant_users WHERE tenant_id = $1 AND role <> 'customer') > 1,
       EXISTS (SELECT FROM templates WHERE tenant_id = $1 AND (NOT is_default OR updated_at > created_at)),
       EXISTS (SELECT FROM email_templates WHERE tenant_id = $1),
       EXISTS (SELECT FROM webhook_endpoints WHERE tenant_id = $1)
         OR EXISTS (SELECT FROM playbooks WHERE tenant_id = $1
                    AND jsonb_path_exists(definition, '$.actions[*] ? (@.type == "webhook" && @.url != "")'))
         OR EXISTS (SELECT FROM crm_connections WHERE tenant_id = $1 AND enabled),
       EXISTS (SELECT FROM customers WHERE tenant_id = $1),
       (SELECT setup_dismissed_at FROM tenants WHERE tenant_id = $1)`

// queueSetupChecklist adds the checklist's read to a batch; *out is set
// when the batch runs.
func queueSetupChecklist(b *pgx.Batch, tenant uuid.UUID, out **onboardiq.SetupChecklist) {
	b.Queue(setupQuery, tenant).QueryRow(func(row pgx.Row) error {
		var branding, team, template, emails, integration, customer bool
		var dismissed *time.Time
		if err := row.Scan(&branding, &team, &template, &emails, &integration, &customer, &dismissed); err != nil {
			return fmt.Errorf("setup checklist: %w", err)
		}
		*out = onboardiq.NewSetupChecklist(map[string]bool{"branding": branding, "team": team, "template": template,
			"emails": emails, "integration": integration, "customer": customer}, dismissed)
		return nil
	})
}

// LoadSetupChecklist reads the workspace's setup checklist (admins), in
// one statement.
func (db *DB) LoadSetupChecklist(ctx context.Context) (*onboardiq.SetupChecklist, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.SetupChecklist, error) {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return nil, err
		}
		var c *onboardiq.SetupChecklist
		b := &pgx.Batch{}
		queueSetupChecklist(b, tx.TenantID(), &c)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, err
		}
		return c, nil
	})
}

// HideSetupChecklist hides the setup checklist from the workspace's
// dashboards (admins); it stays readable (LoadSetupChecklist, GET
// /api/v1/setup). Hiding is a display choice, not a change to the
// workspace, so it records no event.
func (db *DB) HideSetupChecklist(ctx context.Context) error {
	return db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE tenants SET setup_dismissed_at = $2 WHERE tenant_id = $1 AND setup_dismissed_at IS NULL`, tx.TenantID(), time.Now())
		return err
	})
}
