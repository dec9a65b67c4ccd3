package api_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

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
	prompt := system + "\n" + user
	for _, h := range req.History {
		prompt += "\n" + h.Content
	}
	m.mu.Lock()
	m.prompts = append(m.prompts, prompt)
	m.mu.Unlock()
	for i := 0; i < len(prompt); i += 500 {
		if err := onDelta(prompt[i:min(i+500, len(prompt))]); err != nil {
			return ai.Usage{}, err
		}
	}
	return ai.Usage{InputTokens: len(prompt) / 4, OutputTokens: len(prompt) / 4}, nil
}

func (m *echo) last() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.prompts) == 0 {
		return ""
	}
	return m.prompts[len(m.prompts)-1]
}

// groundingCanary marks every free-text field of another customer's task.
const groundingCanary = "qx7canary"

// groundingQuestion is close to the planted task.
const groundingQuestion = "How do I create API keys for the payments gateway with a rotation script?"

// plantCanaries changes a completed task of Initech (another customer
// than the contact's Globex), made from the default template, so that
// its description, details, comments and blocked reason carry the canary,
// adds a completed task made from no template with the canary, and embeds
// both.
func plantCanaries(t *testing.T, e *demoEnv) {
	t.Helper()
	st, body := e.do(t, "csm", "GET", "/projects?q=initech", nil)
	project := decode[struct{ Items []struct{ ID string } }](t, st, body, 200).Items[0].ID
	var task string
	for _, tk := range e.tasks(t, "csm", project) {
		if tk.Description == "Create API keys and connect the first integration" {
			task = tk.ID
		}
	}
	if task == "" {
		t.Fatal("no API key task in Initech's project")
	}
	steps := []struct {
		method, path string
		body         map[string]any
	}{
		{"PATCH", "/tasks/" + task, map[string]any{"description": "Create API keys for the payments gateway with a rotation script " + groundingCanary + "desc",
			"details": "Initech ran the " + groundingCanary + "details rotation script for the payments gateway."}},
		{"PATCH", "/tasks/" + task, map[string]any{"status": "blocked", "blocked_reason": "Waiting for the security team's approval " + groundingCanary + "block"}},
		{"PATCH", "/tasks/" + task, map[string]any{"status": "completed"}},
		{"POST", "/tasks/" + task + "/comments", map[string]any{"body": groundingCanary + "comment: Jane Roe fixed the payments gateway rotation script"}},
	}
	for _, s := range steps {
		if st, body := e.do(t, "csm", s.method, s.path, s.body); st >= 300 {
			t.Fatalf("%s %s: %d %s", s.method, s.path, st, body)
		}
	}
	st, body = e.do(t, "csm", "POST", "/projects/"+project+"/tasks", map[string]any{
		"description": "Rotate the payments gateway API keys with the rotation script " + groundingCanary + "adhoc", "visibility": "customer"})
	adhoc := decode[struct{ ID string }](t, st, body, 201).ID
	if st, body := e.do(t, "csm", "PATCH", "/tasks/"+adhoc, map[string]any{"status": "completed"}); st != 200 {
		t.Fatalf("complete: %d %s", st, body)
	}
	var items []postgres.EmbedArgs
	for _, id := range []string{task, adhoc} {
		items = append(items, postgres.EmbedArgs{TenantID: e.acme, Entity: postgres.EntityTask, ID: uuid.MustParse(id)})
	}
	if _, err := jobs.EmbedBatch(context.Background(), e.db.App, ai.Local{}, e.acme, items); err != nil {
		t.Fatal(err)
	}
}

// TestCustomerGroundingNamesNoOtherCustomer: with a language model, a
// contact's question close to another customer's task is grounded in the
// tenant's template text and an anonymous outcome only: the canary in
// that customer's description, details, comments and blocked reason, and
// their name, reach neither the prompt, the answer (streamed or not), the
// stored answer nor the audit log. Staff asking the same get the task as
// it is.
func TestCustomerGroundingNamesNoOtherCustomer(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	plantCanaries(t, e)
	model := &echo{}
	withChat(t, e, model)

	st, body := e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": groundingQuestion})
	a := decode[answerJSON](t, st, body, 200)
	prompt := model.last()
	if !strings.Contains(prompt, "A similar task of an earlier onboarding") || !strings.Contains(prompt, "store it in your secret manager") ||
		!strings.Contains(prompt, "blocked on the way, by an approval or a review") {
		t.Errorf("the contact's prompt lacks the anonymous similar task (template text, outcome):\n%s", prompt)
	}
	s := e.askStream(t, "contact", map[string]any{"question": groundingQuestion})
	for what, text := range map[string]string{
		"prompt": prompt + model.last(), "answer": a.Answer, "streamed answer": strings.Join(s.deltas, ""),
		"stored answer": e.lastStoredAnswer(t), "citations": string(body),
	} {
		for _, leak := range []string{groundingCanary, "Initech", "Jane Roe"} {
			if strings.Contains(text, leak) {
				t.Errorf("the contact's %s holds %q", what, leak)
			}
		}
	}
	st, body = e.do(t, "admin", "GET", "/ai/calls?limit=50", nil)
	if calls := string(body); st != 200 || strings.Contains(calls, groundingCanary) || strings.Contains(calls, "Initech") {
		t.Errorf("the audit log holds the canary: %d %s", st, body)
	}

	// Staff may see every customer: the same question gets the task as it is.
	st, body = e.do(t, "csm", "POST", "/assistant/ask", map[string]any{"question": groundingQuestion})
	decode[answerJSON](t, st, body, 200)
	staff := model.last()
	for _, want := range []string{groundingCanary + "desc", groundingCanary + "details", groundingCanary + "block", groundingCanary + "comment", "Initech Health onboarding"} {
		if !strings.Contains(staff, want) {
			t.Errorf("the staff prompt lacks %q", want)
		}
	}
}
