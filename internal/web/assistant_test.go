package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"

	"github.com/onboardiq/onboardiq"
)

// sseEvent is one server-sent event of the portal's assistant stream.
type sseEvent struct {
	Name string
	Data map[string]any
}

// portalAsk posts a question to the portal's assistant as its script does
// and reads the whole stream.
func portalAsk(t *testing.T, c *http.Client, a *app, question string) (*http.Response, []sseEvent) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.url+"/portal/acme/assistant", strings.NewReader(url.Values{"question": {question}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Origin", a.url)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var events []sseEvent
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			events = append(events, sseEvent{Name: strings.TrimPrefix(line, "event: ")})
		case strings.HasPrefix(line, "data: ") && len(events) > 0:
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &events[len(events)-1].Data); err != nil {
				t.Errorf("event %s: data is not JSON: %s", events[len(events)-1].Name, line)
			}
		}
	}
	return resp, events
}

// last returns the last event named name, or nil.
func last(events []sseEvent, name string) *sseEvent {
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Name == name {
			return &events[i]
		}
	}
	return nil
}

// TestSearchPagesWithoutWords: the console's and the portal's knowledge
// base pages, and the portal's assistant, given a query with no words,
// say that nothing was found (they once listed every article, scored NaN).
func TestSearchPagesWithoutWords(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	staff := signIn(t, a, "priya.shah@acme.example")
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	for _, q := range []string{"the", "a", "...", "?", "((("} {
		if p := get(t, staff, a.url+"/app/kb?q="+url.QueryEscape(q)); p.status != 200 || len(p.all("ol#hits li a")) != 0 || !strings.Contains(p.text("ol#hits"), "Nothing found") {
			t.Errorf("console, %q: %d, %d hits", q, p.status, len(p.all("ol#hits li a")))
		}
		if p := get(t, contact, a.url+"/portal/acme/kb?q="+url.QueryEscape(q)); p.status != 200 || len(p.all("main ol li a[href*='/kb/']")) != 0 || !strings.Contains(p.text("main ol"), "Nothing found") {
			t.Errorf("portal, %q: %d, %d hits", q, p.status, len(p.all("main ol li a[href*='/kb/']")))
		}
		resp, events := portalAsk(t, contact, a, q)
		done := last(events, "done")
		if resp.StatusCode != 200 || done == nil || done.Data["nothing_found"] != true {
			t.Errorf("portal assistant, %q: %d %+v", q, resp.StatusCode, events)
		}
	}
}

// scripted is a chat model that answers with the given pieces.
type scripted struct{ pieces []string }

func (m scripted) Provider() string { return "test" }
func (m scripted) Model() string    { return "scripted" }

func (m scripted) Stream(ctx context.Context, req ai.Request, onDelta func(string) error) (ai.Usage, error) {
	for _, p := range m.pieces {
		if err := onDelta(p); err != nil {
			return ai.Usage{}, err
		}
	}
	return ai.Usage{InputTokens: 10, OutputTokens: 10}, nil
}

// TestPortalAnswersAreSanitised: the portal's stream and its final answer
// carry no image, raw HTML or javascript: link of the model's, however its
// text is cut into pieces.
func TestPortalAnswersAreSanitised(t *testing.T) {
	t.Parallel()
	evil := "Open Settings ![tracker](http://t.example/p.gif) <img src=http://t.example/i.gif> ![x][1] [click](javascript:alert(1))\n\n[1]: http://t.example/r.gif"
	var pieces []string
	for i := 0; i < len(evil); i += 2 {
		pieces = append(pieces, evil[i:min(i+2, len(evil))])
	}
	a := newAppWith(t, func(o *server.Options) { o.Chat = scripted{pieces} })
	c := actPortalClient(t, a, "hannah.becker@globex.example")
	resp, events := portalAsk(t, c, a, "How do I set up SSO?")
	done := last(events, "done")
	if resp.StatusCode != 200 || done == nil {
		t.Fatalf("%d %+v", resp.StatusCode, events)
	}
	var streamed strings.Builder
	for _, ev := range events {
		if ev.Name == "delta" {
			d, _ := ev.Data["text"].(string)
			streamed.WriteString(d)
			for _, bad := range []string{"![", "<img", "](javascript", "](http://t.example"} {
				if strings.Contains(d, bad) {
					t.Errorf("a delta holds %q: %q", bad, d)
				}
			}
		}
	}
	if answer, _ := done.Data["answer"].(string); answer != ai.Sanitize(evil) || streamed.String() != answer {
		t.Errorf("answer %q, streamed %q, want %q", answer, streamed.String(), ai.Sanitize(evil))
	}
}

// echo is a language model that answers with its whole prompt, and
// records it.
type echo struct {
	mu      sync.Mutex
	prompts []string
}

func (m *echo) Provider() string { return "test" }
func (m *echo) Model() string    { return "echo" }

func (m *echo) Stream(ctx context.Context, req ai.Request, onDelta func(string) error) (ai.Usage, error) {
	system, user := ai.Prompt(req)
	m.mu.Lock()
	m.prompts = append(m.prompts, system+"\n"+user)
	m.mu.Unlock()
	prompt := system + "\n" + user
	for i := 0; i < len(prompt); i += 500 {
		if err := onDelta(prompt[i:min(i+500, len(prompt))]); err != nil {
			return ai.Usage{}, err
		}
	}
	return ai.Usage{InputTokens: 10, OutputTokens: 10}, nil
}

