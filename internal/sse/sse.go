// Package sse writes server-sent events: the assistant's streamed answers,
// for the API and the portal alike.
package sse

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Writer sends events on a response.
type Writer struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// New sets w's headers for an event stream (no caching, no proxy
// buffering); the caller then sets the status and sends.
func New(w http.ResponseWriter) *Writer {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	return &Writer{w: w, rc: http.NewResponseController(w)}
}

// Send writes one event, its data v as JSON on one line, and flushes it.
func (s *Writer) Send(event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, b); err != nil {
		return err
	}
	return s.rc.Flush()
}
