package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// KindParam is the {kind} of an email template's path.
type KindParam struct {
	Kind string `path:"kind" maxLength:"64" doc:"A kind of email to contacts: invitation, welcome, task_assigned, task_due_soon, task_overdue, weekly_digest, milestone, reengagement, csm_replied, contact_mentioned."`
}

type emailTemplateList struct {
	Body struct {
		Items []*postgres.EmailTemplate `json:"items"`
	}
}

type emailTemplateOutput struct {
	Body *postgres.EmailTemplate
}

type emailTemplateBody struct {
	Subject string `json:"subject" minLength:"1" maxLength:"200" doc:"One line, with {{variables}}."`
	Body    string `json:"body" minLength:"1" maxLength:"20000" doc:"Markdown, with {{variables}}."`
}

// emailDraft is text to preview or send as a test: each part absent is
// the saved one (or the default).
type emailDraft struct {
	Subject *string `json:"subject,omitempty" maxLength:"200" doc:"Absent: the saved subject."`
	Body    *string `json:"body,omitempty" maxLength:"20000" doc:"Absent: the saved body."`
}

type emailPreviewOutput struct {
	Body struct {
		Subject string `json:"subject"`
		Text    string `json:"text" doc:"The plain-text part, footer included."`
		HTML    string `json:"html" doc:"The HTML part the contact would get, footer included."`
	}
}

type testEmailOutput struct {
	Body struct {
		DeliveryID uuid.UUID `json:"delivery_id" doc:"The test email's delivery, in the delivery log."`
	}
}

type contactPrefsOutput struct {
	Body *postgres.ContactEmailPreferences
}

type contactPrefsBody struct {
	Preferences []postgres.ContactEmailChoice `json:"preferences" maxItems:"20" doc:"The kinds to turn on or off; kinds not named stay as they are."`
	TimeZone    *string                       `json:"time_zone,omitempty" maxLength:"64" doc:"An IANA time zone such as Europe/Berlin; empty: the workspace's; absent: unchanged."`
}

func (h *handlers) registerEmailTemplates(api huma.API) {
	tags := []string{"Settings"}
	huma.Register(api, huma.Operation{OperationID: "list-email-templates", Method: http.MethodGet, Path: "/email-templates",
		Summary: "Emails to contacts", Description: "Staff: every kind of email OnboardIQ sends customer contacts, in the settings' order, " +
			"each with when it is sent, whether contacts may turn it off, its variables, and the subject and Markdown body in force " +
			"(the workspace's own, or the default).", Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*emailTemplateList, error) {
			ts, err := h.DB.ListEmailTemplates(ctx)
			out := &emailTemplateList{}
			out.Body.Items = ts
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-email-template", Method: http.MethodGet, Path: "/email-templates/{kind}",
		Summary: "An email to contacts", Description: "Staff. An unknown kind is 404.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *KindParam) (*emailTemplateOutput, error) {
			t, err := h.DB.GetEmailTemplate(ctx, in.Kind)
			return &emailTemplateOutput{t}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "set-email-template", Method: http.MethodPut, Path: "/email-templates/{kind}",
		Summary: "Change an email to contacts", Description: "Admins. The subject (one line) and Markdown body the workspace sends for the kind; " +
			"a {{variable}} the kind does not have, or a list variable in the subject, is refused naming the field.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			KindParam
			Body emailTemplateBody
		}) (*emailTemplateOutput, error) {
			t, err := h.DB.SetEmailTemplate(ctx, in.Kind, in.Body.Subject, in.Body.Body)
			return &emailTemplateOutput{t}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "reset-email-template", Method: http.MethodDelete, Path: "/email-templates/{kind}",
		Summary: "Reset an email to contacts", Description: "Admins. The workspace's own version is dropped: the default is sent again. " +
			"Answers the kind as it is now.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *KindParam) (*emailTemplateOutput, error) {
			t, err := h.DB.ResetEmailTemplate(ctx, in.Kind)
			return &emailTemplateOutput{t}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "preview-email-template", Method: http.MethodPost, Path: "/email-templates/{kind}/preview",
		Summary: "Preview an email to contacts", Description: "Staff. The subject and body sent (each absent: the saved one) rendered with the kind's " +
			"example values and the workspace's name and colour: the subject, the text part and the HTML part exactly as the mailer makes them.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			KindParam
			Body *emailDraft
		}) (*emailPreviewOutput, error) {
			d := in.Body
			if d == nil {
				d = &emailDraft{}
			}
			pv, err := h.DB.PreviewEmailTemplate(ctx, in.Kind, d.Subject, d.Body)
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			out := &emailPreviewOutput{}
			out.Body.Subject = pv.Subject
			out.Body.Text, out.Body.HTML, err = notify.PreviewContactEmail(h.BaseURL, pv)
			return out, err
		})
	huma.Register(api, huma.Operation{OperationID: "test-email-template", Method: http.MethodPost, Path: "/email-templates/{kind}/test",
		Summary: "Send yourself a test email", Description: "Admins. The preview's email (the subject and body sent, each absent: the saved one) " +
			"is sent to the caller's own address at once, through the delivery log (event type `test`); quiet hours, the daily cap " +
			"and contacts' preferences do not apply. Its links are examples.",
		Tags: tags, Security: bearer, DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *struct {
			KindParam
			Body *emailDraft
		}) (*testEmailOutput, error) {
			d := in.Body
			if d == nil {
				d = &emailDraft{}
			}
			id, err := h.DB.SendTestEmail(ctx, in.Kind, d.Subject, d.Body)
			out := &testEmailOutput{}
			out.Body.DeliveryID = id
			return out, h.problem(ctx, err)
		})

	account := []string{"Account"}
	huma.Register(api, huma.Operation{OperationID: "get-my-email-preferences", Method: http.MethodGet, Path: "/me/email-preferences",
		Summary: "Which emails you get (contacts)", Description: "Customer contacts: every kind of email to contacts, on or off " +
			"(sign-in mail is always on), and the time zone reminders keep. Staff are refused (403): their preferences are /notification-preferences.",
		Tags: account, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*contactPrefsOutput, error) {
			p, err := h.DB.GetContactEmailPreferences(ctx)
			return &contactPrefsOutput{p}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "set-my-email-preferences", Method: http.MethodPut, Path: "/me/email-preferences",
		Summary: "Choose which emails you get (contacts)", Description: "Customer contacts: turn the kinds named on or off (sign-in mail " +
			"cannot be turned off) and, when given, set the time zone. Answers the preferences as they are now.",
		Tags: account, Security: bearer},
		func(ctx context.Context, in *struct{ Body contactPrefsBody }) (*contactPrefsOutput, error) {
			p, err := h.DB.SetContactEmailPreferences(ctx, in.Body.Preferences, in.Body.TimeZone)
			return &contactPrefsOutput{p}, h.problem(ctx, err)
		})
}
