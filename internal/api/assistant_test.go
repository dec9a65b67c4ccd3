package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/server"
)

// recorder is a chat model that records what it is asked and answers with
// the offline responder.
type recorder struct {
	ai.Extractive
	mu   sync.Mutex
	reqs []ai.Request
}

func (r *recorder) Stream(ctx context.Context, req ai.Request, onDelta func(string) error) (ai.Usage, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return r.Extractive.Stream(ctx, req, onDelta)
}

func (r *recorder) prompts() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, req := range r.reqs {
		system, user := ai.Prompt(req)
		b.WriteString(system + user)
		for _, m := range req.History {
			b.WriteString(m.Content)
		}
	}
	return b.String()
}

func withRecorder(t *testing.T, e *demoEnv) *recorder {
	t.Helper()
	rec := &recorder{}
	e.srv = httptest.NewServer(server.New(server.Options{DB: e.db.App, Logger: slog.New(slog.DiscardHandler), Version: "test", Chat: rec}))
	t.Cleanup(e.srv.Close)
	return rec
}

type answerJSON struct {
	Answer    string
	Citations []struct {
		Type, ID, Title, Anchor string
	}
	ConversationID string `json:"conversation_id"`
	NothingFound   bool   `json:"nothing_found"`
}

func TestCustomerAsksHowToSetUpSSO(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	st, body := e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": "How do I set up SSO?"})
	a := decode[answerJSON](t, st, body, 200)
	if a.NothingFound || len(a.Citations) == 0 || !strings.Contains(a.Citations[0].Title, "SAML 2.0 single sign-on") || a.Citations[0].Type != "article" {
		t.Fatalf("answer: %s", body)
	}
	if !strings.Contains(a.Answer, ai.NoModelNotice) {
		t.Errorf("the offline answer should say no model is configured: %s", a.Answer)
	}
	// It quotes the SAML steps, each list whole and under its heading, not
	// the article's opening lines; the citation points to a passage.
	for _, want := range []string{
		"**Step 1: Copy the Acme service provider details**",
		"> 1. Go to **Settings → Security → Single sign-on**.\n> 2. Click **Add connection** and choose **SAML 2.0**.\n> 3. Keep this page open.",
		">    - **ACS URL (Reply URL):**",
		"**Step 4: Test and enable**",
		"> 1. Click **Test connection**.",
		"> 3. Switch the connection to **Enabled**.",
	} {
		if !strings.Contains(a.Answer, want) {
			t.Errorf("the offline answer does not quote %q:\n%s", want, a.Answer)
		}
	}
	if strings.Contains(a.Answer, "supports SAML 2.0 for both SP-initiated") {
		t.Errorf("the offline answer quotes the opening lines:\n%s", a.Answer)
	}
	if !strings.HasPrefix(a.Citations[0].Anchor, "sec-") {
		t.Errorf("the citation names no passage: %+v", a.Citations[0])
	}

	// The same, streamed as server-sent events.
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/assistant/ask", strings.NewReader(`{"question":"How do I set up SSO?","conversation_id":"`+a.ConversationID+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+e.tokens["contact"])
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	var events []string
	var done answerJSON
	var streamed strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var event string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
			events = append(events, event)
		case strings.HasPrefix(line, "data: ") && event == "delta":
			var d struct{ Text string }
			_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &d)
			streamed.WriteString(d.Text)
		case strings.HasPrefix(line, "data: ") && event == "done":
			_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &done)
		}
	}
	deltas := strings.Count(strings.Join(events, ","), "delta")
	if deltas < 2 || events[len(events)-1] != "done" || streamed.String() != done.Answer || len(done.Citations) == 0 {
		t.Errorf("stream: events %v, streamed %d bytes, done %+v", events, streamed.Len(), done)
	}
	if done.ConversationID != a.ConversationID {
		t.Errorf("the conversation was not continued: %s, %s", done.ConversationID, a.ConversationID)
	}
}

// TestAssistantCanaries: nothing of another tenant and nothing internal
// reaches a customer's prompt, answer or citations.
func TestAssistantCanaries(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	rec := withRecorder(t, e)
	for _, q := range []string{"How do I set up SSO? " + canaryOtherTenant, canaryInternal + " on-call for SSO set-up", "how do I set up SSO"} {
		st, body := e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": q})
		a := decode[answerJSON](t, st, body, 200)
		out, _ := json.Marshal(a)
		if strings.Contains(string(out), canaryOtherTenant+" certificate") || strings.Contains(string(out), "page the "+canaryInternal) {
			t.Errorf("%q: a canary reached the answer: %s", q, out)
		}
	}
	prompts := rec.prompts()
	if prompts == "" {
		t.Fatal("the model was never called")
	}
	if strings.Contains(prompts, canaryOtherTenant+" certificate") || strings.Contains(prompts, "page the "+canaryInternal) {
		t.Errorf("a canary reached the prompt")
	}
	// Staff do get the internal article: the canary was reachable.
	st, body := e.do(t, "csm", "POST", "/assistant/ask", map[string]any{"question": canaryInternal + " on-call for SSO set-up"})
	if a := decode[answerJSON](t, st, body, 200); !strings.Contains(a.Answer, canaryInternal) {
		t.Errorf("staff should be answered from the internal article: %s", body)
	}
}

func TestNothingFoundOffersTheSupportMember(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	rec := withRecorder(t, e)
	st, body := e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": "What is the airspeed velocity of an unladen swallow?"})
	a := decode[answerJSON](t, st, body, 200)
	if !a.NothingFound || !strings.Contains(a.Answer, "Priya Shah") || len(a.Citations) != 0 {
		t.Fatalf("answer: %s", body)
	}
	if len(rec.reqs) != 0 {
		t.Error("the model was called with nothing to go on")
	}
	st, body = e.do(t, "contact", "POST", "/assistant/escalate", map[string]any{"conversation_id": a.ConversationID})
	if st != 201 || !strings.Contains(string(body), `"posted_on":"customer"`) {
		t.Fatalf("escalate: %d %s", st, body)
	}
	// The CSM sees the question in the customer's activity.
	st, body = e.do(t, "csm", "GET", "/customers?q=globex", nil)
	customer := decode[struct{ Items []struct{ ID string } }](t, st, body, 200).Items[0].ID
	st, body = e.do(t, "csm", "GET", "/customers/"+customer+"/activity", nil)
	if st != 200 || !strings.Contains(string(body), "unladen swallow") || !strings.Contains(string(body), `"kind":"assistant.question"`) {
		t.Errorf("activity: %d %s", st, body)
	}
	// Someone else's conversation cannot be escalated.
	if st, _ := e.do(t, "csm", "POST", "/assistant/escalate", map[string]any{"conversation_id": a.ConversationID}); st != 404 {
		t.Errorf("another user's conversation: %d, want 404", st)
	}
}

func TestBudgetAndAudit(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	if st, body := e.do(t, "admin", "PUT", "/ai/budget", map[string]any{"monthly_tokens": 50}); st != 200 {
		t.Fatalf("set budget: %d %s", st, body)
	}
	if st, _ := e.do(t, "csm", "PUT", "/ai/budget", map[string]any{"monthly_tokens": nil}); st != 403 {
		t.Errorf("a csm set the budget: %d", st)
	}
	st, body := e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": "How do I set up SSO?"})
	if st != 200 {
		t.Fatalf("first question: %d %s", st, body)
	}
	st, body = e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": "How do I create an API key?"})
	if st != http.StatusTooManyRequests || !strings.Contains(string(body), "budget") {
		t.Errorf("over budget: %d %s, want 429 naming the budget", st, body)
	}
	st, body = e.do(t, "admin", "GET", "/ai/calls", nil)
	calls := decode[struct {
		Items []struct {
			Kind, Question, Provider, Model string
			Sources                         []struct{ Type, Title string }
			InputTokens                     int `json:"input_tokens"`
		}
	}](t, st, body, 200).Items
	if len(calls) != 1 || calls[0].Question != "How do I set up SSO?" || calls[0].Provider != "local" || len(calls[0].Sources) == 0 || calls[0].InputTokens == 0 {
		t.Errorf("audit log: %s", body)
	}
	if st, _ := e.do(t, "csm", "GET", "/ai/calls", nil); st != 403 {
		t.Errorf("a csm read the audit log: %d", st)
	}
}

func TestStaffAssistant(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	st, body := e.do(t, "csm", "GET", "/customers?q=initech", nil)
	initech := decode[struct{ Items []struct{ ID string } }](t, st, body, 200).Items[0].ID
	st, body = e.do(t, "csm", "POST", "/customers/"+initech+"/summary", map[string]any{})
	sum := decode[struct {
		Text  string
		Facts struct {
			Customer string
			Blocked  []struct{ Description string } `json:"tasks_blocked_now"`
			Projects []struct {
				Overdue bool
			}
		}
	}](t, st, body, 200)
	if sum.Facts.Customer != "Initech Health" || len(sum.Facts.Blocked) != 1 || len(sum.Facts.Projects) != 1 || !sum.Facts.Projects[0].Overdue ||
		!strings.Contains(sum.Text, "1 task(s) are blocked now") {
		t.Errorf("summary: %s", body)
	}
	if st, _ := e.do(t, "contact", "POST", "/customers/"+initech+"/summary", map[string]any{}); st != 404 {
		t.Errorf("another customer's contact: %d, want 404", st)
	}
	st, body = e.do(t, "csm", "GET", "/projects?q=initech", nil)
	project := decode[struct{ Items []struct{ ID string } }](t, st, body, 200).Items[0].ID
	st, body = e.do(t, "csm", "POST", "/projects/"+project+"/unblock", nil)
	if st != 200 || !strings.Contains(string(body), "Lena Park (customer side)") || !strings.Contains(string(body), `"citations":[{`) {
		t.Errorf("unblock: %d %s", st, body)
	}
	st, body = e.do(t, "csm", "GET", "/projects/"+project+"/tasks?status=blocked", nil)
	task := decode[struct{ Items []struct{ ID string } }](t, st, body, 200).Items[0].ID
	st, body = e.do(t, "csm", "POST", "/tasks/"+task+"/troubleshoot", nil)
	if st != 200 || !strings.Contains(string(body), "Globex") || !strings.Contains(string(body), "similar_tasks") {
		t.Errorf("troubleshoot: %d %s", st, body)
	}
}
