package ai

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSSEReader(t *testing.T) {
	t.Parallel()
	in := ": comment\n\nevent: a\ndata: one\ndata:two\n\n\n\ndata: {\"x\": 1}\r\nid: 7\r\n\r\nevent: ping\n\ndata:  spaced\ndata: last, without its blank line"
	want := []sseEvent{
		{Type: "a", Data: []byte("one\ntwo")},
		{Data: []byte(`{"x": 1}`)},
		{Type: "ping", Data: []byte{}},
		{Data: []byte(" spaced\nlast, without its blank line")},
	}
	r := newSSEReader(strings.NewReader(in))
	for i, w := range want {
		ev, err := r.next()
		if err != nil || ev.Type != w.Type || !bytes.Equal(ev.Data, w.Data) {
			t.Fatalf("event %d: %q %q %v, want %q %q", i, ev.Type, ev.Data, err, w.Type, w.Data)
		}
	}
	if _, err := r.next(); err != io.EOF {
		t.Errorf("after the last event: %v, want EOF", err)
	}
	long := newSSEReader(strings.NewReader("data: " + strings.Repeat("x", maxEventLine) + "\n\n"))
	if _, err := long.next(); err == nil {
		t.Error("a line longer than maxEventLine: no error")
	}
}

// FuzzSSEReader: any stream ends in events or an error, never a panic, and
// a data line comes back as it was sent.
func FuzzSSEReader(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[]}\n\ndata: [DONE]\n\n"), "hello")
	f.Add([]byte("event: message_stop\r\ndata: {}\r\n\r\n:\n\ndata"), " two spaces")
	f.Fuzz(func(t *testing.T, stream []byte, line string) {
		r := newSSEReader(bytes.NewReader(stream))
		for range len(stream) + 1 {
			if _, err := r.next(); err != nil {
				break
			}
		}
		if strings.ContainsAny(line, "\r\n") {
			return
		}
		ev, err := newSSEReader(strings.NewReader("data: " + line + "\n\n")).next()
		if err != nil || string(ev.Data) != line {
			t.Errorf("data %q came back as %q, %v", line, ev.Data, err)
		}
	})
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{nil, -1, true},
		{map[string]string{"Retry-After": "0"}, 0, true},
		{map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond, true},
		{map[string]string{"Retry-After": "120"}, 2 * time.Minute, true},
		{map[string]string{"Retry-After": "121"}, 0, false},
		{map[string]string{"Retry-After": "-3"}, -1, true},
		{map[string]string{"Retry-After": "NaN"}, -1, true},
		{map[string]string{"Retry-After": "Inf"}, 0, false},
		{map[string]string{"Retry-After": "soon"}, -1, true},
		{map[string]string{"Retry-After": "Mon, 02 Jan 2006 15:04:05 GMT"}, 0, true}, // in the past
		{map[string]string{"Retry-After-Ms": "250", "Retry-After": "9"}, 250 * time.Millisecond, true},
		{map[string]string{"Retry-After-Ms": "x", "Retry-After": "9"}, 9 * time.Second, true},
	} {
		h := http.Header{}
		for k, v := range tt.header {
			h.Set(k, v)
		}
		if got, ok := retryAfter(h); got != tt.want || ok != tt.ok {
			t.Errorf("%v: %v %v, want %v %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
	h := http.Header{}
	h.Set("Retry-After", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
	if got, ok := retryAfter(h); !ok || got < 28*time.Second || got > 30*time.Second {
		t.Errorf("a date 30 s ahead: %v %v", got, ok)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for n, want := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second} {
		for range 20 {
			if d := backoff(n); d > want || d < want*3/4 {
				t.Fatalf("backoff(%d) = %v, want %v less up to a quarter", n, d, want)
			}
		}
	}
	if d := backoff(1000); d > maxBackoff {
		t.Errorf("backoff(1000) = %v", d)
	}
}
