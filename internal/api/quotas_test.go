package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
)

type quotaProblem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Quota  string `json:"quota"`
	Limit  int64  `json:"limit"`
	Usage  int64  `json:"usage"`
}

// wantQuotaProblem checks a refusal for a quota: the status, the problem
// document naming the quota, its limit and the usage and saying how to
// raise it, and for a monthly quota a Retry-After to the next month.
func wantQuotaProblem(t *testing.T, what string, st int, h http.Header, body []byte, status int, quota string, limit, usage int64) {
	t.Helper()
	var p quotaProblem
	if err := json.Unmarshal(body, &p); err != nil || st != status || p.Status != status || p.Title != "Quota exceeded" || p.Type == "" ||
		p.Quota != quota || p.Limit != limit || p.Usage != usage || !strings.Contains(p.Detail, "Ask your provider to raise") ||
		!strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("%s: %d %s %s; want %d naming %s (limit %d, usage %d)", what, st, h.Get("Content-Type"), body, status, quota, limit, usage)
	}
	secs, _ := strconv.Atoi(h.Get("Retry-After"))
	if status == http.StatusTooManyRequests {
		next := time.Now().UTC().Add(time.Duration(secs) * time.Second)
		if secs < 1 || secs > 32*24*3600 || next.Day() != 1 && next.Add(time.Minute).Day() != 1 {
			t.Errorf("%s: Retry-After %q, want the seconds to the next month", what, h.Get("Retry-After"))
		}
	} else if h.Get("Retry-After") != "" {
		t.Errorf("%s: Retry-After %q on a hard limit", what, h.Get("Retry-After"))
	}
}

type quotasOut struct {
	Tier   *string `json:"subscription_tier"`
	Quotas []struct {
		Quota  string `json:"quota"`
		Limit  *int64 `json:"limit"`
		Usage  int64  `json:"usage"`
		Source string `json:"source"`
	} `json:"quotas"`
}

func (q quotasOut) usage(name string) (int64, *int64) {
	for _, u := range q.Quotas {
		if u.Quota == name {
			return u.Usage, u.Limit
		}
	}
	return -1, nil
}

