package ai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// anthropicChat streams from Anthropic's Messages API.
type anthropicChat struct {
	client caller
	url    string
	model  string
}

func newAnthropicChat(o Options, model string) *anthropicChat {
	base := strings.TrimRight(o.AnthropicURL, "/")
	if base == "" {
		base = "https://api.anthropic.com"
	}
	header := http.Header{}
	header.Set("Anthropic-Version", "2023-06-01")
	if o.AnthropicKey != "" {
		header.Set("X-Api-Key", o.AnthropicKey)
	}
	return &anthropicChat{client: o.caller(header), url: base + "/v1/messages", model: model}
}

// Provider names it.
func (c *anthropicChat) Provider() string { return "anthropic" }

// Model names the model.
func (c *anthropicChat) Model() string { return c.model }

type anthropicRequest struct {
	Model     string        `json:"model"`
	MaxTokens int           `json:"max_tokens"`
	System    string        `json:"system"`
	Messages  []chatMessage `json:"messages"`
	Stream    bool          `json:"stream"`
}

// anthropicEvent is one event of the stream, with the fields of the types
// read: message_start (the input tokens), content_block_delta (the text),
// message_delta (the output tokens so far), message_stop and error.
type anthropicEvent struct {
	Type    string `json:"type"`
	Message struct {
		Usage struct {
			InputTokens int `json:"input_tokens"`
		} `json:"usage"`
	} `json:"message"`
	Delta struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"delta"`
	Usage struct {
		OutputTokens int `json:"output_tokens"`
	} `json:"usage"`
}

// Stream sends the request and passes on the text as it arrives.
func (c *anthropicChat) Stream(ctx context.Context, req Request, onDelta func(string) error) (Usage, error) {
	system, msgs := conversation(req)
	body := anthropicRequest{Model: c.model, MaxTokens: 1024, System: system, Messages: msgs, Stream: true}
	var (
		usage   Usage
		stopped error // onDelta's
	)
	err := c.client.stream(ctx, c.url, body, func(ev sseEvent) (bool, error) {
		if len(ev.Data) == 0 {
			return false, nil
		}
		var e anthropicEvent
		if err := json.Unmarshal(ev.Data, &e); err != nil {
			return false, malformed(ev, err)
		}
		switch e.Type {
		case "message_start":
			usage.InputTokens = e.Message.Usage.InputTokens
		case "content_block_delta":
			if e.Delta.Type == "text_delta" && e.Delta.Text != "" {
				if stopped = onDelta(e.Delta.Text); stopped != nil {
					return true, nil
				}
			}
		case "message_delta":
			usage.OutputTokens = e.Usage.OutputTokens
		case "message_stop":
			return true, nil
		case "error":
			return false, parseAPIError(0, ev.Data)
		}
		return false, nil
	})
	switch {
	case stopped != nil:
		return usage, stopped
	case err != nil:
		return usage, fmt.Errorf("anthropic (%s): %w", c.model, err)
	}
	return usage, nil
}
