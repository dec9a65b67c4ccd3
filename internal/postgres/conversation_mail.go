package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq/internal/mailtemplate"
)

// EmailConversationReply emails the contact who opened a conversation the
// answer a staff member wrote in it (message), linking to the
// conversation in the portal, once per message. It queues nothing when the
// conversation or message is gone, or the author is no staff member.
func (tx *Tx) EmailConversationReply(ctx context.Context, conversation, message uuid.UUID, now time.Time) (string, error) {
	var contact uuid.UUID
	var subject, author, body string
	err := tx.QueryRow(ctx, `
SELECT c.opened_by, c.subject, u.name, m.body
FROM conversations c
JOIN conversation_messages m ON m.tenant_id = c.tenant_id AND m.conversation_id = c.conversation_id
JOIN tenant_users u ON u.tenant_id = m.tenant_id AND u.user_id = m.author_id AND u.role <> 'customer'
WHERE c.tenant_id = $1 AND c.conversation_id = $2 AND m.message_id = $3`, tx.TenantID(), conversation, message).Scan(&contact, &subject, &author, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("conversation reply email: %w", err)
	}
	return queueContactMail(ctx, tx, ContactMail{
		Kind: mailtemplate.CSMReplied, UserID: contact, Key: mailtemplate.CSMReplied + ":" + message.String(),
		Values: map[string]string{"subject": subject, "author_name": author, "message": body},
		Page:   "/conversations/" + conversation.String(),
	}, now)
}