// api calls the JSON API with a demo user's token.
func (a *app) api(t *testing.T, email, method, path string, body any) (int, []byte) {
	t.Helper()
	var token string
	for _, l := range a.demo.Logins {
		if l.Email == email {
			token = l.Token
		}
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, a.url+"/api/v1"+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestPortalGroundingNamesNoOtherCustomer: in the portal, a contact's
// question close to another customer's task is grounded in the template's
// words only; the canary in that customer's task, comment and blocked
// reason reaches neither the prompt, the stream nor the audit log.
func TestPortalGroundingNamesNoOtherCustomer(t *testing.T) {
	t.Parallel()
	model := &echo{}
	a := newAppWith(t, func(o *server.Options) { o.Chat = model })
	const canary = "qx7canary"
	csm := "priya.shah@acme.example"
	var task string
	actScan(t, a, `SELECT t.task_id::text FROM tasks t JOIN projects p ON p.project_id = t.project_id
	               WHERE p.name = 'Initech Health onboarding' AND t.description = 'Create API keys and connect the first integration'`, nil, &task)
	for _, s := range []struct {
		method, path string
		body         map[string]any
	}{
		{"PATCH", "/tasks/" + task, map[string]any{"description": "Create API keys for the payments gateway with a rotation script " + canary + "desc",
			"details": "Initech ran the " + canary + "details rotation script."}},
		{"PATCH", "/tasks/" + task, map[string]any{"status": "blocked", "blocked_reason": "Waiting for the security approval " + canary + "block"}},
		{"PATCH", "/tasks/" + task, map[string]any{"status": "completed"}},
		{"POST", "/tasks/" + task + "/comments", map[string]any{"body": canary + "comment from Jane Roe"}},
	} {
		if st, body := a.api(t, csm, s.method, s.path, s.body); st >= 300 {
			t.Fatalf("%s %s: %d %s", s.method, s.path, st, body)
		}
	}
	if _, err := jobs.EmbedBatch(context.Background(), a.db.App, ai.Local{}, a.demo.TenantID,
		[]postgres.EmbedArgs{{TenantID: a.demo.TenantID, Entity: postgres.EntityTask, ID: uuid.MustParse(task)}}); err != nil {
		t.Fatal(err)
	}
	c := actPortalClient(t, a, "hannah.becker@globex.example")
	resp, events := portalAsk(t, c, a, "How do I create API keys for the payments gateway with a rotation script?")
	if resp.StatusCode != 200 || last(events, "done") == nil {
		t.Fatalf("%d %+v", resp.StatusCode, events)
	}
	model.mu.Lock()
	prompt := strings.Join(model.prompts, "\n")
	model.mu.Unlock()
	if !strings.Contains(prompt, "A similar task of an earlier onboarding") {
		t.Errorf("the similar task is not in the prompt:\n%s", prompt)
	}
	stream, _ := json.Marshal(events)
	_, calls := a.api(t, "alex.morgan@acme.example", "GET", "/ai/calls", nil)
	for what, text := range map[string]string{"prompt": prompt, "stream": string(stream), "audit log": string(calls)} {
		for _, leak := range []string{canary, "Initech", "Jane Roe"} {
			if strings.Contains(text, leak) {
				t.Errorf("the %s holds %q", what, leak)
			}
		}
	}
}

// TestAssistantLimitsInPages: past the user's limit, the portal's
// assistant answers 429 with Retry-After and an error event that says
// which limit; past the tenant's, the console's AI summary answers a 429
// page that says so.
func TestAssistantLimitsInPages(t *testing.T) {
	t.Parallel()
	a := newAppWith(t, func(o *server.Options) {
		o.AssistantLimits = assistant.Limits{User: onboardiq.Rate{N: 2, Window: time.Hour}, Tenant: onboardiq.Rate{N: 3, Window: time.Hour}}
	})
	c := actPortalClient(t, a, "hannah.becker@globex.example")
	for range 2 {
		if resp, events := portalAsk(t, c, a, "How do I set up SSO?"); resp.StatusCode != 200 || last(events, "done") == nil {
			t.Fatalf("an ask within the limit: %d %+v", resp.StatusCode, events)
		}
	}
	resp, events := portalAsk(t, c, a, "How do I set up SSO?")
	ev := last(events, "error")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || ev == nil ||
		!strings.Contains(ev.Data["detail"].(string), "as many as one person may") {
		t.Errorf("third ask: %d, Retry-After %q, %+v", resp.StatusCode, resp.Header.Get("Retry-After"), events)
	}
	staff := signIn(t, a, "priya.shah@acme.example")
	var globex string
	actScan(t, a, `SELECT customer_id::text FROM customers WHERE name = 'Globex Logistics'`, nil, &globex)
	if p := post(t, staff, a.url+"/app/customers/"+globex+"/summary", nil, a.url); p.status != 200 {
		t.Errorf("a summary within the limits: %d", p.status)
	}
	p := post(t, staff, a.url+"/app/customers/"+globex+"/summary", nil, a.url)
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || !strings.Contains(p.text(".error"), "This workspace has asked the assistant 3 times in the last hour") {
		t.Errorf("a summary past the tenant's limit: %d, Retry-After %q, %q", p.status, p.header.Get("Retry-After"), p.text(".error"))
	}
}
