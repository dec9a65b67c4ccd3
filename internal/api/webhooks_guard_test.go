package api_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/onboardiq/onboardiq/internal/netguard"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
)

// resolverLog is a webhook guard's resolver that records the names it is
// asked for and answers a public address.
type resolverLog struct {
	mu    sync.Mutex
	hosts []string
}

func (l *resolverLog) lookup(_ context.Context, host string) ([]netip.Addr, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hosts = append(l.hosts, host)
	return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
}

func (l *resolverLog) asked() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.hosts)
}

// TestWebhookURLResolvedOnlyForAdmins: registering or changing a webhook
// resolves its host only once the caller is known to be an admin of the
// endpoint's tenant; anyone else is refused first, so the registration
// cannot be used to probe names.
func TestWebhookURLResolvedOnlyForAdmins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seedMatrix(t, e)
	log := &resolverLog{}
	db := e.db.Open(t, postgres.WithWebhookGuard(&netguard.Guard{Lookup: log.lookup}))
	e.srv = httptest.NewServer(server.New(server.Options{DB: db, Logger: slog.New(slog.DiscardHandler), BaseURL: "http://test", Version: "test"}))
	t.Cleanup(e.srv.Close)

	hook := "/webhooks/" + e.hook.String()
	cases := []struct {
		caller, method, path string
		want                 int
	}{
		{"contact", "POST", "/webhooks", 403},
		{"contact", "PUT", hook, 403},
		{"other_contact", "POST", "/webhooks", 403},
		{"csm", "POST", "/webhooks", 403},
		{"csm", "PUT", hook, 403},
		{"sales_leader", "POST", "/webhooks", 403},
		{"viewer", "PUT", hook, 403},
		{"other_tenant", "PUT", hook, 404}, // an admin, of another tenant
		{"anonymous", "POST", "/webhooks", 401},
	}
	for i, c := range cases {
		host := "probe-" + strconv.Itoa(i) + ".internal.example"
		before := e.snapshot(t)
		status, body := e.do(t, c.caller, c.method, c.path, map[string]any{"url": "https://" + host + "/x", "events": []string{"project.overdue"}})
		if status != c.want {
			t.Errorf("%s %s as %s: %d %s, want %d", c.method, c.path, c.caller, status, body, c.want)
		}
		if got := log.asked(); len(got) != 0 {
			t.Fatalf("%s %s as %s resolved %v", c.method, c.path, c.caller, got)
		}
		if diff := e.snapshot(t); !equalSnapshots(before, diff) {
			t.Errorf("%s %s as %s changed data", c.method, c.path, c.caller)
		}
	}

	// An admin's URL is resolved and checked: once for the new endpoint,
	// once for a changed URL, not for an unchanged one.
	status, body := e.do(t, "admin", "POST", "/webhooks", map[string]any{"url": "https://hooks.example.com/new"})
	if status != 201 {
		t.Fatalf("admin create: %d %s", status, body)
	}
	status, body = e.do(t, "admin", "PUT", hook, map[string]any{"url": "https://hooks.example.com/changed", "events": []string{"task.completed"}})
	if status != 200 {
		t.Fatalf("admin replace: %d %s", status, body)
	}
	status, body = e.do(t, "admin", "PUT", hook, map[string]any{"url": "https://hooks.example.com/changed", "disabled": true})
	if status != 200 {
		t.Fatalf("admin disable: %d %s", status, body)
	}
	if got := log.asked(); !slices.Equal(got, []string{"hooks.example.com", "hooks.example.com"}) {
		t.Errorf("the admin's requests resolved %v, want hooks.example.com twice", got)
	}
}

func equalSnapshots(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
