package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/onboardiq/onboardiq/internal/demo"
)

// TestMetricsDashboard: staff see the success metrics as charts (an SVG
// with a title, a description and a tooltip per mark, and a table of the
// same numbers) and a table by template or CSM; Globex reached its first
// value two days after its projects started. A contact is sent to the
// portal. A query the store refuses comes back with the error beside its
// field.
func TestMetricsDashboard(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	// Hits of this test's own instead of those the demo's usage reached.
	actExec(t, a, `DELETE FROM milestone_hits`)
	actExec(t, a, `INSERT INTO milestone_hits (tenant_id, milestone_id, customer_id, reached_at, event_ids)
SELECT m.tenant_id, m.milestone_id, c.customer_id, (SELECT max(start_date) FROM projects p WHERE p.customer_id = c.customer_id) + interval '2 days', '{call-1}'
FROM milestones m JOIN customers c ON c.tenant_id = m.tenant_id WHERE m.key = 'first_api_call' AND c.name = 'Globex Logistics' RETURNING hit_id`)
	for _, role := range []string{"admin", "csm", "sales_leader", "viewer"} {
		p := get(t, signIn(t, a, roleEmails[role]), a.url+"/app/metrics?group_by=csm")
		if p.status != http.StatusOK {
			t.Fatalf("%s: the dashboard: %d", role, p.status)
		}
		labelled(t, "metrics as "+role, p)
		if n := len(p.all("figure.chart svg.chart-svg[role=img] > title")); n != 6 {
			t.Errorf("%s: %d charts with a title, want 6", role, n)
		}
		if n := len(p.all("figure.chart svg desc")); n != 6 {
			t.Errorf("%s: %d chart descriptions, want 6", role, n)
		}
		if got := p.text("#chart-ttfv circle.chart-dot title"); !strings.Contains(got, "Median: 2 days") {
			t.Errorf("%s: the time to first value's tooltips: %q", role, got)
		}
		if got := p.text("#chart-ttfv table"); !strings.Contains(got, "2 days") {
			t.Errorf("%s: the time to first value's table: %q", role, got)
		}
		if got := strings.Join(strings.Fields(p.text("#by-group table")), " "); !strings.Contains(got, "Priya Shah") || !strings.Contains(got, "CSM") {
			t.Errorf("%s: the table by CSM: %q", role, got)
		}
		if n := len(p.all("#milestone-list tbody tr")); n != 2 {
			t.Errorf("%s: %d milestones, want the demo's 2", role, n)
		}
		admin := role == "admin"
		if got := len(p.all("form#milestone-form")) == 1; got != admin {
			t.Errorf("%s: the milestone form shown: %v", role, got)
		}
		if got := len(p.all("#milestone-list form")) == 2; got != admin {
			t.Errorf("%s: the delete buttons shown: %v", role, got)
		}
		if got := len(p.all(`nav a[href="/app/metrics"]`)); got != 1 {
			t.Errorf("%s: %d links to the dashboard in the menu", role, got)
		}
	}
	tpl := get(t, signIn(t, a, roleEmails["csm"]), a.url+"/app/metrics")
	if got := tpl.text("#by-group h2"); got != "By Template" || len(tpl.all("#by-group tbody tr")) == 0 {
		t.Errorf("the table by template: %q", got)
	}

	bad := get(t, signIn(t, a, roleEmails["viewer"]), a.url+"/app/metrics?from=March&to=2026-03-01")
	if bad.status != http.StatusUnprocessableEntity || len(bad.all(`#metrics-from[aria-invalid=true][aria-describedby=error-metrics-from][value=March]`)) != 1 ||
		!strings.Contains(bad.text("#error-metrics-from"), "date") || len(bad.all("figure.chart")) != 6 {
		t.Errorf("a bad from: %d %q", bad.status, bad.text("#error-metrics-from"))
	}

	contact := get(t, signIn(t, a, "hannah.becker@globex.example"), a.url+"/app/metrics")
	refused(t, "a contact on the dashboard", contact)
}

