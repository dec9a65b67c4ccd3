package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/onboardiq/onboardiq/internal/demo"
)

// TestAskMyCSMInTheBrowser: the round trip in Chromium. A contact asks the
// assistant, presses "Ask my CSM" under its answer; the CSM finds the
// question, with the assistant's answer and its sources, in the console's
// inbox and answers it; the contact reads the answer in the portal.
func TestAskMyCSMInTheBrowser(t *testing.T) {
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
		chromedp.WaitVisible(chromedp.CSS(`.msg.answer[data-done="true"] form.ask-csm button`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, hannah, "ask-my-csm-assistant")
	err = chromedp.Do(hannah,
		chromedp.Click(chromedp.CSS(`form.ask-csm button`)),
		chromedp.WaitVisible(chromedp.CSS("ol#thread li.message.assistant_answer")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if h1 := text(t, hannah, "h1"); h1 != "How do I set up SSO?" {
		t.Errorf("the conversation is titled %q", h1)
	}
	loc, err := chromedp.Run(hannah, chromedp.Location())
	if err != nil || !strings.Contains(loc, "/portal/acme/conversations/") {
		t.Fatalf("after Ask my CSM the contact is at %q (%v)", loc, err)
	}
	id := loc[strings.LastIndex(loc, "/")+1:]
	screenshot(t, hannah, "ask-my-csm-portal")

	// Priya, Globex's CSM, answers from her inbox.
	priya := browser(t)
	const answer = "Happy to help: I will send you the SAML metadata today."
	err = chromedp.Do(priya,
		chromedp.Navigate(a.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), "priya.shah@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#overdue")),
		chromedp.Click(chromedp.CSS("a#conversations-nav")),
		chromedp.WaitVisible(chromedp.CSS(`table#inbox-list tr.awaiting[id="c-`+id+`"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, priya, "ask-my-csm-inbox")
	err = chromedp.Do(priya,
		chromedp.Click(chromedp.CSS(`tr[id="c-`+id+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#answer-body")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if thread := text(t, priya, "#thread"); !strings.Contains(thread, "How do I set up SSO?") || !strings.Contains(thread, "SAML") {
		t.Errorf("the CSM's thread: %q", thread)
	}
	if n, err := chromedp.Run(priya, chromedp.Evaluate[int](`document.querySelectorAll("li.message.assistant_answer a.citation[href^='/app/kb/']").length`)); err != nil || n == 0 {
		t.Errorf("the assistant's sources in the console: %d links (%v)", n, err)
	}
	err = chromedp.Do(priya,
		chromedp.SendKeys(chromedp.CSS("#answer-body"), answer),
		chromedp.Click(chromedp.CSS("form#answer button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, priya, "ask-my-csm-console")

	// Hannah reads the answer in the portal.
	err = chromedp.Do(hannah,
		chromedp.Navigate(a.url+"/portal/acme/conversations"),
		chromedp.WaitVisible(chromedp.CSS("table#conversations")),
		chromedp.Click(chromedp.CSS(`tr[id="c-`+id+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS("li.message.staff")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(t, hannah, "li.message.staff"); !strings.Contains(got, answer) || !strings.Contains(got, "Priya Shah") {
		t.Errorf("the answer in the portal: %q", got)
	}
}
