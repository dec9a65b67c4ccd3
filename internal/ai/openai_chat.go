package ai

import (
	"context"
	"errors"
	"fmt"

	"github.com/openai/openai-go/v3"
)

// openAIChat streams from an OpenAI-compatible chat completions endpoint.
type openAIChat struct {
	client openai.Client
	model  string
}

// Provider names it.
func (c *openAIChat) Provider() string { return "openai" }

// Model names the model.
func (c *openAIChat) Model() string { return c.model }

// Stream sends the request and passes on the text as it arrives.
func (c *openAIChat) Stream(ctx context.Context, req Request, onDelta func(string) error) (Usage, error) {
	system, user := Prompt(req)
	msgs := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(system)}
	for _, m := range req.History {
		if m.Role == "assistant" {
			msgs = append(msgs, openai.AssistantMessage(m.Content))
		} else {
			msgs = append(msgs, openai.UserMessage(m.Content))
		}
	}
	msgs = append(msgs, openai.UserMessage(user))
	stream := c.client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         c.model,
		Messages:      msgs,
		MaxTokens:     openai.Int(1024),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	defer stream.Close()
	var usage Usage
	for stream.Next() {
		chunk := stream.Current()
		if chunk.Usage.TotalTokens > 0 {
			usage = Usage{InputTokens: int(chunk.Usage.PromptTokens), OutputTokens: int(chunk.Usage.CompletionTokens)}
		}
		for _, ch := range chunk.Choices {
			if ch.Delta.Content != "" {
				if err := onDelta(ch.Delta.Content); err != nil {
					return usage, err
				}
			}
		}
	}
	if err := stream.Err(); err != nil {
		return usage, openAIError("openai chat", c.model, err)
	}
	return usage, nil
}

// openAIError names the call and keeps the provider's own message, which
// the client's error text leaves out.
func openAIError(what, model string, err error) error {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) && apiErr.Message != "" {
		return fmt.Errorf("%s (%s): %d %s: %w", what, model, apiErr.StatusCode, apiErr.Message, err)
	}
	return fmt.Errorf("%s (%s): %w", what, model, err)
}
