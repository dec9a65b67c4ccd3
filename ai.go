package onboardiq

import (
	"time"

	"github.com/google/uuid"
)

// AICall is one call to the assistant, as recorded for audit.
type AICall struct {
	ID             uuid.UUID    `json:"id"`
	UserID         *uuid.UUID   `json:"user_id,omitempty"`
	Kind           string       `json:"kind"`
	ConversationID *uuid.UUID   `json:"conversation_id,omitempty"`
	Question       string       `json:"question"`
	Sources        []CallSource `json:"sources"`
	Provider       string       `json:"provider"`
	Model          string       `json:"model"`
	InputTokens    int          `json:"input_tokens"`
	OutputTokens   int          `json:"output_tokens"`
	LatencyMS      int          `json:"latency_ms"`
	Error          *string      `json:"error,omitempty"`
	CreatedAt      time.Time    `json:"created_at"`
}

// CallSource is a source an AI call was given.
type CallSource struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Budget is a tenant's monthly token budget and what it has used this month.
type Budget struct {
	MonthlyTokens *int64 `json:"monthly_tokens" doc:"null: no limit."`
	UsedTokens    int64  `json:"used_tokens" doc:"Tokens used since the start of this month (UTC)."`
}

// EmbeddingCounts says how many items have a vector from the current model.
type EmbeddingCounts struct {
	Total   int `json:"total"`
	Current int `json:"current" doc:"Embedded by the configured model."`
	Stale   int `json:"stale" doc:"Not embedded yet, or by another model: waiting for a job or onboardiq reembed."`
}

// JobError is a failed attempt of an embedding job.
type JobError struct {
	Entity  string    `json:"entity"`
	ID      string    `json:"id"`
	State   string    `json:"state" doc:"retryable (will run again) or discarded (gave up)."`
	Attempt int       `json:"attempt"`
	Error   string    `json:"error"`
	At      time.Time `json:"at"`
}

// AIStatus is the state of the tenant's embeddings and their jobs.
type AIStatus struct {
	Embeddings map[string]EmbeddingCounts `json:"embeddings"`
	Jobs       map[string]int             `json:"jobs" doc:"Embedding jobs by state."`
	Errors     []JobError                 `json:"errors" doc:"The latest failed attempts."`
}
