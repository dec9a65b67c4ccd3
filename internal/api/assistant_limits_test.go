package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/server"

	"github.com/onboardiq/onboardiq"
)

// doH is do, with the response's headers.
func (e *demoEnv) doH(t *testing.T, caller, method, path string, body any) (int, http.Header, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.srv.URL+"/api/v1"+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.tokens[caller])
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

// aiCalls counts the tenant's recorded AI calls and their tokens.
func (e *demoEnv) aiCalls(t *testing.T) (calls, tokens int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT count(*), coalesce(sum(input_tokens + output_tokens), 0) FROM ai_calls WHERE tenant_id = $1`, e.acme).Scan(&calls, &tokens); err != nil {
		t.Fatal(err)
	}
	return calls, tokens
}

// wantLimited checks a refusal: 429, problem+json naming the limit, and a
// Retry-After of at most max seconds.
func wantLimited(t *testing.T, what string, st int, h http.Header, body []byte, says string, max int) {
	t.Helper()
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if st != http.StatusTooManyRequests || err != nil || secs < 1 || secs > max ||
		!strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") || !strings.Contains(string(body), says) {
		t.Errorf("%s: %d, Retry-After %q, %s %s; want 429 saying %q", what, st, h.Get("Retry-After"), h.Get("Content-Type"), body, says)
	}
}

// TestAssistantRateLimits: the user's N+1th ask in the window is refused
// (429, Retry-After, the limit named) and spends nothing; another user of
// the tenant is still served until the tenant's limit, which then holds
// for everyone and every entry point that calls the model.
func TestAssistantRateLimits(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	e.tokens["contact2"] = e.logins["omar.aziz@globex.example"]
	model := &scripted{pieces: []string{"Open Settings [1]."}}
	withOptions(t, e, func(o *server.Options) {
		o.Chat = model
		o.AssistantLimits = assistant.Limits{User: onboardiq.Rate{N: 2, Window: time.Hour}, Tenant: onboardiq.Rate{N: 4, Window: time.Hour}}
	})
	ask := map[string]any{"question": "How do I set up SSO?"}
	for i := range 2 {
		if st, body := e.do(t, "contact", "POST", "/assistant/ask", ask); st != 200 {
			t.Fatalf("ask %d: %d %s", i+1, st, body)
		}
	}
	calls, tokens := e.aiCalls(t)
	st, h, body := e.doH(t, "contact", "POST", "/assistant/ask", ask)
	wantLimited(t, "the contact's third ask", st, h, body, "as many as one person may", 3600)
	s := e.askStream(t, "contact", ask)
	wantLimited(t, "the contact's third ask, streamed", s.status, s.header, nil, "", 3600)
	if c, tk := e.aiCalls(t); c != calls || tk != tokens || model.callCount() != 2 {
		t.Errorf("refused asks were spent on: %d calls (%d before), %d tokens (%d before), the model called %d times", c, calls, tk, tokens, model.callCount())
	}
	// Another contact of the same customer, and staff, are still served
	// until the tenant has made 4 calls.
	if st, body := e.do(t, "contact2", "POST", "/assistant/ask", ask); st != 200 {
		t.Errorf("another contact: %d %s", st, body)
	}
	st, body = e.do(t, "csm", "GET", "/customers?q=initech", nil)
	initech := decode[struct{ Items []struct{ ID string } }](t, st, body, 200).Items[0].ID
	if st, body := e.do(t, "csm", "POST", "/customers/"+initech+"/summary", map[string]any{}); st != 200 {
		t.Errorf("a summary: %d %s", st, body)
	}
	st, h, body = e.doH(t, "admin", "POST", "/assistant/ask", ask)
	wantLimited(t, "the tenant's fifth call", st, h, body, "This workspace has asked the assistant 4 times", 3600)
	st, h, body = e.doH(t, "csm", "POST", "/customers/"+initech+"/summary", map[string]any{})
	wantLimited(t, "a summary past the tenant's limit", st, h, body, "This workspace has asked", 3600)
	if model.callCount() != 4 {
		t.Errorf("the model was called %d times, want 4", model.callCount())
	}
}

// TestAssistantLimitHoldsUnderConcurrency: a burst of asks at once gets
// exactly the user's limit through.
func TestAssistantLimitHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	model := &scripted{pieces: []string{"Open Settings [1]."}}
	withOptions(t, e, func(o *server.Options) {
		o.Chat = model
		o.AssistantLimits = assistant.Limits{User: onboardiq.Rate{N: 3, Window: time.Hour}}
	})
	var wg sync.WaitGroup
	statuses := make([]int, 12)
	for i := range statuses {
		wg.Go(func() {
			statuses[i], _ = e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": "How do I set up SSO?"})
		})
	}
	wg.Wait()
	ok, limited := 0, 0
	for _, st := range statuses {
		switch st {
		case 200:
			ok++
		case 429:
			limited++
		}
	}
	if ok != 3 || limited != 9 || model.callCount() != 3 {
		t.Errorf("12 asks at once: %d served, %d refused, the model called %d times; want 3, 9, 3 (%v)", ok, limited, model.callCount(), statuses)
	}
}

// TestUserShareOfTheBudget: with a monthly budget, a user who has used
// their share of it is refused, saying so, while another user is served.
func TestUserShareOfTheBudget(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	model := &scripted{pieces: []string{"Open Settings [1]."}, usage: aiUsage(500, 100)}
	withOptions(t, e, func(o *server.Options) {
		o.Chat = model
		o.AssistantLimits = assistant.Limits{UserBudgetPercent: 25}
	})
	if st, body := e.do(t, "admin", "PUT", "/ai/budget", map[string]any{"monthly_tokens": 4000}); st != 200 {
		t.Fatalf("budget: %d %s", st, body)
	}
	ask := map[string]any{"question": "How do I set up SSO?"}
	for i := range 2 { // 600 tokens each: 1,200, past the share of 1,000
		if st, body := e.do(t, "contact", "POST", "/assistant/ask", ask); st != 200 {
			t.Fatalf("ask %d: %d %s", i+1, st, body)
		}
	}
	calls, tokens := e.aiCalls(t)
	st, h, body := e.doH(t, "contact", "POST", "/assistant/ask", ask)
	wantLimited(t, "past the user's share", st, h, body, "your share (25%) of this workspace's monthly AI token budget", 32*24*3600)
	if c, tk := e.aiCalls(t); c != calls || tk != tokens {
		t.Errorf("the refused ask was recorded or spent: %d calls, %d tokens; want %d, %d", c, tk, calls, tokens)
	}
	if st, body := e.do(t, "csm", "POST", "/assistant/ask", ask); st != 200 {
		t.Errorf("another user, within their share: %d %s", st, body)
	}
	if model.callCount() != 3 {
		t.Errorf("the model was called %d times, want 3", model.callCount())
	}
}

func aiUsage(in, out int) ai.Usage { return ai.Usage{InputTokens: in, OutputTokens: out} }
