package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPlaybookFormInTheBrowser: an admin opens the playbooks, creates one
// with the form (choosing an action's type shows only its inputs, and the
// schedule's inputs show only for a schedule trigger), saves, and finds it
// in the list.
func TestPlaybookFormInTheBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := browser(t)
	if err := staffSignIn(ctx, a.url, roleEmails["admin"]); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/app"),
		chromedp.WaitVisible(chromedp.CSS("#overdue")),
		script(`document.querySelector('nav a[href="/app/playbooks"]').click()`),
		chromedp.WaitVisible(chromedp.CSS("#playbooks")),
		chromedp.Click(chromedp.CSS("#new-playbook")),
		chromedp.WaitVisible(chromedp.CSS("#playbook-form")),
	)
	if err != nil {
		t.Fatal(err)
	}
	visible := func(sel string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+"`"+sel+"`"+`); return !!e && e.offsetParent !== null; })()`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Before a type is chosen, the action shows its type only.
	if visible("#actions-0-url") || visible("#actions-0-task") || !visible("#actions-0-type") {
		t.Error("a blank action shows inputs of a type")
	}
	// An event trigger hides the schedule's inputs; a schedule shows them.
	if visible("#trigger-days") || !visible("#trigger-event") {
		t.Error("the event trigger shows the schedule's inputs")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#trigger-kind-schedule"))); err != nil {
		t.Fatal(err)
	}
	if !visible("#trigger-days") || visible("#trigger-event") {
		t.Error("choosing a schedule does not show its inputs")
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#trigger-kind-event")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Browser-made playbook"),
		chromedp.SetValue(chromedp.CSS("#trigger-event"), "task.blocked"),
		chromedp.SendKeys(chromedp.CSS("#conditions-rules-0-field"), "customer.arr"),
		chromedp.SetValue(chromedp.CSS("#conditions-rules-0-op"), "gte"),
		chromedp.SendKeys(chromedp.CSS("#conditions-rules-0-value"), "5000"),
		chromedp.SetValue(chromedp.CSS("#actions-0-type"), "webhook"),
		script(`document.querySelector("#actions-0-type").dispatchEvent(new Event("change"))`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !visible("#actions-0-url") || !visible("#actions-0-format") || visible("#actions-0-task") || visible("#actions-0-ladder-0-to") {
		t.Error("choosing webhook does not show its inputs only")
	}
	screenshot(t, ctx, "playbook-form")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#actions-0-url"), "https://93.184.215.14/browser"),
		chromedp.Click(chromedp.CSS("#save-playbook")),
		chromedp.WaitVisible(chromedp.CSS("#runs")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if flash := text(t, ctx, ".flash"); !strings.Contains(flash, "Browser-made playbook") {
		t.Errorf("after saving: %q", flash)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/app/playbooks"),
		chromedp.WaitVisible(chromedp.CSS("#playbooks")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if list := text(t, ctx, "#playbooks"); !strings.Contains(list, "Browser-made playbook") {
		t.Errorf("the list: %q", list)
	}
	var url, op string
	var arr float64
	actScan(t, a, `SELECT definition#>>'{actions,0,url}', definition#>>'{conditions,rules,0,op}', (definition#>>'{conditions,rules,0,value}')::float8
FROM playbooks WHERE name = 'Browser-made playbook'`, nil, &url, &op, &arr)
	if url != "https://93.184.215.14/browser" || op != "gte" || arr != 5000 {
		t.Errorf("saved %q %q %v", url, op, arr)
	}
	screenshot(t, ctx, "playbooks")
}
