package web_test

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/mailtest"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/schedule"
	"github.com/onboardiq/onboardiq/internal/server"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// emptyApp is the real server on a workspace with nothing in it but its
// admin, its jobs running and sending mail to an SMTP server on loopback.
type emptyApp struct {
	db     *testdb.DB
	url    string
	tenant uuid.UUID
	admin  *onboardiq.User
	box    *mailtest.Server
}

const emptyAdminPassword = "correct horse battery"

func newEmptyApp(t *testing.T) *emptyApp {
	t.Helper()
	ctx := context.Background()
	d := testdb.New(t)
	res, err := d.App.CreateTenant(ctx, onboardiq.NewTenant{Name: "Nimbus Cloud", Slug: "nimbus", AdminEmail: "ava@nimbus.example", AdminName: "Ava Stone"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.App.Authenticate(ctx, res.Token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.App.UpdateUser(onboardiq.NewContextWithPrincipal(ctx, p), res.Admin.ID, onboardiq.UserPatch{Password: onboardiq.Set(emptyAdminPassword)}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	box := mailtest.New(t)
	logger := slog.New(slog.DiscardHandler)
	runner, err := jobs.Start(ctx, jobs.Deps{DB: d.App, Embedder: ai.Local{}, Logger: logger,
		Mailer: &notify.Mailer{SMTPURL: box.URL(), From: "Nimbus Cloud <onboarding@nimbus.example>", BaseURL: url, Logger: logger}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = runner.Stop(10 * time.Second) })
	srv := httptest.NewUnstartedServer(server.New(server.Options{DB: d.App, Logger: logger, BaseURL: url, Version: "test"}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return &emptyApp{db: d, url: url, tenant: res.Tenant.ID, admin: res.Admin, box: box}
}

// scan runs one query in the workspace and scans its single row.
func (a *emptyApp) scan(t *testing.T, q string, args []any, dest ...any) {
	t.Helper()
	err := a.db.App.InTenant(context.Background(), a.tenant, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, q, args...).Scan(dest...)
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// script runs JavaScript in the page as a step of chromedp.Do.
func script(js string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool]("(() => { "+js+"; return true })()")(ctx, tg)
		return chromedp.Void{}, err
	}
}

// taskOf is the id and due date of the task described so in the workspace.
func (a *emptyApp) taskOf(t *testing.T, description string) (string, time.Time) {
	t.Helper()
	var id string
	var due time.Time
	a.scan(t, `SELECT task_id::text, due_at FROM tasks WHERE tenant_id = $1 AND description = $2`, []any{a.tenant, description}, &id, &due)
	return id, due
}

// TestOnboardingFromAnEmptyWorkspace is a newcomer's whole onboarding in
// the browser alone, starting from a workspace with nothing in it: the
// admin creates a customer, adds a contact (whose invitation arrives by
// email and signs them in), makes themself its CSM, starts a project from
// the default template, adds a task that waits on another, moves the
// other's due date and sees the waiting task move by as many working days,
// completes a task and sees the progress and the timeline change, puts
// the project on hold and sees it leave the overdue list, then resumes it
// and completes every task.
func TestOnboardingFromAnEmptyWorkspace(t *testing.T) {
	t.Parallel()
	a := newEmptyApp(t)
	ctx := browser(t)
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}

	do("sign in",
		chromedp.Navigate(a.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "nimbus"),
		chromedp.SendKeys(chromedp.CSS("#email"), "ava@nimbus.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), emptyAdminPassword),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS(`nav a[href="/app/customers"]`)),
	)
	screenshot(t, ctx, "empty-dashboard")

	do("a customer",
		chromedp.Navigate(a.url+"/app/customers"),
		chromedp.Click(chromedp.CSS("#new-customer-link")),
		chromedp.WaitVisible(chromedp.CSS("#new-customer-name")),
		chromedp.SendKeys(chromedp.CSS("#new-customer-name"), "Umbrella Labs"),
		chromedp.SendKeys(chromedp.CSS("#new-customer-email"), "it@umbrella.example"),
		chromedp.SendKeys(chromedp.CSS("#new-customer-website"), "umbrella.example"),
		chromedp.Click(chromedp.CSS("#new-customer-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#details")),
	)
	do("a contact and the CSM",
		chromedp.SendKeys(chromedp.CSS("#new-contact-name"), "Rosa Diaz"),
		chromedp.SendKeys(chromedp.CSS("#new-contact-email"), "rosa@umbrella.example"),
		chromedp.Click(chromedp.CSS("#add-contact button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//table[@id="contact-list"]//td[contains(., "rosa@umbrella.example")]`)),
		chromedp.SetValue(chromedp.CSS("#support_member_id"), a.admin.ID.String()),
		chromedp.Click(chromedp.CSS("#csm-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//p[@id="csm-name"][normalize-space()="Ava Stone"]`)),
	)

	// A project from the default template, started long enough ago to be
	// overdue.
	start := time.Now().AddDate(0, 0, -120).Format("2006-01-02")
	do("a project",
		chromedp.Click(chromedp.CSS("#new-project-link")),
		chromedp.WaitVisible(chromedp.CSS("#new-project")),
		chromedp.SetValue(chromedp.CSS("#project-start_date"), start),
		chromedp.Click(chromedp.CSS("#new-project button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#task-table")),
	)
	if h1 := text(t, ctx, "h1"); !strings.Contains(h1, "Umbrella Labs") {
		t.Fatalf("the new project's page: %q", h1)
	}
	projectURL := eval(`location.pathname`)

	// A task that waits on the SSO set-up.
	ssoID, ssoDue := a.taskOf(t, "Configure single sign-on (SSO)")
	do("add a task",
		chromedp.SendKeys(chromedp.CSS("#new-title"), "Security review of the SSO set-up"),
		chromedp.SetValue(chromedp.CSS("#new-due"), ssoDue.AddDate(0, 0, 14).Format("2006-01-02")),
		chromedp.Click(chromedp.CSS("#add-task-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//table[@id="task-table"]//a[normalize-space()="Security review of the SSO set-up"]`)),
	)
	reviewID, _ := a.taskOf(t, "Security review of the SSO set-up")
	do("make it wait on the SSO set-up",
		chromedp.Navigate(a.url+"/app/tasks/"+reviewID),
		chromedp.WaitVisible(chromedp.CSS("#edit-depends_on")),
		chromedp.Click(chromedp.CSS("#dep-"+ssoID)),
		chromedp.Click(chromedp.CSS("form.task-edit button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//section[@id="waits-on"]//a[contains(., "Configure single sign-on")]`)),
	)
	do("the task table says what it waits on",
		chromedp.Navigate(a.url+projectURL),
		chromedp.WaitVisible(chromedp.CSS("#task-table")),
	)
	if waits := text(t, ctx, "#task-"+reviewID+" td.waiting"); !strings.Contains(waits, "Configure single sign-on (SSO)") {
		t.Errorf("the review's Waiting on cell: %q", waits)
	}

	// Move the SSO set-up a week later, and what waits on it with it.
	_, reviewDue := a.taskOf(t, "Security review of the SSO set-up")
	newSSODue := ssoDue.AddDate(0, 0, 7)
	do("move the predecessor",
		chromedp.Navigate(a.url+"/app/tasks/"+ssoID),
		chromedp.WaitVisible(chromedp.CSS("#edit-due_at")),
		chromedp.SetValue(chromedp.CSS("#edit-due_at"), newSSODue.Format("2006-01-02")),
		script(`document.querySelector("#edit-due_at").dispatchEvent(new Event("change", {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.CSS("#edit-shift")),
	)
	if checked := eval(`String(document.querySelector("#edit-shift").checked)`); checked != "true" {
		t.Fatalf("moving what waits on it is offered unticked")
	}
	do("save the move",
		chromedp.Click(chromedp.CSS("form.task-edit button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if flash := text(t, ctx, ".flash"); !strings.Contains(flash, "moved the") {
		t.Errorf("after moving: %q", flash)
	}
	_, movedSSO := a.taskOf(t, "Configure single sign-on (SSO)")
	_, movedReview := a.taskOf(t, "Security review of the SSO set-up")
	var cal schedule.Calendar
	n := cal.WorkdaysBetween(ssoDue.UTC(), movedSSO.UTC())
	if want := cal.AddWorkdays(reviewDue.UTC(), n); n < 1 || !movedReview.Equal(want) {
		t.Errorf("the SSO set-up moved %d working days (%s → %s); the review went %s → %s, want %s",
			n, ssoDue, movedSSO, reviewDue, movedReview, want)
	}
	do("the waiting task's page", chromedp.Navigate(a.url+"/app/tasks/"+reviewID), chromedp.WaitVisible(chromedp.CSS("#fact-due")))
	if due := text(t, ctx, "#fact-due"); due != movedReview.Format("2 Jan 2006") {
		t.Errorf("the review's page says due %q, want %s", due, movedReview.Format("2 Jan 2006"))
	}

	// Complete the kickoff call in place: the progress and the timeline
	// follow.
	kickoffID, _ := a.taskOf(t, "Kickoff call: goals, scope and success criteria")
	do("the project page", chromedp.Navigate(a.url+projectURL), chromedp.WaitVisible(chromedp.CSS("#timeline svg")))
	progressBefore := text(t, ctx, "#progress-value")
	completedBars := `String(document.querySelectorAll("#timeline svg g.row.completed").length)`
	barsBefore := eval(completedBars)
	// Choosing a status saves it at once (the select's change event).
	do("complete the kickoff call",
		chromedp.WaitVisible(chromedp.CSS("#s-"+kickoffID)),
		script(`const s = document.querySelector("#s-`+kickoffID+`"); s.value = "completed"; s.dispatchEvent(new Event("change", {bubbles: true}))`),
	)
	progressAfter := progressBefore
	for deadline := time.Now().Add(15 * time.Second); progressAfter == progressBefore && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		if v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#progress-value"))); err == nil {
			progressAfter = v
		}
	}
	if progressAfter == progressBefore {
		t.Fatalf("the progress stayed at %s after a task was completed", progressBefore)
	}
	do("the page again", chromedp.WaitVisible(chromedp.CSS("#timeline svg")))
	if barsAfter := eval(completedBars); barsAfter == barsBefore {
		t.Errorf("the timeline shows %s completed tasks before and after", barsAfter)
	}
	screenshot(t, ctx, "onboarding-project")

	// Overdue, then on hold: it leaves the overdue list.
	overdueList := func() string {
		t.Helper()
		do("the overdue projects", chromedp.Navigate(a.url+"/app/projects?overdue=1"), chromedp.WaitVisible(chromedp.CSS("main")))
		return eval(`(document.querySelector("table#projects tbody") || {textContent: ""}).textContent`)
	}
	if list := overdueList(); !strings.Contains(list, "Umbrella Labs") {
		t.Fatalf("the project started 120 days ago is not overdue: %q", list)
	}
	do("put it on hold",
		chromedp.Navigate(a.url+projectURL),
		chromedp.WaitVisible(chromedp.CSS("#lifecycle-hold")),
		chromedp.SendKeys(chromedp.CSS("#reason-hold"), "Waiting on the customer's security audit"),
		chromedp.Click(chromedp.CSS("#lifecycle-hold button")),
		chromedp.WaitVisible(chromedp.CSS("#status-reason")),
	)
	if list := overdueList(); strings.Contains(list, "Umbrella Labs") {
		t.Errorf("a project on hold is still in the overdue list: %q", list)
	}

	// Resume it and complete every open task at once: the project is done.
	do("resume it",
		chromedp.Navigate(a.url+projectURL),
		chromedp.WaitVisible(chromedp.CSS("#lifecycle-resume")),
		chromedp.Click(chromedp.CSS("#lifecycle-resume button")),
		chromedp.WaitVisible(chromedp.CSS("#lifecycle-hold")),
		script(`document.querySelectorAll('input[name="task_id"]').forEach(c => { if (!c.checked) c.click() })`),
		chromedp.SetValue(chromedp.CSS("#bulk-status"), "completed"),
		chromedp.Click(chromedp.CSS("#bulk button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//div[@id="progress-value"][normalize-space()="100%"]`)),
	)
	var status string
	if a.scan(t, `SELECT status FROM projects WHERE tenant_id = $1`, []any{a.tenant}, &status); status != "completed" {
		t.Errorf("the project's status: %q", status)
	}

	// The contact's invitation arrived by email, and its link signs them in.
	mail := a.box.WaitForText(t, "rosa@umbrella.example", "invites you", 30*time.Second)
	link := regexp.MustCompile(regexp.QuoteMeta(a.url) + `/portal/nimbus/magic\?token=[A-Za-z0-9_-]+`).FindString(mail.Data)
	if link == "" {
		t.Fatalf("no sign-in link in the invitation:\n%s", mail.Data)
	}
	do("the invitation's link",
		chromedp.Navigate(link),
		chromedp.Click(chromedp.CSS("#continue button")),
		chromedp.WaitVisible(chromedp.Search(`//main//a[contains(., "Umbrella Labs")]`)),
	)
	if where := eval(`location.pathname`); where != "/portal/nimbus" {
		t.Errorf("the invitation led to %s", where)
	}
	screenshot(t, ctx, "onboarding-portal")
}
