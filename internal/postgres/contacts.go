package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
)

// Contacts are a customer's people: tenant users with role customer. Those
// who may change customers (onboardiq.EditCustomers: admins and CSMs) add,
// change, disable and invite them; the admin's user management
// (ManageUsers) covers them too.

// AddContact adds a contact to a customer (admin or csm) and, in the same
// transaction, queues their invitation: an email with a sign-in link to the
// portal that works once, within InvitationTTL. baseURL is the app's
// address, for the link. It returns the contact and the invitation's link,
// which works until the email worker sends the email (it then issues a
// fresh one): for the log and the development mailbox when no SMTP server
// is configured.
func (db *DB) AddContact(ctx context.Context, customerID uuid.UUID, in onboardiq.NewContact, baseURL string) (*onboardiq.User, SentLink, error) {
	var (
		u    *onboardiq.User
		sent SentLink
	)
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		c, err := getCustomer(ctx, tx, p, customerID, false)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditCustomers); err != nil {
			return err
		}
		u, err = tx.CreateUser(ctx, onboardiq.NewUser{Email: in.Email, Name: in.Name, Role: onboardiq.RoleCustomer, CustomerID: &c.ID})
		if err != nil {
			return err
		}
		sent, err = invite(ctx, tx, p, u, baseURL)
		return err
	})
	if err != nil {
		return nil, SentLink{}, err
	}
	return u, sent, nil
}

// UpdateContact changes a customer's contact (admin or csm): name, email,
// disabled. A staff user is not a contact (ENOTFOUND here; admins change
// them with UpdateUser). A new email ends the links sent to the old one;
// disabling ends the contact's sessions and links and revokes their API
// tokens, for good, as UpdateUser does.
func (db *DB) UpdateContact(ctx context.Context, id uuid.UUID, patch onboardiq.ContactPatch) (*onboardiq.User, error) {
	var u *onboardiq.User
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		before, err := getContact(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditCustomers); err != nil {
			return err
		}
		after := *before
		if err := patch.Apply(&after); err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRow(ctx, `
UPDATE tenant_users u SET name = $3, email = $4, disabled_at = CASE WHEN $5 THEN coalesce(u.disabled_at, $6) END, updated_at = $6,
    undeliverable_at = CASE WHEN u.email = $4 THEN u.undeliverable_at END,
    undeliverable_reason = CASE WHEN u.email = $4 THEN u.undeliverable_reason END
WHERE u.tenant_id = $1 AND u.user_id = $2
RETURNING `+userColumns, tx.TenantID(), id, after.Name, after.Email, after.Disabled, time.Now()))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return &onboardiq.Error{Code: onboardiq.ECONFLICT, Field: "email", Message: fmt.Sprintf("a user with email %s already exists", after.Email)}
		}
		if err != nil {
			return fmt.Errorf("update contact: %w", err)
		}
		if err := tx.credentialsChanged(ctx); err != nil {
			return err
		}
		switch {
		case u.Disabled && !before.Disabled:
			err = endCredentials(ctx, tx, id, nil, true)
		case u.Email != before.Email:
			err = endLinks(ctx, tx, id)
		}
		if err != nil {
			return err
		}
		ch := changes(before, u, "name", "email", "disabled")
		if len(ch) == 0 {
			return nil
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventUserUpdated, CustomerID: u.CustomerID, Data: map[string]any{"user_id": id}, Changes: ch})
	})
	return u, err
}

// ResendInvitation sends a contact a new invitation (admin or csm); the
// links sent before stop working. A disabled contact is refused
// (ECONFLICT): enable them first.
func (db *DB) ResendInvitation(ctx context.Context, id uuid.UUID, baseURL string) (*onboardiq.User, SentLink, error) {
	var (
		u    *onboardiq.User
		sent SentLink
	)
	err := db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		var err error
		if u, err = getContact(ctx, tx, p, id); err != nil {
			return err
		}
		if err := p.Check(onboardiq.EditCustomers); err != nil {
			return err
		}
		if u.Disabled {
			return onboardiq.Errorf(onboardiq.ECONFLICT, "%s is disabled: enable them before inviting them again", u.Name)
		}
		// The invitations and sign-in links sent before end; the links of
		// emails still waiting to go (reminders) stay theirs.
		if _, err := tx.Exec(ctx, `UPDATE login_tokens SET used_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL AND purpose <> $4`,
			tx.TenantID(), id, time.Now(), LinkEmail); err != nil {
			return fmt.Errorf("end links: %w", err)
		}
		sent, err = invite(ctx, tx, p, u, baseURL)
		return err
	})
	if err != nil {
		return nil, SentLink{}, err
	}
	return u, sent, nil
}

