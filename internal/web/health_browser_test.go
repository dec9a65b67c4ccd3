package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestHealthInBrowser: a CSM opens the health overview, sees Initech
// Health first among whom to call, follows it to the customer page and
// finds the score's chart drawn (a real width, a point a scored day) and
// the explanation beside it.
func TestHealthInBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := browser(t)
	if err := staffSignIn(ctx, a.url, "marco.rossi@acme.example"); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/app/health"),
		chromedp.WaitVisible(chromedp.CSS("#call-today")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if call := text(t, ctx, "#call-today"); !strings.Contains(call, "Initech Health") || !strings.Contains(call, "Your customers") {
		t.Errorf("whom Marco should call: %q", call)
	}
	screenshot(t, ctx, "health-overview")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#call-today li a")),
		chromedp.WaitVisible(chromedp.CSS("#health-chart")),
	); err != nil {
		t.Fatal(err)
	}
	if lvl := text(t, ctx, "#health-level"); lvl != "Critical" {
		t.Errorf("Initech's level: %q", lvl)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("#health-chart").getBoundingClientRect().width`))
	if err != nil || width < 200 {
		t.Errorf("the chart is %v px wide (%v)", width, err)
	}
	dots, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#health-chart circle.dot").length`))
	if err != nil || dots < 20 {
		t.Errorf("the chart has %d points (%v)", dots, err)
	}
	if why := text(t, ctx, "#health-reason"); !strings.Contains(why, "What costs it most") {
		t.Errorf("the reason: %q", why)
	}
	screenshot(t, ctx, "customer-health")
}
