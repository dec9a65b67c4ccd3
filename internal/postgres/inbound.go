package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/inbound"
)

// Outcomes of a reply by email, as inbound_messages records them.
const (
	ReplyCommented   = "commented"    // the reply became a comment
	ReplyCompleted   = "completed"    // "done": the task was completed (the rest, if any, a comment)
	ReplyBlocked     = "blocked"      // "stuck …": the task was blocked with the rest as the reason
	ReplyWrongSender = "wrong_sender" // sent from another address than the recipient's
	ReplyExpired     = "expired"      // a genuine reply address past its expiry
	ReplyNotAllowed  = "not_allowed"  // the recipient is disabled, or may no longer see or comment on the task
	ReplyEmpty       = "empty"        // nothing left once quotes and signatures were stripped
	// ReplyBadToken is a reply address that does not verify: it names no
	// tenant that can be trusted, so it is not recorded (the server logs it).
	ReplyBadToken = "bad_token"
)

// InboundMessage is a reply in the inbound log.
type InboundMessage struct {
	ID         uuid.UUID `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	Transport  string    `json:"transport" enum:"smtp,webhook"`
	Sender     string    `json:"sender"`
	TaskID     uuid.UUID `json:"task_id"`
	UserID     uuid.UUID `json:"user_id"`
	Outcome    string    `json:"outcome" enum:"commented,completed,blocked,wrong_sender,expired,not_allowed,empty"`
	Detail     string    `json:"detail"`
}

// ReplyAddressFor returns the Reply-To address of an email to user about
// task in tenant, reply+<token>@domain, working for inbound.TokenTTL from
// now: the pair's reply key (made the first time, its expiry moved on
// each time). "" when there is no domain (replies by email are off) or no
// keyring to sign with.
func (db *DB) ReplyAddressFor(ctx context.Context, tenant, task, user uuid.UUID, domain string) (string, error) {
	if domain == "" || db.secrets == nil {
		return "", nil
	}
	r := inbound.Reply{Tenant: tenant}
	err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		key := make([]byte, inbound.KeySize)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		var got []byte
		err := tx.QueryRow(ctx, `
INSERT INTO reply_keys (tenant_id, reply_key, task_id, user_id, expires_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, task_id, user_id) DO UPDATE SET expires_at = excluded.expires_at
RETURNING reply_key`, tenant, key, task, user, time.Now().Add(inbound.TokenTTL)).Scan(&got)
		copy(r.Key[:], got)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("reply address: %w", err)
	}
	return inbound.Address(db.secrets, r, domain), nil
}

// ApplyReply applies a reply by email to the task its address names, in
// one transaction of the address's tenant, as the recipient: the sender
// must be the recipient's address (any case), the recipient active and
// still allowed to see and comment on the task. A first word "done"
// completes the task and "stuck" blocks it with the rest as the reason,
// when the recipient may change its status (onboardiq.CanChangeTaskStatus,
// and for a contact onboardiq.ContactMaySetStatus); otherwise the text is a
// comment, through the same path as AddComment. Every outcome but a bad
// token is recorded in inbound_messages; the outcome is returned.
func (db *DB) ApplyReply(ctx context.Context, in inbound.Message) (string, error) {
	if db.secrets == nil {
		return ReplyBadToken, errors.New("apply reply: no keyring (ONBOARDIQ_SECRET_KEY)")
	}
	r, err := inbound.Verify(db.secrets, in.Token)
	if errors.Is(err, inbound.ErrBadToken) {
		return ReplyBadToken, nil
	}
	sender := in.From
	if a, err := mail.ParseAddress(in.From); err == nil {
		sender = a.Address
	}
	sender = truncate(strings.TrimSpace(sender), 320)
	var outcome string
	err = db.InTenant(ctx, r.Tenant, func(ctx context.Context, tx *Tx) error {
		var k replyKey
		err := tx.QueryRow(ctx, `SELECT task_id, user_id, expires_at FROM reply_keys WHERE tenant_id = $1 AND reply_key = $2`,
			r.Tenant, r.Key[:]).Scan(&k.Task, &k.User, &k.Expires)
		if errors.Is(err, pgx.ErrNoRows) {
			outcome = ReplyBadToken // its task or user was deleted since
			return nil
		}
		if err != nil {
			return err
		}
		var detail string
		outcome, detail, err = applyReply(ctx, tx, k, sender, in.Text, !time.Now().Before(k.Expires))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
INSERT INTO inbound_messages (tenant_id, transport, sender, task_id, user_id, outcome, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7)`, tx.TenantID(), in.Transport, sender, k.Task, k.User, outcome, truncate(detail, 500))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("apply reply: %w", err)
	}
	return outcome, nil
}