// getContact returns a contact of one of the customers p may see, locked;
// staff users, and contacts p may not see, are not found.
func getContact(ctx context.Context, tx *Tx, p *onboardiq.Principal, id uuid.UUID) (*onboardiq.User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM tenant_users u
WHERE u.tenant_id = $1 AND u.user_id = $2 AND u.role = 'customer' AND ($3::uuid IS NULL OR u.customer_id = $3)
FOR UPDATE`, tx.TenantID(), id, contactCustomer(p)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, onboardiq.Errorf(onboardiq.ENOTFOUND, "contact not found")
	}
	return u, err
}

// endLinks ends a user's unused sign-in, reset and invitation links.
func endLinks(ctx context.Context, tx *Tx, user uuid.UUID) error {
	if _, err := tx.Exec(ctx, `UPDATE login_tokens SET used_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL`,
		tx.TenantID(), user, time.Now()); err != nil {
		return fmt.Errorf("end links: %w", err)
	}
	return nil
}

// invite queues contact u's invitation email in tx, as SendLoginLink
// queues a sign-in link: the delivery holds the link token's id, never the
// token, and the email worker issues the secret when it sends
// (ReissueLink). It records who invited whom (user.invited) and returns
// the link made now.
func invite(ctx context.Context, tx *Tx, p *onboardiq.Principal, u *onboardiq.User, baseURL string) (SentLink, error) {
	t, err := loadMailTarget(ctx, tx, u.ID, mailtemplate.Invitation, time.Now())
	if err != nil || t == nil {
		return SentLink{}, fmt.Errorf("invite: contact %s: %v", u.ID, err)
	}
	token, err := newTokenWith(linkPrefix, tx.TenantID())
	if err != nil {
		return SentLink{}, err
	}
	sum := sha256.Sum256([]byte(token))
	var tokenID uuid.UUID
	if err := tx.QueryRow(ctx, `INSERT INTO login_tokens (tenant_id, user_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING token_id`,
		tx.TenantID(), u.ID, LinkInvite, sum[:], time.Now().Add(InvitationTTL)).Scan(&tokenID); err != nil {
		return SentLink{}, fmt.Errorf("invite: link: %w", err)
	}
	inviter := t.workspace
	if !p.IsSystem() {
		inviter = p.Name + " of " + t.workspace
	}
	portal := baseURL + "/portal/" + t.slug
	kind, _ := mailtemplate.Find(mailtemplate.Invitation)
	msg := t.render(kind, map[string]string{"inviter": inviter, "days": strconv.Itoa(int(InvitationTTL.Hours() / 24)), "signin_url": portal + "/signin"})
	prefix := portal + "/magic?token="
	var deliveryID uuid.UUID
	if err := tx.QueryRow(ctx, `
INSERT INTO deliveries (tenant_id, channel, event_type, payload, recipient, message_id, user_id)
VALUES ($1, 'email', $2, $3, $4, $5, $6) RETURNING delivery_id`, tx.TenantID(), LinkInvite,
		withLink(t.payload(mailtemplate.Invitation, msg), tokenID, prefix),
		u.Email, newMessageID(), u.ID).Scan(&deliveryID); err != nil {
		return SentLink{}, fmt.Errorf("invite: delivery: %w", err)
	}
	if err := tx.Enqueue(ctx, EmailArgs{TenantID: tx.TenantID(), DeliveryID: deliveryID}); err != nil {
		return SentLink{}, err
	}
	if err := tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventUserInvited, CustomerID: u.CustomerID,
		Data: map[string]any{"user_id": u.ID, "email": u.Email, "delivery_id": deliveryID}}); err != nil {
		return SentLink{}, err
	}
	return SentLink{URL: prefix + token, Subject: msg.Subject}, nil
}
