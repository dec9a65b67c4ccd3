package ai_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/ai"
)

// TestStreamEnds covers what can happen once an answer streams: it is
// never retried, and an answer cut short is an error, not a short answer.
func TestStreamEnds(t *testing.T) {
	t.Parallel()
	const (
		oa1 = `data: {"choices":[{"delta":{"content":"Open "}}]}`
		oa2 = `data: {"choices":[{"delta":{"content":"Settings"}}]}`
		an1 = "event: content_block_delta\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Open "}}`
		an2 = "event: content_block_delta\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Settings"}}`
	)
	for _, tt := range []struct {
		name, llm string
		events    []string
		want      string // "" for no error
	}{
		{"openai: no [DONE] after the finish reason", "openai", []string{oa1, `data: {"choices":[{"delta":{"content":"Settings"},"finish_reason":"stop"}]}`}, ""},
		{"openai: cut before [DONE]", "openai", []string{oa1, oa2}, "openai chat (test-model): the stream ended before its end event"},
		{"openai: an error event", "openai", []string{oa1, oa2, `data: {"error":{"message":"the server is overloaded","type":"server_error"}}`}, "server_error: the server is overloaded"},
		{"openai: a malformed event", "openai", []string{oa1, oa2, `data: {"choices":[{"delta":`}, "openai chat (test-model): malformed event"},
		{"openai: CRLF, comments and unknown fields", "openai", []string{": keep-alive", "id: 1\r\nretry: 100\r\n" + oa1 + "\r", oa2, "data: [DONE]"}, ""},
		{"anthropic: cut before message_stop", "anthropic", []string{an1, an2}, "anthropic (claude-test): the stream ended before its end event"},
		{"anthropic: an error event", "anthropic", []string{an1, an2, "event: error\n" + `data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`}, "anthropic (claude-test): overloaded_error: Overloaded"},
		{"anthropic: a malformed event", "anthropic", []string{an1, an2, "event: message_delta\ndata: {\"type\":"}, "anthropic (claude-test): malformed event"},
		{"anthropic: pings", "anthropic", []string{"event: ping\ndata: {\"type\": \"ping\"}", an1, "event: ping", an2, "event: message_stop\ndata: {\"type\":\"message_stop\"}"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ int64) { sse(w, tt.events...) })
			o := openAIOptions(f.URL)
			if tt.llm == "anthropic" {
				o = anthropicOptions(f.URL)
			}
			c, _ := ai.NewChat(o)
			text, _, err := collect(t, c)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
			if text != "Open Settings" || f.calls.Load() != 1 {
				t.Errorf("text %q, %d calls: want the streamed text and no retry", text, f.calls.Load())
			}
		})
	}
}

// TestStreamSplitAcrossReads sends events in pieces that end mid-line and
// mid-character, as a network may deliver them.
func TestStreamSplitAcrossReads(t *testing.T) {
	t.Parallel()
	stream := "event: message_start\n" + `data: {"type":"message_start","message":{"usage":{"input_tokens":150}}}` + "\n\n" +
		"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Ouvrez les Paramètres "}}` + "\n\n" +
		"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"→ Sécurité."}}` + "\n\n" +
		"event: message_delta\n" + `data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}` + "\n\n" +
		"event: message_stop\n" + `data: {"type":"message_stop"}` + "\n\n"
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ int64) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < len(stream); i += 7 {
			fmt.Fprint(w, stream[i:min(i+7, len(stream))])
			w.(http.Flusher).Flush()
			time.Sleep(time.Millisecond)
		}
	})
	c, _ := ai.NewChat(anthropicOptions(f.URL))
	text, usage, err := collect(t, c)
	if err != nil || text != "Ouvrez les Paramètres → Sécurité." || usage != (ai.Usage{InputTokens: 150, OutputTokens: 9}) {
		t.Errorf("%q, %+v, %v", text, usage, err)
	}
}

func TestStreamStops(t *testing.T) {
	t.Parallel()
	// The server sends one delta, then waits: only the caller ends the call.
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ int64) {
		sse(w, `data: {"choices":[{"delta":{"content":"Open "}}]}`)
		<-r.Context().Done()
	})
	o := openAIOptions(f.URL)
	o.Timeout = time.Minute
	c, _ := ai.NewChat(o)

	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	_, err := c.Stream(ctx, request, func(string) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled: %v after %v", err, time.Since(start))
	}

	stop := errors.New("enough")
	var deltas int
	_, err = c.Stream(context.Background(), request, func(string) error { deltas++; return stop })
	if err != stop || deltas != 1 {
		t.Errorf("onDelta's error: %v after %d deltas, want it as it is, at once", err, deltas)
	}
	if f.calls.Load() != 2 {
		t.Errorf("%d calls, want 2: a stopped stream is not retried", f.calls.Load())
	}
}
