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
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/server"
)

// scripted is a chat model that answers with the given pieces, in order,
// reports usage (default 100 in, 10 out), and counts its calls and the
// pieces it was let to send.
type scripted struct {
	pieces []string
	usage  ai.Usage
	mu     sync.Mutex
	calls  int
	sent   int
}

func (m *scripted) Provider() string { return "test" }
func (m *scripted) Model() string    { return "scripted" }

func (m *scripted) Stream(ctx context.Context, req ai.Request, onDelta func(string) error) (ai.Usage, error) {
	usage := m.usage
	if usage == (ai.Usage{}) {
		usage = ai.Usage{InputTokens: 100, OutputTokens: 10}
	}
	m.mu.Lock()
	m.calls++
	m.mu.Unlock()
	for _, p := range m.pieces {
		m.mu.Lock()
		m.sent++
		m.mu.Unlock()
		if err := onDelta(p); err != nil {
			return usage, err
		}
	}
	return usage, nil
}

func (m *scripted) callCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

// withChat serves the demo environment with chat as the model.
func withChat(t *testing.T, e *demoEnv, chat ai.Chat) {
	t.Helper()
	withOptions(t, e, func(o *server.Options) { o.Chat = chat })
}

// withOptions serves the demo environment with options changed by opts.
func withOptions(t *testing.T, e *demoEnv, opts func(*server.Options)) {
	t.Helper()
	o := server.Options{DB: e.db.App, Logger: slog.New(slog.DiscardHandler), Version: "test"}
	opts(&o)
	e.srv = httptest.NewServer(server.New(o))
	t.Cleanup(e.srv.Close)
}

type streamed struct {
	status int
	header http.Header
	deltas []string
	done   *answerJSON
	events []string
	errors []string
}

// askStream asks as caller with Accept: text/event-stream and reads the
// whole stream.
func (e *demoEnv) askStream(t *testing.T, caller string, body map[string]any) streamed {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/assistant/ask", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+e.tokens[caller])
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	s := streamed{status: resp.StatusCode, header: resp.Header}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var event string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
			s.events = append(s.events, event)
		case strings.HasPrefix(line, "data: "):
			data := []byte(strings.TrimPrefix(line, "data: "))
			switch event {
			case "delta":
				var d struct{ Text string }
				if err := json.Unmarshal(data, &d); err != nil {
					t.Errorf("delta %s: %v", data, err)
				}
				s.deltas = append(s.deltas, d.Text)
			case "done":
				s.done = &answerJSON{}
				if err := json.Unmarshal(data, s.done); err != nil {
					t.Errorf("done %s: %v", data, err)
				}
			case "error":
				s.errors = append(s.errors, string(data))
			}
		}
	}
	return s
}

// lastStoredAnswer is the newest assistant message stored.
func (e *demoEnv) lastStoredAnswer(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.db.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var content string
	if err := conn.QueryRow(ctx, `SELECT content FROM assistant_messages WHERE role = 'assistant' ORDER BY message_id DESC LIMIT 1`).Scan(&content); err != nil {
		t.Fatal(err)
	}
	return content
}

// TestAnswersAreSanitised: a model (led on by a planted article, say)
// writes tracking images, raw HTML and javascript: links, cut across
// pieces; the streamed pieces, the answer returned and the answer stored
// hold none of them.
func TestAnswersAreSanitised(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	evil := "Open Settings ![tracker](http://t.example/p.gif?d=secret) then <img src=http://t.example/i.gif> " +
		"or <video poster=http://t.example/v.png></video>. ![x][1] [click](javascript:alert(1)) [ok](https://docs.example/sso) [2]\n\n" +
		"[1]: http://t.example/ref.gif\n[2]: javascript:alert(2)\n"
	var pieces []string
	for i := 0; i < len(evil); i += 3 { // every marker is cut between pieces somewhere
		pieces = append(pieces, evil[i:min(i+3, len(evil))])
	}
	withChat(t, e, &scripted{pieces: pieces})
	want := ai.Sanitize(evil)
	unsafe := []string{"![", "<img", "<video", "](http://t.example", "](javascript", "]: javascript"}
	check := func(what, s string) {
		t.Helper()
		for _, u := range unsafe {
			if strings.Contains(s, u) {
				t.Errorf("%s holds %q: %q", what, u, s)
			}
		}
	}
	s := e.askStream(t, "contact", map[string]any{"question": "How do I set up SSO?"})
	if s.status != 200 || s.done == nil || len(s.deltas) < 2 {
		t.Fatalf("stream: %d %v %v", s.status, s.events, s.errors)
	}
	for _, d := range s.deltas {
		check("a delta", d)
	}
	if got := strings.Join(s.deltas, ""); got != s.done.Answer || got != want {
		t.Errorf("streamed %q\ndone %q\nwant %q", got, s.done.Answer, want)
	}
	if !strings.Contains(want, "[ok](https://docs.example/sso)") || !strings.Contains(want, "tracker") {
		t.Errorf("the safe link or the alt text is gone: %q", want)
	}
	check("the stored answer", e.lastStoredAnswer(t))
	st, body := e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": "How do I set up SSO?"})
	if a := decode[answerJSON](t, st, body, 200); a.Answer != want {
		t.Errorf("JSON answer %q, want %q", a.Answer, want)
	}
	check("the stored answer", e.lastStoredAnswer(t))
}

