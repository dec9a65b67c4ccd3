package notify

import "github.com/onboardiq/onboardiq/internal/postgres"

// PreviewContactEmail makes the text and HTML parts of a previewed email to
// contacts (postgres.PreviewEmailTemplate) exactly as the mailer makes
// those of one it sends.
func PreviewContactEmail(baseURL string, pv *postgres.EmailPreview) (text, html string, err error) {
	return ContactEmail(baseURL, Contact{Subject: pv.Subject, Markdown: pv.Markdown, Text: pv.Text, Workspace: pv.Workspace,
		Accent: pv.Accent, Portal: pv.Portal, Unsubscribe: pv.Unsubscribe})
}
