package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq/internal/inbound"
	"github.com/onboardiq/onboardiq/internal/server"
)

const (
	inboundDomain = "reply.acme.test"
	inboundSecret = "a webhook secret of at least 24 characters"
)

// TestInboundEmailWebhook: a signed reply through the provider webhook
// completes the contact's task; a bad, missing or old signature answers 401
// and changes nothing; without the secret configured the endpoint is off.
func TestInboundEmailWebhook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.Close()
	e.srv = httptest.NewServer(server.New(server.Options{DB: e.db.App, Logger: slog.New(slog.DiscardHandler), BaseURL: "http://test", Version: "test",
		InboundDomain: inboundDomain, InboundWebhookSecret: inboundSecret}))
	t.Cleanup(e.srv.Close)

	to, err := e.db.App.ReplyAddressFor(context.Background(), e.acme, e.t1, e.contact, inboundDomain)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"from": "Contact <contact1@customer.test>", "to": "Acme <" + to + ">",
		"text": "done\n\nOn Mon, Nov 23, 2026 at 9:00 AM Acme wrote:\n> Please sign the order form."})
	post := func(srvURL, id string, ts time.Time, sig string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srvURL+"/api/v1/inbound/email", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
		if sig != "" {
			req.Header.Set("webhook-signature", sig)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	key := inbound.WebhookKey(inboundSecret)
	now := time.Now()

	before := e.tenantSnapshot(t, e.acme)
	for name, c := range map[string]struct {
		ts  time.Time
		sig string
	}{
		"no signature": {now, ""},
		"wrong secret": {now, inbound.Sign([]byte("another secret"), "msg_1", now, body)},
		"too old":      {now.Add(-time.Hour), inbound.Sign(key, "msg_1", now.Add(-time.Hour), body)},
		"another id":   {now, inbound.Sign(key, "msg_2", now, body)},
		"not base64":   {now, "v1,!!!"},
	} {
		if status, out := post(e.srv.URL, "msg_1", c.ts, c.sig); status != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", name, status, out)
		}
	}
	// Larger than two messages: refused for its size, signed or not.
	big := append([]byte(`{"text":"`), bytes.Repeat([]byte("a"), 3<<20)...)
	big = append(big, `"}`...)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/inbound/email", bytes.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", "msg_big")
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", inbound.Sign(key, "msg_big", now, big))
	if resp, err := e.srv.Client().Do(req); err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("an oversized webhook: %v %v, want 413", resp, err)
	} else {
		resp.Body.Close()
	}
	if diff := cmp.Diff(before, e.tenantSnapshot(t, e.acme)); diff != "" {
		t.Errorf("refused webhooks changed acme's rows:\n%s", diff)
	}

	status, out := post(e.srv.URL, "msg_1", now, inbound.Sign(key, "msg_1", now, body))
	if status != http.StatusOK || !strings.Contains(out, `"completed"`) {
		t.Fatalf("signed webhook: %d %s", status, out)
	}
	_, task := e.do(t, "admin", "GET", "/tasks/"+e.t1.String(), nil)
	if !strings.Contains(string(task), `"status":"completed"`) {
		t.Errorf("the task after a signed done: %s", task)
	}
	_, log := e.do(t, "admin", "GET", "/inbound-messages", nil)
	if !strings.Contains(string(log), `"transport":"webhook"`) || !strings.Contains(string(log), `"outcome":"completed"`) {
		t.Errorf("inbound log: %s", log)
	}

	// Off without a secret: 404, whatever the signature.
	off := httptest.NewServer(server.New(server.Options{DB: e.db.App, Logger: slog.New(slog.DiscardHandler), Version: "test"}))
	defer off.Close()
	if status, out := post(off.URL, "msg_3", now, inbound.Sign(key, "msg_3", now, body)); status != http.StatusNotFound {
		t.Errorf("webhook off: %d %s, want 404", status, out)
	}
}
