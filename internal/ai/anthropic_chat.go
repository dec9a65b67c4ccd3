package ai

import (
	"context"
	"fmt"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
)

// anthropicChat streams from Anthropic's Messages API.
type anthropicChat struct {
	client anthropic.Client
	model  string
}

func newAnthropicChat(o Options, model string) *anthropicChat {
	opts := []option.RequestOption{option.WithAPIKey(o.AnthropicKey), option.WithMaxRetries(o.MaxRetries)}
	if o.AnthropicURL != "" {
		opts = append(opts, option.WithBaseURL(o.AnthropicURL))
	}
	if o.Timeout > 0 {
		opts = append(opts, option.WithRequestTimeout(o.Timeout))
	}
	if o.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(o.HTTPClient))
	}
	return &anthropicChat{client: anthropic.NewClient(opts...), model: model}
}

// Provider names it.
func (c *anthropicChat) Provider() string { return "anthropic" }

// Model names the model.
func (c *anthropicChat) Model() string { return c.model }

// Stream sends the request and passes on the text as it arrives.
func (c *anthropicChat) Stream(ctx context.Context, req Request, onDelta func(string) error) (Usage, error) {
	system, user := Prompt(req)
	var msgs []anthropic.MessageParam
	for _, m := range req.History {
		if m.Role == "assistant" {
			msgs = append(msgs, anthropic.NewAssistantMessage(anthropic.NewTextBlock(m.Content)))
		} else {
			msgs = append(msgs, anthropic.NewUserMessage(anthropic.NewTextBlock(m.Content)))
		}
	}
	msgs = append(msgs, anthropic.NewUserMessage(anthropic.NewTextBlock(user)))
	stream := c.client.Messages.NewStreaming(ctx, anthropic.MessageNewParams{
		Model:     c.model,
		MaxTokens: 1024,
		System:    []anthropic.TextBlockParam{{Text: system}},
		Messages:  msgs,
	})
	defer stream.Close()
	var usage Usage
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "message_start":
			usage.InputTokens = int(ev.AsMessageStart().Message.Usage.InputTokens)
		case "content_block_delta":
			if d := ev.AsContentBlockDelta().Delta; d.Type == "text_delta" && d.Text != "" {
				if err := onDelta(d.Text); err != nil {
					return usage, err
				}
			}
		case "message_delta":
			usage.OutputTokens = int(ev.AsMessageDelta().Usage.OutputTokens)
		}
	}
	if err := stream.Err(); err != nil {
		return usage, fmt.Errorf("anthropic (%s): %w", c.model, err)
	}
	return usage, nil
}