// TestLongAnswerIsShortened: an answer longer than an assistant message
// may be is cut with a note, returned and stored (it was a 502 after its
// tokens were spent), and the model is stopped there.
func TestLongAnswerIsShortened(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	piece := strings.Repeat("Open Settings → Security. ", 40) // 1,040 characters
	var pieces []string
	for range 80 {
		pieces = append(pieces, piece)
	}
	model := &scripted{pieces: pieces}
	withChat(t, e, model)
	for _, accept := range []string{"json", "stream"} {
		var answer string
		if accept == "json" {
			st, body := e.do(t, "contact", "POST", "/assistant/ask", map[string]any{"question": "How do I set up SSO?"})
			answer = decode[answerJSON](t, st, body, 200).Answer
		} else {
			s := e.askStream(t, "contact", map[string]any{"question": "How do I set up SSO?"})
			if s.status != 200 || s.done == nil || len(s.errors) > 0 {
				t.Fatalf("stream: %d %v %v", s.status, s.events, s.errors)
			}
			answer = s.done.Answer
			if strings.Join(s.deltas, "") != answer {
				t.Error("the streamed pieces are not the answer")
			}
		}
		if n := utf8.RuneCountInString(answer); n > assistant.MaxAnswer || n < assistant.MaxAnswer-100 || !strings.HasSuffix(answer, assistant.Shortened) {
			t.Errorf("%s: %d characters ending %q", accept, n, answer[max(0, len(answer)-40):])
		}
		if stored := e.lastStoredAnswer(t); stored != answer {
			t.Errorf("%s: stored %d characters, answered %d", accept, len(stored), len(answer))
		}
	}
	if model.sent >= 2*len(pieces) {
		t.Errorf("the model sent all %d pieces twice: it was not stopped at the limit", model.sent)
	}
	st, body := e.do(t, "admin", "GET", "/ai/calls", nil)
	for _, c := range decode[struct{ Items []struct{ Error *string } }](t, st, body, 200).Items {
		if c.Error != nil {
			t.Errorf("a call recorded an error: %s", *c.Error)
		}
	}
}

// slowChat is a chat model that answers in two pieces, pause apart, and
// stops when its context ends.
type slowChat struct{ pause time.Duration }

func (slowChat) Provider() string { return "test" }
func (slowChat) Model() string    { return "slow" }

func (m slowChat) Stream(ctx context.Context, req ai.Request, onDelta func(string) error) (ai.Usage, error) {
	if err := onDelta("Open **Settings → Security**"); err != nil {
		return ai.Usage{}, err
	}
	select {
	case <-ctx.Done():
		return ai.Usage{}, ctx.Err()
	case <-time.After(m.pause):
	}
	if err := onDelta(" and choose **Single sign-on**."); err != nil {
		return ai.Usage{}, err
	}
	return ai.Usage{InputTokens: 100, OutputTokens: 10}, nil
}

// TestSlowStreamedAnswerIsNotCut: a model that takes longer than huma's
// body read timeout (5 s) to answer streams its answer to the end; the
// body's read deadline used to end the request's context first.
func TestSlowStreamedAnswerIsNotCut(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	withChat(t, e, slowChat{pause: 6 * time.Second})
	s := e.askStream(t, "contact", map[string]any{"question": "How do I set up SSO?"})
	if s.status != http.StatusOK || s.done == nil || len(s.errors) > 0 || !strings.Contains(strings.Join(s.deltas, ""), "Single sign-on") {
		t.Fatalf("a 6-second answer: status %d, events %v, errors %v, deltas %q; want it streamed whole", s.status, s.events, s.errors, s.deltas)
	}
}
