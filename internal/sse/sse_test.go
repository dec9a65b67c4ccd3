package sse_test

import (
	"net/http/httptest"
	"testing"

	"github.com/onboardiq/onboardiq/internal/sse"
)

func TestSend(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	s := sse.New(rec)
	if err := s.Send("delta", map[string]string{"text": "line one\nline two"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Send("done", struct{}{}); err != nil {
		t.Fatal(err)
	}
	want := "event: delta\ndata: {\"text\":\"line one\\nline two\"}\n\nevent: done\ndata: {}\n\n"
	if got := rec.Body.String(); got != want || !rec.Flushed {
		t.Errorf("stream %q (flushed %v), want %q", got, rec.Flushed, want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/event-stream" || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("headers %v", rec.Header())
	}
}
