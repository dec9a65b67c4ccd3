package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// openAIChat streams from an OpenAI-compatible chat completions endpoint.
type openAIChat struct {
	client openAIClient
	model  string
}

// Provider names it.
func (c *openAIChat) Provider() string { return "openai" }

// Model names the model.
func (c *openAIChat) Model() string { return c.model }

type openAIChatRequest struct {
	Model         string        `json:"model"`
	Messages      []chatMessage `json:"messages"`
	MaxTokens     int           `json:"max_tokens"`
	Stream        bool          `json:"stream"`
	StreamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// openAIChunk is one event of the stream. The last carries the usage and
// no choices; a server that fails mid-stream sends an error instead.
type openAIChunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// Stream sends the request and passes on the text as it arrives.
func (c *openAIChat) Stream(ctx context.Context, req Request, onDelta func(string) error) (Usage, error) {
	system, msgs := conversation(req)
	body := openAIChatRequest{
		Model:     c.model,
		Messages:  append([]chatMessage{{Role: "system", Content: system}}, msgs...),
		MaxTokens: 1024,
		Stream:    true,
	}
	body.StreamOptions.IncludeUsage = true
	var (
		usage    Usage
		finished bool  // a choice has its finish reason
		stopped  error // onDelta's
	)
	err := c.client.stream(ctx, c.client.baseURL+"/chat/completions", body, func(ev sseEvent) (bool, error) {
		if string(ev.Data) == "[DONE]" {
			return true, nil
		}
		var chunk openAIChunk
		if err := json.Unmarshal(ev.Data, &chunk); err != nil {
			return false, malformed(ev, err)
		}
		if len(chunk.Error) > 0 && string(chunk.Error) != "null" {
			return false, parseAPIError(0, ev.Data)
		}
		if u := chunk.Usage; u != nil && u.PromptTokens+u.CompletionTokens > 0 {
			usage = Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
		}
		for _, ch := range chunk.Choices {
			if ch.FinishReason != "" {
				finished = true
			}
			if ch.Delta.Content != "" {
				if stopped = onDelta(ch.Delta.Content); stopped != nil {
					return true, nil
				}
			}
		}
		return false, nil
	})
	if errors.Is(err, errIncomplete) && finished {
		err = nil // some servers end without [DONE] once the answer is finished
	}
	switch {
	case stopped != nil:
		return usage, stopped
	case err != nil:
		return usage, fmt.Errorf("openai chat (%s): %w", c.model, err)
	}
	return usage, nil
}
