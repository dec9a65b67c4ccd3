package onboardiq

import (
	"time"

	"github.com/google/uuid"
)

// WebhookEndpoint is a URL a tenant's events are sent to.
type WebhookEndpoint struct {
	ID              uuid.UUID  `json:"id"`
	URL             string     `json:"url"`
	Events          []string   `json:"events" doc:"Event types it receives; empty: all."`
	Format          string     `json:"format" enum:"standard,slack" doc:"standard: the event as JSON; slack: a Slack-compatible {\"text\"} body (Slack, n8n). Both are signed."`
	Description     string     `json:"description"`
	AllowHTTP       bool       `json:"allow_http"`
	Disabled        bool       `json:"disabled"`
	DisabledReason  *string    `json:"disabled_reason,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	SecretRotatedAt *time.Time `json:"secret_rotated_at,omitempty"`
}

// WebhookInput is what registering or changing an endpoint takes.
type WebhookInput struct {
	URL         string
	Events      []string
	Format      string
	Description string
	AllowHTTP   bool
}

// Delivery is one email or webhook send, with its attempts.
type Delivery struct {
	ID             uuid.UUID  `json:"id"`
	Channel        string     `json:"channel" enum:"email,webhook"`
	NotificationID *uuid.UUID `json:"notification_id,omitempty"`
	EndpointID     *uuid.UUID `json:"endpoint_id,omitempty"`
	EventType      string     `json:"event_type"`
	Recipient      string     `json:"recipient"`
	MessageID      string     `json:"message_id" doc:"The webhook-id header (or email Message-ID), the same on every attempt."`
	Status         string     `json:"status" enum:"pending,delivered,retrying,failed,skipped" doc:"skipped: not sent by rule (the daily cap, a bounced address), the reason in last_error."`
	Attempts       []Attempt  `json:"attempts"`
	LastError      *string    `json:"last_error,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
}

// Attempt is one try of a delivery.
type Attempt struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	OK         bool      `json:"ok"`
	Result     string    `json:"result" doc:"The endpoint's HTTP status, or for email the server's acceptance or a category of failure with its reply code (the mail server's own text is logged for the operator only); or why it was not sent."`
	DurationMS int       `json:"duration_ms"`
}
