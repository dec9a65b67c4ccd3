// Package notify sends what OnboardIQ has to tell people and systems: email
// over SMTP and signed webhooks (through an HTTP client that dials only
// where internal/netguard allows), and what the event stream publishes as
// webhooks (WebhookMessages).
package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/google/uuid"
	"github.com/wneessen/go-mail"

	"github.com/onboardiq/onboardiq/internal/markdown"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// Mailer sends email deliveries over SMTP.
type Mailer struct {
	SMTPURL string // smtp://user:pass@host:port (STARTTLS when offered) or smtps://… (TLS); "" sends nothing
	From    string
	BaseURL string // for links to the app
	// InboundDomain is ONBOARDIQ_INBOUND_DOMAIN: emails about a task carry
	// a Reply-To there (the sender sets Outbound.ReplyTo); "": none.
	InboundDomain string
	// Logger gets the mail server's full error text, for the operator;
	// nil: slog's default.
	Logger *slog.Logger
}

// Send sends one delivery: a notification, or a digest of several.
func (m *Mailer) Send(ctx context.Context, o *postgres.Outbound) Outcome {
	if m.SMTPURL == "" {
		return Outcome{Result: "not sent: no SMTP server is configured (ONBOARDIQ_SMTP_URL)"}
	}
	msg, err := m.compose(o)
	if err != nil {
		return Outcome{Result: err.Error()}
	}
	client, err := m.client()
	if err != nil {
		return m.smtpSettingsFailure(ctx, o, err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return m.smtpFailure(ctx, o, err)
	}
	return Outcome{OK: true, Result: "250 accepted"}
}

func (m *Mailer) client() (*mail.Client, error) {
	u, err := url.Parse(m.SMTPURL)
	if err != nil {
		return nil, fmt.Errorf("ONBOARDIQ_SMTP_URL: %w", err)
	}
	opts := []mail.Option{}
	port := 587
	if u.Scheme == "smtps" {
		port = 465
		opts = append(opts, mail.WithSSL())
	} else {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("ONBOARDIQ_SMTP_URL: port: %w", err)
		}
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil {
		pw, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(u.User.Username()), mail.WithPassword(pw))
	}
	return mail.NewClient(u.Hostname(), opts...)
}

type emailView struct {
	Subject string
	Items   []emailItem
	AppURL  string
}

type emailItem struct {
	Title, Body, Link string
}

func (m *Mailer) compose(o *postgres.Outbound) (*mail.Msg, error) {
	if _, ok := o.Payload["markdown"].(string); ok {
		return m.composeContact(o)
	}
	v := emailView{AppURL: strings.TrimRight(m.BaseURL, "/")}
	// An email about a conversation links to it, one about a task to the
	// task, else to its project.
	link := func(project, task, conversation *uuid.UUID) string {
		switch {
		case conversation != nil:
			return v.AppURL + "/app/conversations/" + conversation.String()
		case task != nil:
			return v.AppURL + "/app/tasks/" + task.String()
		case project != nil:
			return v.AppURL + "/app/projects/" + project.String()
		}
		return v.AppURL
	}
	if subject, ok := o.Payload["subject"].(string); ok {
		// A message written whole by its sender: sign-in and reset links.
		text, _ := o.Payload["text"].(string)
		link, _ := o.Payload["link"].(string)
		if postgres.IsLinkEmail(o) && link == "" {
			return nil, errors.New("not sent: the link was not issued") // see (*postgres.Tx).ReissueLink
		}
		v.Subject = subject
		v.Items = []emailItem{{Title: subject, Body: text, Link: link}}
	} else if o.EventType == "digest" {
		v.Subject = fmt.Sprintf("OnboardIQ: %d notification%s today", len(o.Digest), plural(len(o.Digest)))
		for _, it := range o.Digest {
			v.Items = append(v.Items, emailItem{Title: it.Title, Body: it.Body, Link: link(it.ProjectID, it.TaskID, it.ConversationID)})
		}
	} else {
		v.Subject = o.Subject
		v.Items = []emailItem{{Title: o.Subject, Body: o.Body, Link: link(o.ProjectID, o.TaskID, o.ConversationID)}}
	}
	var text, html bytes.Buffer
	if err := textEmail.Execute(&text, v); err != nil {
		return nil, err
	}
	if err := htmlEmail.Execute(&html, v); err != nil {
		return nil, err
	}
	return m.message(o, v.Subject, text.String(), html.String())
}

// message is the email of o with its subject and parts, from the Mailer's
// address, with o's Message-ID and Reply-To.
func (m *Mailer) message(o *postgres.Outbound, subject, text, html string) (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("from %q: %w", m.From, err)
	}
	if err := msg.To(o.Recipient); err != nil {
		return nil, fmt.Errorf("to %q: %w", o.Recipient, err)
	}
	if o.ReplyTo != "" {
		if err := msg.ReplyTo(o.ReplyTo); err != nil {
			return nil, fmt.Errorf("reply-to: %w", err)
		}
	}
	msg.Subject(subject)
	msg.SetMessageIDWithValue(strings.TrimPrefix(o.MessageID, "msg_") + "@onboardiq")
	msg.SetBodyString(mail.TypeTextPlain, text)
	msg.AddAlternativeString(mail.TypeTextHTML, html)
	return msg, nil
}

