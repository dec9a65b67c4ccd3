package ai

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// What the two chat providers share: the conversation as role and content
// messages, and answers streamed as server-sent events.

// chatMessage is one turn as both providers take it.
type chatMessage struct {
	Role    string `json:"role"` // user or assistant (OpenAI's system prompt too)
	Content string `json:"content"`
}

// conversation renders req as the system prompt and the messages: the
// history, then the user message carrying the sources and the question.
func conversation(req Request) (system string, msgs []chatMessage) {
	system, user := Prompt(req)
	msgs = make([]chatMessage, 0, len(req.History)+1)
	for _, m := range req.History {
		role := "user"
		if m.Role == "assistant" {
			role = "assistant"
		}
		msgs = append(msgs, chatMessage{Role: role, Content: m.Content})
	}
	return system, append(msgs, chatMessage{Role: "user", Content: user})
}

// errIncomplete is a stream that ended before the provider said it had
// finished: the answer may be cut short.
var errIncomplete = errors.New("the stream ended before its end event")

// stream posts body to url and passes each event of the answer to
// onEvent until it returns done or an error (returned as it is). An
// answer that ends before that is errIncomplete. Nothing is retried once
// the answer has begun.
func (c caller) stream(ctx context.Context, url string, body any, onEvent func(sseEvent) (done bool, err error)) error {
	res, err := c.post(ctx, url, body)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	events := newSSEReader(res.Body)
	for {
		ev, err := events.next()
		if err == io.EOF {
			return errIncomplete
		}
		if err != nil {
			return fmt.Errorf("read the stream: %w", err)
		}
		if done, err := onEvent(ev); done || err != nil {
			return err
		}
	}
}

// malformed is the error of an event that does not decode.
func malformed(ev sseEvent, err error) error {
	return fmt.Errorf("malformed event %.200q: %w", ev.Data, err)
}

// maxEventLine bounds a line of the stream; an event is a few hundred bytes.
const maxEventLine = 1 << 20

// sseEvent is one server-sent event.
type sseEvent struct {
	Type string // the event field; "" when there is none (OpenAI sends none)
	Data []byte // the data lines, joined by newlines; valid until the next event
}

// sseReader reads server-sent events: event and data fields, dispatched
// by a blank line; comments and other fields (id, retry) are skipped.
type sseReader struct {
	lines *bufio.Scanner
	data  bytes.Buffer
}

func newSSEReader(r io.Reader) *sseReader {
	lines := bufio.NewScanner(r) // lines end with \n or \r\n
	lines.Buffer(make([]byte, 0, 16<<10), maxEventLine)
	return &sseReader{lines: lines}
}

// next returns the next event, or io.EOF at the end of the stream. An
// event the stream ends in without its blank line is still returned.
func (s *sseReader) next() (sseEvent, error) {
	var ev sseEvent
	s.data.Reset()
	fields, dataLines := 0, 0
	for s.lines.Scan() {
		line := s.lines.Bytes()
		if len(line) == 0 {
			if fields == 0 {
				continue
			}
			ev.Data = s.data.Bytes()
			return ev, nil
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(name) {
		case "event":
			ev.Type = string(value)
			fields++
		case "data":
			if dataLines > 0 {
				s.data.WriteByte('\n')
			}
			s.data.Write(value)
			dataLines++
			fields++
		}
	}
	if err := s.lines.Err(); err != nil {
		return sseEvent{}, err
	}
	if fields > 0 {
		ev.Data = s.data.Bytes()
		return ev, nil
	}
	return sseEvent{}, io.EOF
}