// TestMilestoneForm: an admin adds a milestone from the dashboard and
// deletes it; every field has a label; a cross-origin post is refused; a
// bad value comes back beside its field with the input kept; the other
// roles see no form and are refused.
func TestMilestoneForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, roleEmails["admin"])
	form := url.Values{"name": {"Go live"}, "event": {"login"}, "task": {"Go live"}, "distinct_users": {""}, "within_days": {""}}
	p := post(t, c, a.url+"/app/metrics/milestones", form, a.url)
	if p.status != http.StatusUnprocessableEntity || len(p.all(`#milestone-task[aria-invalid=true]`)) != 1 || p.text("#error-milestone-task") == "" ||
		len(p.all(`#milestone-name[value="Go live"]`)) != 1 || len(p.all(`#milestone-event[value=login]`)) != 1 {
		t.Errorf("event and task: %d %q", p.status, p.text("#error-milestone-task"))
	}
	labelled(t, "the refused milestone form", p)
	form = url.Values{"name": {"Team on board"}, "event": {"user_active"}, "distinct_users": {"three"}, "within_days": {"7"}}
	p = post(t, c, a.url+"/app/metrics/milestones", form, a.url)
	if p.status != http.StatusUnprocessableEntity || p.text("#error-milestone-distinct_users") == "" || len(p.all(`#milestone-within_days[value="7"]`)) != 1 {
		t.Errorf("a user count in words: %d", p.status)
	}
	form.Set("distinct_users", "3")
	if p := post(t, c, a.url+"/app/metrics/milestones", form, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin post: %d", p.status)
	}
	for _, role := range []string{"csm", "sales_leader", "viewer"} {
		refused(t, role+" adds a milestone", post(t, signIn(t, a, roleEmails[role]), a.url+"/app/metrics/milestones", form, a.url))
	}
	refused(t, "a contact adds a milestone", post(t, signIn(t, a, "hannah.becker@globex.example"), a.url+"/app/metrics/milestones", form, a.url))
	var n int
	actScan(t, a, `SELECT count(*) FROM milestones`, nil, &n)
	if n != 2 {
		t.Fatalf("%d milestones after the refusals, want the demo's 2", n)
	}
	p = post(t, c, a.url+"/app/metrics/milestones", form, a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("add: %d", p.status)
	}
	page := get(t, c, a.url+"/app/metrics")
	if got := strings.Join(strings.Fields(page.text("#milestone-list")), " "); !strings.Contains(got, "Team on board") || !strings.Contains(got, "3 users send user_active within 7 days") {
		t.Errorf("the list: %q", got)
	}
	var id string
	actScan(t, a, `SELECT milestone_id::text FROM milestones WHERE name = 'Team on board'`, nil, &id)
	refused(t, "a CSM deletes a milestone", post(t, signIn(t, a, roleEmails["csm"]), a.url+"/app/metrics/milestones/"+id+"/delete", nil, a.url))
	if p := post(t, c, a.url+"/app/metrics/milestones/"+id+"/delete", nil, a.url); p.status != http.StatusSeeOther {
		t.Errorf("delete: %d", p.status)
	}
	actScan(t, a, `SELECT count(*) FROM milestones`, nil, &n)
	if n != 2 {
		t.Errorf("%d milestones after the delete, want 2", n)
	}
}

// TestMetricsDashboardInBrowser: the dashboard's charts draw in a browser
// under the page's content security policy (their look comes from
// app.css), with a tooltip per mark.
func TestMetricsDashboardInBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	// Hits of this test's own instead of those the demo's usage reached.
	actExec(t, a, `DELETE FROM milestone_hits`)
	actExec(t, a, `INSERT INTO milestone_hits (tenant_id, milestone_id, customer_id, reached_at, event_ids)
SELECT m.tenant_id, m.milestone_id, c.customer_id, (SELECT min(start_date) FROM projects p WHERE p.customer_id = c.customer_id) + interval '9 days', '{call-1}'
FROM milestones m JOIN customers c ON c.tenant_id = m.tenant_id WHERE m.key = 'first_api_call' RETURNING hit_id`)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), "alex.morgan@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#overdue")),
		chromedp.Navigate(a.url+"/app/metrics"),
		chromedp.WaitVisible(chromedp.CSS("#chart-ttfv svg")),
	)
	if err != nil {
		t.Fatal(err)
	}
	stroke, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#chart-ttfv .series-0 .chart-dot")).fill`))
	if err != nil {
		t.Fatal(err)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("#chart-ttfv svg").getBoundingClientRect().width`))
	if err != nil {
		t.Fatal(err)
	}
	if stroke == "" || stroke == "none" || stroke == "rgb(0, 0, 0)" || width < 200 {
		t.Errorf("the time to first value dots: fill %q, chart %v px wide", stroke, width)
	}
	screenshot(t, ctx, "metrics")
}