// composeContact is an email to a customer contact (postgres.ContactMail):
// the parts ContactEmail makes of its payload, and, for a kind the contact
// may turn off, List-Unsubscribe (with one-click unsubscribe, RFC 8058).
func (m *Mailer) composeContact(o *postgres.Outbound) (*mail.Msg, error) {
	if IsLinkEmailUnissued(o) {
		return nil, errors.New("not sent: the link was not issued") // see (*postgres.Tx).ReissueLink
	}
	str := func(k string) string { s, _ := o.Payload[k].(string); return s }
	c := Contact{Subject: str("subject"), Markdown: str("markdown"), Text: str("text"), Workspace: str("workspace"),
		Accent: str("accent"), Portal: str("portal"), Unsubscribe: str("unsubscribe")}
	text, html, err := ContactEmail(m.BaseURL, c)
	if err != nil {
		return nil, err
	}
	msg, err := m.message(o, c.Subject, text, html)
	if err != nil {
		return nil, err
	}
	if c.Unsubscribe != "" {
		msg.SetGenHeader("List-Unsubscribe", "<"+strings.TrimRight(m.BaseURL, "/")+c.Unsubscribe+">")
		msg.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	return msg, nil
}

// Contact is an email to a customer contact as it is queued (the payload
// of postgres.ContactMail) or previewed: its rendered subject, Markdown
// and text, and the workspace it comes from. Portal and Unsubscribe are
// paths on the app ("/portal/acme"); Unsubscribe is empty for mail the
// contact cannot turn off.
type Contact struct {
	Subject, Markdown, Text string
	Workspace, Accent       string
	Portal, Unsubscribe     string
}

// ContactEmail makes the text and HTML parts of an email to a contact:
// the Markdown as HTML (through the one safe renderer) in the workspace's
// colours, the text as it is, each with a footer linking the portal and,
// for a kind the contact may turn off, their preferences and the
// unsubscribe link. The mailer sends these parts, and the settings'
// preview shows them, so what an admin previews is what a contact gets.
func ContactEmail(baseURL string, c Contact) (text, html string, err error) {
	base := strings.TrimRight(baseURL, "/")
	v := contactView{Subject: c.Subject, Body: markdown.Render(c.Markdown), Text: c.Text,
		Workspace: c.Workspace, Accent: "#0b57d0", Portal: base + c.Portal}
	if accentColor.MatchString(c.Accent) {
		v.Accent = c.Accent
	}
	if c.Unsubscribe != "" {
		v.Unsubscribe = base + c.Unsubscribe
		v.Preferences = v.Portal + "/preferences"
	}
	var t, h bytes.Buffer
	if err := contactText.Execute(&t, v); err != nil {
		return "", "", err
	}
	if err := contactHTML.Execute(&h, v); err != nil {
		return "", "", err
	}
	return t.String(), h.String(), nil
}

// IsLinkEmailUnissued reports whether o carries a one-time link whose
// secret was not made yet (the worker makes it just before sending).
func IsLinkEmailUnissued(o *postgres.Outbound) bool {
	_, hasToken := o.Payload["token_id"]
	link, _ := o.Payload["link"].(string)
	return hasToken && link == ""
}

var accentColor = regexp.MustCompile(`^#[0-9a-f]{6}$`)

type contactView struct {
	Subject, Text, Workspace, Accent, Portal string
	Body                                     template.HTML
	Unsubscribe, Preferences                 string
}

var contactText = texttemplate.Must(texttemplate.New("text").Parse(`{{.Text}}

-- 
{{.Workspace}} · {{.Portal}}
{{if .Unsubscribe}}Choose which emails you get: {{.Preferences}}
Unsubscribe from these emails: {{.Unsubscribe}}
{{end}}`))

var contactHTML = template.Must(template.New("html").Parse(`<!doctype html>
<html><body style="font-family: system-ui, sans-serif; color: #1b1f24; max-width: 36rem">
<p style="border-bottom: 3px solid {{.Accent}}; padding-bottom: .4rem; font-weight: 600">{{.Workspace}}</p>
{{.Body}}
<hr><p style="color: #5f6b7a; font-size: .85rem"><a href="{{.Portal}}" style="color: {{.Accent}}">{{.Workspace}}</a>{{if .Unsubscribe}} ·
<a href="{{.Preferences}}" style="color: #5f6b7a">Choose which emails you get</a> ·
<a href="{{.Unsubscribe}}" style="color: #5f6b7a">Unsubscribe</a>{{end}}</p>
</body></html>
`))

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

var textEmail = texttemplate.Must(texttemplate.New("text").Parse(`{{range .Items}}{{.Title}}

{{.Body}}

Open it: {{.Link}}

{{end}}-- 
OnboardIQ · {{.AppURL}}
You can change which notifications you get by email in your notification preferences.
`))

var htmlEmail = template.Must(template.New("html").Parse(`<!doctype html>
<html><body style="font-family: system-ui, sans-serif; color: #1b1f24; max-width: 36rem">
{{range .Items}}<h2 style="font-size: 1.1rem">{{.Title}}</h2>
<p>{{.Body}}</p>
<p><a href="{{.Link}}" style="color: #0b57d0">Open it in OnboardIQ</a></p>
{{end}}<hr><p style="color: #5f6b7a; font-size: .85rem">You can change which notifications you get by email in your notification preferences.</p>
</body></html>
`))
