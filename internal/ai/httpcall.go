package ai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The providers are called over plain HTTP (docs/decisions/0005-ai.md): a
// caller sends one JSON request with the retries, and each provider reads
// its own answer.

const (
	maxBackoff       = 8 * time.Second // the longest wait of our own between attempts
	maxRetryAfter    = 2 * time.Minute // a server asking for a longer wait gets its error returned
	maxErrorBodySize = 64 << 10
)

// caller sends requests to a provider.
type caller struct {
	client     *http.Client
	header     http.Header   // sent with every request: the key, an API version
	timeout    time.Duration // per attempt, the streamed body included; 0 for none
	maxRetries int
}

func (o Options) caller(header http.Header) caller {
	client := http.Client{}
	if o.HTTPClient != nil {
		client = *o.HTTPClient
	}
	// An API does not redirect its calls; following one would send the
	// key to wherever it points.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return caller{client: &client, header: header, timeout: o.Timeout, maxRetries: max(o.MaxRetries, 0)}
}

// apiError is a provider's answer to a call that failed: the HTTP status
// (0 for an error event in a stream that had begun) and the provider's
// own error type and message.
type apiError struct {
	Status  int
	Type    string
	Message string
}

func (e *apiError) Error() string {
	var parts []string
	if e.Status != 0 {
		parts = append(parts, strconv.Itoa(e.Status)+" "+http.StatusText(e.Status))
	}
	for _, s := range []string{e.Type, e.Message} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ": ")
}

// parseAPIError reads an error body. Both providers answer
// {"error":{"type":…,"message":…}} (Anthropic with "type":"error" beside
// it); some OpenAI-compatible servers give {"error":"…"}, and a proxy in
// between may give plain text.
func parseAPIError(status int, body []byte) *apiError {
	e := &apiError{Status: status}
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil && len(v.Error) > 0 {
		var obj struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		}
		if json.Unmarshal(v.Error, &obj) == nil {
			e.Type, e.Message = obj.Type, obj.Message
			return e
		}
		if json.Unmarshal(v.Error, &e.Message) == nil {
			return e
		}
	}
	text := strings.Join(strings.Fields(string(body)), " ")
	if len(text) > 200 {
		text = strings.ToValidUTF8(text[:200], "") + "…"
	}
	e.Message = text
	return e
}

// post sends body as JSON to url and returns the successful response,
// whose body the caller must close (closing it ends the attempt's
// timeout). Failed attempts are retried, up to maxRetries times, on a
// connection error, 408, 409, 429 and 5xx (or as the server's
// x-should-retry says), after the wait the server asks for or an
// exponential backoff. An attempt that timed out is not retried: the
// next would likely wait as long. Once post has returned, nothing is
// retried: the caller may have streamed part of the answer.
func (c caller) post(ctx context.Context, url string, body any) (*http.Response, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	for attempt := 0; ; attempt++ {
		res, retry, delay, err := c.try(ctx, url, payload)
		if err == nil {
			return res, nil
		}
		if !retry || attempt >= c.maxRetries {
			return nil, err
		}
		if delay < 0 {
			delay = backoff(attempt)
		}
		if d, ok := ctx.Deadline(); ok && time.Until(d) < delay {
			return nil, err // the wait would outlast the caller: its error says more than a timeout
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// try makes one attempt. A failed one tells whether to retry and after how
// long (negative: the caller's backoff).
func (c caller) try(ctx context.Context, url string, payload []byte) (res *http.Response, retry bool, delay time.Duration, err error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		cancel()
		return nil, false, 0, err
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	res, err = c.client.Do(req)
	if err != nil {
		final := actx.Err() != nil // a timeout or a cancelled call; a connection error is not
		cancel()
		return nil, !final, -1, err
	}
	if res.StatusCode < 300 {
		res.Body = cancelOnClose{res.Body, cancel}
		return res, false, 0, nil
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBodySize)) // what could be read: the status says enough
	res.Body.Close()
	cancel()
	apiErr := parseAPIError(res.StatusCode, b)
	if loc := res.Header.Get("Location"); loc != "" && res.StatusCode < 400 {
		apiErr.Message = "redirected to " + loc + " (set the base URL to it)"
	}
	delay, ok := retryAfter(res.Header)
	return nil, ok && retryable(res), delay, apiErr
}

// cancelOnClose ends an attempt's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

func retryable(res *http.Response) bool {
	switch res.Header.Get("X-Should-Retry") {
	case "true":
		return true
	case "false":
		return false
	}
	s := res.StatusCode
	return s == http.StatusRequestTimeout || s == http.StatusConflict || s == http.StatusTooManyRequests || s >= 500
}

// retryAfter returns the wait the server asks for (retry-after-ms, or
// Retry-After in seconds or as a date), -1 when it asks for none, and
// false when it asks for more than maxRetryAfter.
func retryAfter(h http.Header) (time.Duration, bool) {
	secs := -1.0
	if ms, err := strconv.ParseFloat(h.Get("Retry-After-Ms"), 64); err == nil && ms >= 0 {
		secs = ms / 1000
	} else if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			secs = s
		} else if t, err := http.ParseTime(v); err == nil {
			secs = max(time.Until(t).Seconds(), 0)
		}
	}
	switch {
	case secs < 0:
		return -1, true
	case secs > maxRetryAfter.Seconds():
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}

// backoff is the wait before retry n+1: half a second doubled each time,
// at most maxBackoff, less up to a quarter at random so that clients
// that failed together do not retry together.
func backoff(n int) time.Duration {
	d := min(500*time.Millisecond<<min(n, 4), maxBackoff)
	return d - rand.N(d/4)
}
