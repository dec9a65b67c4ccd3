package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/server"
)

// syncBuffer is a bytes.Buffer that a server's log may write to while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines returns the JSON log lines whose msg is msg.
func (s *syncBuffer) lines(msg string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestOutageIsA503Page: when the database goes away after the session is
// read, a page answers 503 with Retry-After and an error page, never a
// sign-in page, a 500 or a page with parts missing.
func TestOutageIsA503Page(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	f := newReadsFixture(t, a)
	project := f.project(t, "Rollout", 3)
	staff := actSessionCookie(t, a, signIn(t, a, "alex.morgan@acme.example"))
	contact := actSessionCookie(t, a, actPortalClient(t, a, f.contact.Email))
	var logs syncBuffer
	s := &statements{}
	base := tracedServer(t, a, s, slog.New(slog.NewJSONHandler(&logs, nil)))
	s.cutWhen(func(sql string) bool { return !strings.Contains(sql, "web_sessions") })
	for _, tc := range []struct {
		path string
		ck   *http.Cookie
	}{
		{"/app", staff},
		{"/app/projects/" + project, staff},
		{"/app/settings", staff},
		{"/app/customers", staff},
		{"/portal/acme", contact},
		{"/portal/acme/projects/" + project, contact},
	} {
		p := actGetWithCookie(t, base+tc.path, tc.ck)
		if p.status != http.StatusServiceUnavailable || p.header.Get("Retry-After") == "" || p.text("h1") != "Briefly unavailable" ||
			!strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s with the database gone: %d, Retry-After %q, %q; want the 503 page with Retry-After",
				tc.path, p.status, p.header.Get("Retry-After"), p.text("h1"))
		}
	}
	if n := len(logs.lines("unavailable")); n != 6 {
		t.Errorf("%d pages logged the outage, want 6", n)
	}
}

// TestSessionLookupFailureIsA503: a session the database could not look
// up, for any reason but its absence, answers 503, not the sign-in page: the
// user is not signed out by a fault.
func TestSessionLookupFailureIsA503(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	staff := actSessionCookie(t, a, signIn(t, a, "priya.shah@acme.example"))
	contact := actSessionCookie(t, a, actPortalClient(t, a, "hannah.becker@globex.example"))
	owner, err := pgx.Connect(context.Background(), a.db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(context.Background())
	// A fault that is no outage: the session's query fails. The
	// announcement makes the server forget the sessions it knows, as a
	// change to the workspace's credentials would, so it looks them up.
	if _, err := owner.Exec(context.Background(), `ALTER TABLE web_sessions RENAME COLUMN last_seen_at TO last_seen`); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(context.Background(), `SELECT pg_notify('onboardiq_credentials', $1)`, a.demo.TenantID.String()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		ck           *http.Cookie
	}{
		{"GET", "/app", staff},
		{"GET", "/app/projects/" + a.projectID(t, "Globex platform rollout"), staff},
		{"GET", "/portal/acme", contact},
		{"GET", "/", staff},
		{"POST", "/signout", staff},
	} {
		// The announcement reaches the server in the background.
		var p page
		for deadline := time.Now().Add(20 * time.Second); ; {
			req, _ := http.NewRequest(tc.method, a.url+tc.path, nil)
			req.Header.Set("Origin", a.url)
			req.AddCookie(&http.Cookie{Name: tc.ck.Name, Value: tc.ck.Value})
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			p = read(t, resp)
			if p.status == http.StatusServiceUnavailable || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if p.status != http.StatusServiceUnavailable || p.header.Get("Retry-After") == "" {
			t.Errorf("%s %s when the session cannot be read: %d %q; want 503 with Retry-After", tc.method, tc.path, p.status, p.header.Get("Location"))
		}
	}
}

// TestInternalErrorIsALogged500: a failure that is no one's input answers
// the 500 page, which shows nothing of the cause, and logs the cause with
// the request, tenant and user.
func TestInternalErrorIsALogged500(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	a := newAppWith(t, func(o *server.Options) { o.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	staff := actSessionCookie(t, a, signIn(t, a, "priya.shah@acme.example"))
	owner, err := pgx.Connect(context.Background(), a.db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(context.Background())
	if _, err := owner.Exec(context.Background(), `ALTER TABLE projects RENAME COLUMN risk_reason TO risk_note`); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/app", "/app/projects/" + a.projectID(t, "Globex platform rollout")} {
		p := actGetWithCookie(t, a.url+path, staff)
		if p.status != http.StatusInternalServerError || p.text("h1") != "Something went wrong" || strings.Contains(p.raw, "risk_reason") {
			t.Errorf("%s: %d %q; want the 500 page, without the cause", path, p.status, p.text("h1"))
		}
	}
	var user string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = 'priya.shah@acme.example'`, nil, &user)
	lines := logs.lines("internal error")
	if len(lines) != 2 {
		t.Fatalf("%d internal errors logged, want 2", len(lines))
	}
	for _, m := range lines {
		if m["request_id"] == "" || m["request_id"] == nil || m["tenant_id"] != a.demo.TenantID.String() || m["user_id"] != user ||
			!strings.Contains(fmt.Sprint(m["err"]), "risk_reason") {
			t.Errorf("the log line does not name the request, tenant, user and cause: %v", m)
		}
	}
}

// downModel is a language model that cannot be reached.
type downModel struct{}

func (downModel) Provider() string { return "test" }
func (downModel) Model() string    { return "down" }
func (downModel) Stream(context.Context, ai.Request, func(string) error) (ai.Usage, error) {
	return ai.Usage{}, errors.New("dial tcp 10.0.0.9:443: connection refused")
}

// TestModelDownIsA502Page: the console's AI tools answer the 502 page when
// the language model fails, without its words, and log the cause.
func TestModelDownIsA502Page(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	a := newAppWith(t, func(o *server.Options) {
		o.Chat = downModel{}
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	staff := signIn(t, a, "priya.shah@acme.example")
	var globex string
	actScan(t, a, `SELECT customer_id::text FROM customers WHERE name = 'Globex Logistics'`, nil, &globex)
	task := actTaskID(t, a, "Globex platform rollout", "true")
	for _, path := range []string{"/app/customers/" + globex + "/summary", "/app/tasks/" + task + "/troubleshoot"} {
		p := post(t, staff, a.url+path, nil, a.url)
		if p.status != http.StatusBadGateway || p.text("h1") != "The assistant could not answer" || strings.Contains(p.raw, "connection refused") ||
			!strings.Contains(p.text("nav"), "Sign out Priya Shah") {
			t.Errorf("%s with the model down: %d %q; want the 502 page, with the console's navigation", path, p.status, p.text("h1"))
		}
	}
	if n := len(logs.lines("language model")); n != 2 {
		t.Errorf("%d model failures logged, want 2", n)
	}
}
