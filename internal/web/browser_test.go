package web_test

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/google/uuid"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/demo"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// app is the real server on the demo data, with the development mailbox.
type app struct {
	db   *testdb.DB
	url  string
	demo *demo.Result
}

func newApp(t *testing.T) *app {
	t.Helper()
	return newAppWith(t, func(*server.Options) {})
}

// newAppWith is newApp with the server's options changed by opts.
func newAppWith(t *testing.T, opts func(*server.Options)) *app {
	t.Helper()
	ctx := context.Background()
	d := testdb.New(t)
	res, err := demo.Seed(ctx, d.App, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.Reembed(ctx, d.App, ai.Local{}, []uuid.UUID{res.TenantID}, nil); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	o := server.Options{DB: d.App, Logger: slog.New(slog.DiscardHandler), BaseURL: url, Version: "test", DevMailbox: true}
	opts(&o)
	srv := httptest.NewUnstartedServer(server.New(o))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	testdb.Cleanup(t, srv.Close)
	return &app{db: d, url: url, demo: res}
}

// browser starts the system Chromium, headless. Without it the test is
// skipped on a workstation and fails in CI, where the set-up installs it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if found, err := exec.LookPath(p); err == nil {
			path = found
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium: the test set-up (make test) installs Debian's chromium package")
		}
		t.Skip("no Chromium here; make test installs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// A guard against a hung browser, not a measure: the longest walk
	// through the app takes about 40 s alone and twice that under -race
	// on a busy machine.
	ctx, cancel3 := context.WithTimeout(ctx, 240*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// screenshot saves the page as name.png in $ONBOARDIQ_SCREENSHOTS (or the
// test's temporary folder).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ONBOARDIQ_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	// A page still loading (just navigated to) has no size yet: wait until
	// it is whole, and try again a few times.
	var png []byte
	var err error
	for try := 0; try < 20; try++ {
		if done, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && document.documentElement.clientWidth > 0`)); done {
			if png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if png == nil {
		t.Fatalf("screenshot %s: the page did not finish loading (%v)", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A page just loaded by a form's POST may still be settling (its frames
// loading): the read is tried again briefly.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var err error
	for try := 0; try < 20; try++ {
		var s string
		if s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel))); err == nil {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("text of %s: %v", sel, err)
	return ""
}

// staffSignIn signs a demo staff user in on the browser's page and waits
// for the dashboard.
func staffSignIn(ctx context.Context, base, email string) error {
	return chromedp.Do(ctx,
		chromedp.Navigate(base+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#overdue")),
	)
}

func TestStaffCompletesATask(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), "dana.whitfield@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#overdue")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if overdue := text(t, ctx, "#overdue tbody"); !strings.Contains(overdue, "Initech Health onboarding") {
		t.Fatalf("the dashboard's overdue list: %q", overdue)
	}
	screenshot(t, ctx, "dashboard")

	// A sales leader may read but not change; sign in as the CSM.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("header form button")),
		chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), "priya.shah@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#active")),
		chromedp.Click(chromedp.Search(`//table[@id="active"]//a[contains(., "Globex platform rollout")]`)),
		chromedp.WaitVisible(chromedp.CSS("#project-progress")),
	)
	if err != nil {
		t.Fatal(err)
	}
	before := text(t, ctx, "#progress-value")
	// The first task that is not done yet: choosing completed saves it.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const s = Array.from(document.querySelectorAll("form.status-form select")).find((s) => s.value !== "completed" && s.value !== "cancelled");
		s.value = "completed";
		s.dispatchEvent(new Event("change", { bubbles: true }));
		return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	// The form posts and the page comes back with the new progress; while
	// it navigates, reading the page may fail.
	after := before
	for deadline := time.Now().Add(15 * time.Second); after == before && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		if v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#progress-value"))); err == nil {
			after = v
		}
	}
	if after == before {
		t.Fatalf("progress stayed at %s after a task was completed", before)
	}
	value, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Math.round(document.querySelector("#project-progress").value) + "%"`))
	if err != nil || value != strings.TrimSpace(after) {
		t.Errorf("the bar shows %q, the label says %q (%v)", value, after, err)
	}
	screenshot(t, ctx, "project")
}

func TestCustomerPortal(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/portal/acme/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), "hannah.becker@globex.example"),
		chromedp.Submit(chromedp.CSS("#magic")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
		chromedp.Navigate(a.url+"/dev/mailbox?workspace=acme"),
		chromedp.Click(chromedp.CSS("tr.mail a.link")),
		// The link's page signs in only when asked: mail scanners open links.
		chromedp.WaitVisible(chromedp.CSS("#continue")),
		chromedp.Click(chromedp.CSS("#continue button")),
		chromedp.WaitVisible(chromedp.CSS("section.project")),
	)
	if err != nil {
		t.Fatal(err)
	}
	home := text(t, ctx, "main")
	if !strings.Contains(home, "Globex platform rollout") || strings.Contains(home, "Initech") || strings.Contains(home, "Umbrella") {
		t.Errorf("the portal shows: %q", home)
	}
	screenshot(t, ctx, "portal")

	err = chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/portal/acme/assistant"),
		chromedp.SendKeys(chromedp.CSS("#question"), "How do I set up SSO?"),
		chromedp.Click(chromedp.CSS("#ask button")),
		chromedp.WaitVisible(chromedp.CSS(`.msg.answer[data-done="true"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if answer := text(t, ctx, ".msg.answer"); !strings.Contains(answer, "SAML") {
		t.Errorf("the answer: %q", answer)
	}
	// Streamed as text, the finished answer shows rendered (the server's
	// sanitised HTML).
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".msg.answer.markdown p").length`)); err != nil || n == 0 {
		t.Errorf("the answer is not rendered: %d paragraphs (%v)", n, err)
	}
	cite, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("a.citation"), "href"))
	if err != nil || !strings.HasPrefix(cite.Value, "/portal/acme/kb/") {
		t.Errorf("the citation links to %q (%v)", cite.Value, err)
	}
	title := text(t, ctx, "a.citation")
	if !strings.Contains(title, "SAML 2.0 single sign-on") {
		t.Errorf("the first citation is %q", title)
	}
	screenshot(t, ctx, "assistant")

	// Another customer's project is not found.
	initech := a.projectID(t, "Initech Health onboarding")
	if err := chromedp.Do(ctx, chromedp.Navigate(a.url+"/portal/acme/projects/"+initech)); err != nil {
		t.Fatal(err)
	}
	if h1 := text(t, ctx, "h1"); h1 != "Not found" {
		t.Errorf("another customer's project shows %q", h1)
	}
}

func (a *app) projectID(t *testing.T, name string) string {
	t.Helper()
	var id string
	err := a.db.App.InTenant(context.Background(), a.demo.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT project_id::text FROM projects WHERE name = $1`, name).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