// replyKey is what a reply address's key names.
type replyKey struct {
	Task, User uuid.UUID
	Expires    time.Time
}

func applyReply(ctx context.Context, tx *Tx, r replyKey, sender, text string, expired bool) (outcome, detail string, err error) {
	if expired {
		return ReplyExpired, "the reply address expired on " + r.Expires.Format(time.DateOnly), nil
	}
	p := &onboardiq.Principal{TenantID: tx.TenantID()}
	err = tx.QueryRow(ctx, `
SELECT u.user_id, u.email, u.name, u.role, u.customer_id, t.slug, t.name
FROM tenant_users u JOIN tenants t ON t.tenant_id = $1
WHERE u.tenant_id = $1 AND u.user_id = $2 AND u.disabled_at IS NULL`, tx.TenantID(), r.User).
		Scan(&p.UserID, &p.Email, &p.Name, &p.Role, &p.CustomerID, &p.TenantSlug, &p.TenantName)
	if errors.Is(err, pgx.ErrNoRows) {
		return ReplyNotAllowed, "the recipient is no longer an active user", nil
	}
	if err != nil {
		return "", "", err
	}
	if !strings.EqualFold(sender, p.Email) {
		return ReplyWrongSender, "sent from another address than the recipient's", nil
	}
	ctx = onboardiq.NewContextWithPrincipal(ctx, p)
	t, err := getTask(ctx, tx, p, r.Task, false)
	if onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND {
		return ReplyNotAllowed, "the task is gone or no longer visible to the recipient", nil
	}
	if err != nil {
		return "", "", err
	}
	if !onboardiq.CanCommentOnTask(p, t) {
		return ReplyNotAllowed, "the recipient may not comment on the task", nil
	}
	body := inbound.StripReply(text)
	cmd, rest := inbound.ParseCommand(body)
	var status onboardiq.Status
	switch cmd {
	case inbound.CommandDone:
		status = onboardiq.StatusCompleted
	case inbound.CommandStuck:
		status = onboardiq.StatusBlocked
	}
	if status != "" {
		if !onboardiq.CanChangeTaskStatus(p, t) || (p.IsCustomer() && !onboardiq.ContactMaySetStatus(status)) {
			detail = "the recipient may not change the task's status: kept as a comment"
		} else {
			patch := onboardiq.TaskPatch{Status: onboardiq.Set(status)}
			if status == onboardiq.StatusBlocked {
				patch.BlockedReason = onboardiq.Set(truncate(rest, 2000))
			}
			if _, _, err := updateTask(ctx, tx, p, t.ID, patch); err != nil {
				code := onboardiq.ErrorCode(err)
				if code != onboardiq.EFORBIDDEN && code != onboardiq.EINVALID && code != onboardiq.ECONFLICT {
					return "", "", err
				}
				detail = "the status could not change (" + onboardiq.ErrorMessage(err) + "): kept as a comment"
			} else {
				if status == onboardiq.StatusBlocked || rest == "" {
					return string(status), "", nil
				}
				if _, err := addComment(ctx, tx, p, t.ID, truncate(rest, 5000)); err != nil {
					return "", "", err
				}
				return ReplyCompleted, "", nil
			}
		}
	}
	if body == "" {
		return ReplyEmpty, "nothing was left once quotes and signatures were removed", nil
	}
	if _, err := addComment(ctx, tx, p, t.ID, truncate(body, 5000)); err != nil {
		return "", "", err
	}
	return ReplyCommented, detail, nil
}

// ListInboundMessages lists the replies by email the tenant received,
// newest first, with what came of each: to admins.
func (db *DB) ListInboundMessages(ctx context.Context, o onboardiq.ListOptions) (onboardiq.Page[*InboundMessage], error) {
	var out onboardiq.Page[*InboundMessage]
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
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
SELECT message_id, received_at, transport, sender, task_id, user_id, outcome, detail
FROM inbound_messages
WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (received_at, message_id) < ($2, $3))
ORDER BY received_at DESC, message_id DESC LIMIT $4`, tx.TenantID(), nullTime(o.Cursor != "", afterAt), afterID, o.Limit+1)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*InboundMessage, error) {
			m := &InboundMessage{}
			err := row.Scan(&m.ID, &m.ReceivedAt, &m.Transport, &m.Sender, &m.TaskID, &m.UserID, &m.Outcome, &m.Detail)
			return m, err
		})
		out = page(items, o.Limit, func(m *InboundMessage) []any { return []any{m.ReceivedAt, m.ID} })
		return err
	})
	return out, err
}

func nullTime(ok bool, t time.Time) *time.Time {
	if !ok {
		return nil
	}
	return &t
}