// TestQuotasThroughTheAPI: an operator sets acme's tier and overrides
// (bad ones are 422, naming the field); acme's admin reads them at
// /quotas (its csm may not; bolt's admin reads bolt's); each quota at n
// is allowed and at n+1 refused with its problem: users 403, integrations
// 403, storage 403, API calls 429 with Retry-After.
func TestQuotasThroughTheAPI(t *testing.T) {
	t.Parallel()
	e, _ := operatorEnv(t)
	dh := &demoEnv{env: e}
	path := "/admin/tenants/" + e.acme.String() + "/quotas"
	for _, bad := range []map[string]any{
		{"subscription_tier": "gold"},
		{"subscription_tier": "starter", "overrides": map[string]any{"seats": 3}},
		{"subscription_tier": "starter", "overrides": map[string]any{"users": -1}},
	} {
		if st, out := e.do(t, "operator", "PUT", path, bad); st != 422 {
			t.Errorf("%v: %d %s, want 422", bad, st, out)
		}
	}
	st, out := e.do(t, "admin", "GET", "/quotas", nil)
	q := decode[quotasOut](t, st, out, 200)
	staff, _ := q.usage("users")
	stored, _ := q.usage("storage")
	if q.Tier != nil || staff != 4 {
		t.Fatalf("before: %s", out)
	}
	// The limits: one more staff user, one endpoint, 100 more bytes, and
	// the calls made so far (the GET above counted) and 20 more (the
	// operator's calls are not counted).
	calls, _ := q.usage("api_calls")
	callLimit := calls + 20
	st, out = e.do(t, "operator", "PUT", path, map[string]any{"subscription_tier": "starter",
		"overrides": map[string]any{"users": staff + 1, "integrations": 1, "storage": stored + 100, "api_calls": callLimit, "ai_tokens": nil}})
	ot := decode[struct {
		SubscriptionTier string    `json:"subscription_tier"`
		Quotas           quotasOut `json:"quotas"`
	}](t, st, out, 200)
	if u, l := ot.Quotas.usage("users"); ot.SubscriptionTier != "starter" || u != staff || l == nil || *l != staff+1 {
		t.Fatalf("the operator's answer: %s", out)
	}
	if _, l := ot.Quotas.usage("ai_tokens"); l != nil {
		t.Errorf("ai_tokens overridden to null: limit %d", *l)
	}

	// users: n allowed, n+1 refused (a user, an invitation).
	if st, out := e.do(t, "admin", "POST", "/users", map[string]any{"email": "seat@acme.test", "name": "Seat", "role": "viewer"}); st != 201 {
		t.Fatalf("the last seat: %d %s", st, out)
	}
	st, h, out := dh.doH(t, "admin", "POST", "/users", map[string]any{"email": "over@acme.test", "name": "Over", "role": "viewer"})
	wantQuotaProblem(t, "a user past the limit", st, h, out, 403, "users", staff+1, staff+1)
	// integrations.
	hook := map[string]any{"url": "https://93.184.215.14/hook", "events": []string{"project.overdue"}}
	if st, out := e.do(t, "admin", "POST", "/webhooks", hook); st != 201 {
		t.Fatalf("the first endpoint: %d %s", st, out)
	}
	st, h, out = dh.doH(t, "admin", "POST", "/webhooks", hook)
	wantQuotaProblem(t, "a second endpoint", st, h, out, 403, "integrations", 1, 1)
	// storage: an article of 100 bytes fits exactly; one more byte not.
	article := func(title string, n int) map[string]any {
		return map[string]any{"title": title, "content": strings.Repeat("s", n-len(title)), "visibility": "internal"}
	}
	if st, out := e.do(t, "csm", "POST", "/kb/articles", article("Fits", 100)); st != 201 {
		t.Fatalf("an article at the storage limit: %d %s", st, out)
	}
	st, h, out = dh.doH(t, "csm", "POST", "/kb/articles", article("Byte", 5))
	wantQuotaProblem(t, "an article past storage", st, h, out, 403, "storage", stored+100, stored+100)

	// The tenant's own view; a csm may not read it.
	st, out = e.do(t, "admin", "GET", "/quotas", nil)
	q = decode[quotasOut](t, st, out, 200)
	if u, l := q.usage("storage"); u != stored+100 || *l != stored+100 {
		t.Errorf("storage after: %s", out)
	}
	if st, _ := e.do(t, "csm", "GET", "/quotas", nil); st != 403 {
		t.Errorf("a csm reading quotas: %d", st)
	}
	st, out = e.do(t, "other_tenant", "GET", "/quotas", nil)
	if q := decode[quotasOut](t, st, out, 200); q.Tier != nil || strings.Contains(string(out), e.acme.String()) {
		t.Errorf("bolt's quotas: %s", out)
	}

	// API calls: count what is left, then the next is 429 for everyone of
	// the tenant, and bolt is unaffected.
	st, out = e.do(t, "admin", "GET", "/quotas", nil)
	used, _ := decode[quotasOut](t, st, out, 200).usage("api_calls") // this GET included
	calls = callLimit - used
	for i := range calls {
		if st, out := e.do(t, "viewer", "GET", "/me", nil); st != 200 {
			t.Fatalf("call %d of the %d left: %d %s", i+1, calls, st, out)
		}
	}
	st, h, out = dh.doH(t, "csm", "GET", "/me", nil)
	wantQuotaProblem(t, "the call past the month's limit", st, h, out, 429, "api_calls", callLimit, callLimit)
	if st, _ := e.do(t, "other_tenant", "GET", "/me", nil); st != 200 {
		t.Errorf("bolt after acme's limit: %d", st)
	}
	// The operator is never counted nor refused.
	if st, out := e.do(t, "operator", "GET", "/admin/tenants/"+e.acme.String(), nil); st != 200 || !strings.Contains(string(out), `"quotas"`) {
		t.Errorf("the operator's view: %d %s", st, out)
	}
	// The tenants' list downloads as CSV, the quotas among its columns.
	if st, out := e.do(t, "operator", "GET", "/admin/tenants?format=csv", nil); st != 200 || !strings.Contains(string(out), "quotas.") ||
		!strings.Contains(string(out), "starter") {
		t.Errorf("the tenants as CSV: %d %s", st, out)
	}
}

// TestAITokenQuota: past the month's AI tokens the assistant answers 429
// naming the quota; the model is not called.
func TestAITokenQuota(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	model := &scripted{pieces: []string{"Open Settings [1]."}, usage: aiUsage(500, 100)}
	withOptions(t, e, func(o *server.Options) {
		o.Chat = model
		o.AssistantLimits = assistant.Limits{}
	})
	op := onboardiq.NewContextWithOperator(context.Background(), &onboardiq.Operator{TokenID: uuid.New(), Name: "ops"})
	tier := "starter"
	if _, err := e.db.App.SetTenantQuotas(op, e.acme, postgres.QuotaChange{Tier: &tier, Overrides: onboardiq.QuotaOverrides{onboardiq.QuotaAITokens: new(int64(1200))}}); err != nil {
		t.Fatal(err)
	}
	ask := map[string]any{"question": "How do I set up SSO?"}
	for i := range 2 { // 600 tokens each: 1,200, the limit
		if st, body := e.do(t, "contact", "POST", "/assistant/ask", ask); st != 200 {
			t.Fatalf("ask %d: %d %s", i+1, st, body)
		}
	}
	st, h, body := e.doH(t, "csm", "POST", "/assistant/ask", ask)
	wantQuotaProblem(t, "past the AI tokens", st, h, body, 429, "ai_tokens", 1200, 1200)
	if model.callCount() != 2 {
		t.Errorf("the model was called %d times, want 2", model.callCount())
	}
}
