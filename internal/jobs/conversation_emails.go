package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// emailConversationReply emails a contact the answer staff wrote in the
// conversation they opened ("Ask my CSM"), once per message.
func emailConversationReply(ctx context.Context, tx *postgres.Tx, e *onboardiq.Event) error {
	if e.Kind != onboardiq.EventConversationReplied {
		return nil
	}
	if byStaff, _ := e.Data["by_staff"].(bool); !byStaff {
		return nil
	}
	conversation, err1 := uuid.Parse(fmt.Sprint(e.Data["conversation_id"]))
	message, err2 := uuid.Parse(fmt.Sprint(e.Data["message_id"]))
	if err1 != nil || err2 != nil {
		return nil // not a reply this consumer can read
	}
	_, err := tx.EmailConversationReply(ctx, conversation, message, time.Now())
	return err
}
