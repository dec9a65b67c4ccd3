package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onboardiq/onboardiq/internal/demo"
)

// TestOnboardACustomerInTheBrowser: an admin creates a customer, adds a
// contact (whose invitation shows in the development mailbox), assigns a
// CSM, creates a project from the default template (started long enough
// ago to be overdue), and finds it in the projects list with the overdue
// filter off and on. At 390 px wide none of these pages scrolls sideways.
func TestOnboardACustomerInTheBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := browser(t)
	var priya string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = 'priya.shah@acme.example'`, nil, &priya)
	start := time.Now().AddDate(0, 0, -120).Format("2006-01-02")

	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), "alex.morgan@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#overdue")),
		// A new customer, from the customers list.
		chromedp.Navigate(a.url+"/app/customers"),
		chromedp.Click(chromedp.CSS("#new-customer-link")),
		chromedp.WaitVisible(chromedp.CSS("#new-customer-name")),
		chromedp.SendKeys(chromedp.CSS("#new-customer-name"), "Hooli Health"),
		chromedp.SendKeys(chromedp.CSS("#new-customer-email"), "ops@hooli.example"),
		chromedp.SendKeys(chromedp.CSS("#new-customer-website"), "hooli.example"),
		chromedp.SendKeys(chromedp.CSS("#new-customer-segment"), "Enterprise"),
		chromedp.Click(chromedp.CSS("#new-customer-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#details")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if h1, site := text(t, ctx, "h1"), text(t, ctx, "#detail-website"); !strings.Contains(h1, "Hooli Health") || site != "https://hooli.example" {
		t.Fatalf("the new customer's page: %q, website %q", h1, site)
	}

	// A contact, then the CSM.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#new-contact-name"), "Nina Novak"),
		chromedp.SendKeys(chromedp.CSS("#new-contact-email"), "nina@hooli.example"),
		chromedp.Click(chromedp.CSS("#add-contact button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//table[@id="contact-list"]//td[contains(., "nina@hooli.example")]`)),
		chromedp.SetValue(chromedp.CSS("#support_member_id"), priya),
		chromedp.Click(chromedp.CSS("#csm-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//p[@id="csm-name"][normalize-space()="Priya Shah"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if contacts, csm := text(t, ctx, "#contact-list"), text(t, ctx, "#csm-name"); !strings.Contains(contacts, "nina@hooli.example") || csm != "Priya Shah" {
		t.Fatalf("contacts %q, CSM %q", contacts, csm)
	}
	screenshot(t, ctx, "customer")

	// A project from the default template, started 120 days ago.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#new-project-link")),
		chromedp.WaitVisible(chromedp.CSS("#new-project")),
	)
	if err != nil {
		t.Fatal(err)
	}
	chosen, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#project-template_id").selectedOptions[0].textContent`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#project-start_date"), start),
		chromedp.Click(chromedp.CSS("#new-project button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(chosen, "(default)") {
		t.Errorf("the template chosen: %q", chosen)
	}
	if flash := text(t, ctx, ".flash"); !strings.Contains(flash, "Hooli Health onboarding was created") {
		t.Fatalf("after creating: %q", flash)
	}

	// The projects list, the overdue filter off then on.
	err = chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/app/projects"),
		chromedp.WaitVisible(chromedp.CSS("table#projects")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if all := text(t, ctx, "table#projects tbody"); !strings.Contains(all, "Hooli Health onboarding") || !strings.Contains(all, "Globex platform rollout") {
		t.Fatalf("all projects: %q", all)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#overdue")),
		chromedp.Click(chromedp.CSS("#project-filters button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//input[@id="overdue" and @checked]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	overdue := text(t, ctx, "table#projects tbody")
	if !strings.Contains(overdue, "Hooli Health onboarding") || !strings.Contains(overdue, "Initech Health onboarding") || strings.Contains(overdue, "Globex platform rollout") {
		t.Errorf("the overdue projects: %q", overdue)
	}
	screenshot(t, ctx, "projects-list")

	// The invitation is in the development mailbox.
	if err := chromedp.Do(ctx, chromedp.Navigate(a.url+"/dev/mailbox?workspace=acme"), chromedp.WaitVisible(chromedp.CSS("table"))); err != nil {
		t.Fatal(err)
	}
	if box := text(t, ctx, "table"); !strings.Contains(box, "nina@hooli.example") || !strings.Contains(box, "Acme Software invites you to the onboarding of Hooli Health") {
		t.Errorf("the mailbox: %q", box)
	}

	// At 390 px wide, nothing scrolls sideways.
	customer := a.customerID(t, "Hooli Health")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/app/customers?new=1", "/app/customers/" + customer, "/app/projects", "/app/projects/new", "/app/my-tasks"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(a.url+path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
			t.Fatal(err)
		}
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scrollingElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width > 390 {
			t.Errorf("%s is %d px wide at 390", path, width)
		}
	}
}
