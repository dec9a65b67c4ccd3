package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/onboardiq/onboardiq/internal/demo"
)

// TestRateAnAnswerInTheBrowser: in Chromium, the thumbs under the
// assistant's answer rate it without leaving the chat, and the question
// joins the knowledge gaps.
func TestRateAnAnswerInTheBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	hannah := browser(t)
	err := chromedp.Do(hannah,
		chromedp.Navigate(a.url+"/portal/acme/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), "hannah.becker@globex.example"),
		chromedp.Submit(chromedp.CSS("#magic")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
		chromedp.Navigate(a.url+"/dev/mailbox?workspace=acme"),
		chromedp.Click(chromedp.CSS("tr.mail a.link")),
		chromedp.WaitVisible(chromedp.CSS("#continue")),
		chromedp.Click(chromedp.CSS("#continue button")),
		chromedp.WaitVisible(chromedp.CSS("section.project")),

		chromedp.Navigate(a.url+"/portal/acme/assistant"),
		chromedp.SendKeys(chromedp.CSS("#question"), "How do I set up SSO?"),
		chromedp.Click(chromedp.CSS("#ask button")),
		chromedp.WaitVisible(chromedp.CSS(`.msg.answer[data-done="true"] form.rate button[value=no]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, hannah, "rate-answer")
	err = chromedp.Do(hannah,
		chromedp.SendKeys(chromedp.CSS("form.rate input[name=comment]"), "It skips the Okta steps."),
		chromedp.Click(chromedp.CSS("form.rate button[value=no]")),
		chromedp.WaitVisible(chromedp.CSS(".msg.answer p.rated")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if q := text(t, hannah, "#chat .msg.user"); q != "How do I set up SSO?" {
		t.Errorf("the chat was left: %q", q)
	}
	var comment, reasons string
	actScan(t, a, `SELECT r.comment, array_to_string(g.reasons, ',') FROM assistant_ratings r
		JOIN knowledge_gaps g ON g.tenant_id = r.tenant_id AND g.conversation_id = r.conversation_id WHERE NOT r.helpful`, nil, &comment, &reasons)
	if comment != "It skips the Okta steps." || reasons != "unhelpful" {
		t.Errorf("stored %q, %q", comment, reasons)
	}

	// Priya finds it among the knowledge gaps and starts the article.
	priya := browser(t)
	err = chromedp.Do(priya,
		chromedp.Navigate(a.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), "priya.shah@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#overdue")),
		chromedp.Navigate(a.url+"/app/kb"),
		chromedp.Click(chromedp.CSS("a#gaps-link")),
		chromedp.WaitVisible(chromedp.CSS("table#gaps")),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, priya, "knowledge-gaps")
	err = chromedp.Do(priya,
		chromedp.Click(chromedp.CSS("table#gaps a.button")),
		chromedp.WaitVisible(chromedp.CSS("form#editor")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if title, err := chromedp.Run(priya, chromedp.Value(chromedp.CSS("#title"))); err != nil || title != "How do I set up SSO" {
		t.Errorf("the new article's title %q (%v)", title, err)
	}
	screenshot(t, priya, "knowledge-gaps-article")
}
