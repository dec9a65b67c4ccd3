package onboardiq

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// Token is an API token's record; the token itself is never stored.
type Token struct {
	ID         uuid.UUID  `json:"id"`
	UserID     uuid.UUID  `json:"user_id"`
	Name       string     `json:"name"`
	Hint       string     `json:"hint"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// NewToken is what creating an API token takes.
type NewToken struct {
	UserID    *uuid.UUID // whose it is; nil: the caller's own
	Name      string
	ExpiresAt *time.Time // nil: it does not expire
}

// Validate normalises the input and reports the first bad field; an
// expiry must come after now.
func (in *NewToken) Validate(now time.Time) error {
	if in.ExpiresAt != nil {
		if !in.ExpiresAt.After(now) {
			return Invalid("expires_at", "must be in the future")
		}
		if err := CheckTime("expires_at", *in.ExpiresAt); err != nil {
			return err
		}
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len([]rune(in.Name)) > 100 {
		return Invalid("name", "must be 1 to 100 characters")
	}
	return nil
}
