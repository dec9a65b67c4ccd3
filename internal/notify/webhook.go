package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/netguard"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// WebhookTimeout bounds one webhook attempt.
const WebhookTimeout = 15 * time.Second

// Webhooks sends webhook deliveries.
type Webhooks struct {
	Client *http.Client
	Guard  *netguard.Guard
}

// NewWebhooks returns a sender whose client dials through the guard, times
// out after 15 s, and never follows redirects.
func NewWebhooks(g *netguard.Guard) *Webhooks {
	return &Webhooks{Guard: g, Client: &http.Client{
		Timeout: WebhookTimeout,
		Transport: &http.Transport{
			DialContext:           g.DialContext,
			Proxy:                 nil, // a proxy would dial for us, past the guard
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: WebhookTimeout,
			MaxIdleConnsPerHost:   4,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Outcome is how a send went.
type Outcome struct {
	OK      bool
	Result  string
	Retry   bool   // worth trying again later
	Disable string // the endpoint asked to be removed (410)
	// Bounce: the mail server refused the recipient for good (a 5xx
	// reply to RCPT TO): the address is undeliverable.
	Bounce bool
}

// Send posts one delivery, signed with the Standard Webhooks scheme: the
// headers webhook-id (the delivery's message id, the same on every
// attempt), webhook-timestamp and webhook-signature.
func (w *Webhooks) Send(ctx context.Context, o *postgres.Outbound) Outcome {
	body, err := w.body(o)
	if err != nil {
		return Outcome{Result: err.Error()}
	}
	wh, err := standardwebhooks.NewWebhook(o.Secret)
	if err != nil {
		return Outcome{Result: "bad signing secret: " + err.Error()}
	}
	now := time.Now()
	sig, err := wh.Sign(o.MessageID, now, body)
	if err != nil {
		return Outcome{Result: "sign: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.URL, bytes.NewReader(body))
	if err != nil {
		return Outcome{Result: "bad URL: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "OnboardIQ-Webhooks/1")
	req.Header.Set("webhook-id", o.MessageID)
	req.Header.Set("webhook-timestamp", fmt.Sprint(now.Unix()))
	req.Header.Set("webhook-signature", sig)
	resp, err := w.Client.Do(req)
	if err != nil {
		return Outcome{Result: err.Error(), Retry: true}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	result := resp.Status
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return Outcome{OK: true, Result: result}
	case resp.StatusCode == http.StatusGone:
		return Outcome{Result: result, Disable: "the endpoint answered 410 Gone"}
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return Outcome{Result: result + " (redirects are not followed)", Retry: true}
	default:
		return Outcome{Result: result, Retry: true}
	}
}

// body is the request body: the event as it was recorded, or for a Slack
// endpoint a {"text"} message made from it.
func (w *Webhooks) body(o *postgres.Outbound) ([]byte, error) {
	if o.Format != "slack" {
		return json.Marshal(o.Payload)
	}
	return json.Marshal(map[string]string{"text": SlackText(o.Payload)})
}

// SlackText renders an event as one line of Slack markup.
func SlackText(p map[string]any) string {
	typ, _ := p["type"].(string)
	data, _ := p["data"].(map[string]any)
	project, _ := data["project"].(map[string]any)
	task, _ := data["task"].(map[string]any)
	name, _ := project["name"].(string)
	switch typ {
	case string(onboardiq.EventProjectOverdue):
		return fmt.Sprintf(":rotating_light: *%s* is past its deadline (%v). Progress: %v%%.", name, project["deadline"], project["progress"])
	case string(onboardiq.EventProjectAtRisk):
		return fmt.Sprintf(":warning: *%s* is at risk: %v", name, data["reason"])
	case string(onboardiq.EventProjectCompleted):
		return fmt.Sprintf(":tada: *%s* is completed.", name)
	case string(onboardiq.EventProjectStatusChanged):
		return fmt.Sprintf("*%s* is now %v.", name, project["status"])
	case string(onboardiq.EventTaskCompleted):
		return fmt.Sprintf(":white_check_mark: Task *%v* is completed.", task["description"])
	case string(onboardiq.EventTaskBlocked):
		return fmt.Sprintf(":no_entry: Task *%v* is blocked: %v", task["description"], task["blocked_reason"])
	}
	return fmt.Sprintf("OnboardIQ event %s.", typ)
}
