package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/demo"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
)

// client is a cookie-keeping HTTP client that does not follow redirects.
func client(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	status int
	header http.Header
	doc    *html.Node
	raw    string
}

func get(t *testing.T, c *http.Client, u string) page {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func post(t *testing.T, c *http.Client, u string, form url.Values, origin string) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func read(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	doc, err := html.Parse(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return page{resp.StatusCode, resp.Header, doc, string(b)}
}

func (p page) all(sel string) []*html.Node { return cascadia.MustCompile(sel).MatchAll(p.doc) }

func (p page) text(sel string) string {
	var b strings.Builder
	for _, n := range p.all(sel) {
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.TextNode {
				b.WriteString(n.Data)
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(n)
	}
	return b.String()
}

func signIn(t *testing.T, a *app, email string) *http.Client {
	t.Helper()
	c := client(t)
	p := post(t, c, a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {email}, "password": {demo.Password}}, a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", email, p.status)
	}
	return c
}

func TestConsolePages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, "priya.shah@acme.example")
	dash := get(t, c, a.url+"/app")
	if dash.status != 200 || len(dash.all("table#overdue tbody tr")) != 1 || !strings.Contains(dash.text("table#overdue"), "Initech Health onboarding") {
		t.Errorf("dashboard: %d, overdue rows %d", dash.status, len(dash.all("table#overdue tbody tr")))
	}
	if n := len(dash.all("nav[aria-label=Main] a")); n < 5 {
		t.Errorf("navigation has %d links", n)
	}
	if len(dash.all("svg.chart rect")) != 26 || len(dash.all("progress.progress")) < 3 {
		t.Errorf("chart bars %d, progress bars %d", len(dash.all("svg.chart rect")), len(dash.all("progress.progress")))
	}
	if csp := dash.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	// Every form field has a label.
	for _, path := range []string{"/app", "/app/customers", "/app/kb", "/app/kb/new", "/app/settings", "/app/projects/" + a.projectID(t, "Globex platform rollout")} {
		p := get(t, c, a.url+path)
		if p.status != 200 {
			t.Errorf("%s: %d", path, p.status)
			continue
		}
		for _, in := range p.all("input:not([type=hidden]), select, textarea") {
			id := attr(in, "id")
			if in.Parent != nil && in.Parent.Data == "label" {
				continue // wrapped in its label
			}
			if id == "" || len(p.all("label[for="+id+"]")) == 0 {
				t.Errorf("%s: a %s without a label (id %q)", path, in.Data, id)
			}
		}
	}
	project := get(t, c, a.url+"/app/projects/"+a.projectID(t, "Globex platform rollout"))
	if len(project.all("table#task-table tbody.phase")) != 5 || len(project.all("form.status-form")) != 20 {
		t.Errorf("project page: %d phases, %d status forms", len(project.all("table#task-table tbody.phase")), len(project.all("form.status-form")))
	}
	// The activity log says what happened in words, not the event's name.
	if !strings.Contains(project.raw, onboardiq.EventProjectCreated.Label()) || strings.Contains(project.raw, "· "+string(onboardiq.EventProjectCreated)) {
		t.Errorf("project page activity: want %q, not the kind's name", onboardiq.EventProjectCreated.Label())
	}
	// An article's Markdown is rendered; the markup in its code spans is
	// text, escaped once (not taken out as if a model had written it).
	var runbook string
	if err := a.db.App.InTenant(context.Background(), a.demo.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT article_id::text FROM knowledge_base WHERE content LIKE '%<samlp:StatusCode>%'`).Scan(&runbook)
	}); err != nil {
		t.Fatal(err)
	}
	if art := get(t, c, a.url+"/app/kb/"+runbook); art.status != 200 || !strings.Contains(art.text("article.markdown code"), "<samlp:StatusCode>") {
		t.Errorf("the runbook: %d, its code does not show <samlp:StatusCode> as written", art.status)
	}
	// A cross-origin form post is refused; nothing is read.
	if p := post(t, c, a.url+"/app/notifications/read-all", nil, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin post: %d, want 403", p.status)
	}
	// Another tenant's id, or nonsense, is the 404 page.
	if p := get(t, c, a.url+"/app/projects/00000000-0000-0000-0000-000000000001"); p.status != 404 || p.text("h1") != "Not found" {
		t.Errorf("an unknown project: %d %q", p.status, p.text("h1"))
	}
}

func TestAdminSettings(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, "alex.morgan@acme.example")
	settings := get(t, c, a.url+"/app/settings")
	if len(settings.all("form#invite")) != 1 || len(settings.all("form#new-webhook")) != 1 {
		t.Fatalf("the admin's settings lack the forms")
	}
	for _, in := range settings.all("input:not([type=hidden]), select, textarea") {
		if id := attr(in, "id"); (in.Parent == nil || in.Parent.Data != "label") && (id == "" || len(settings.all("label[for="+id+"]")) == 0) {
			t.Errorf("a %s without a label (id %q)", in.Data, id)
		}
	}
	p := post(t, c, a.url+"/app/settings/users", url.Values{"email": {"new.csm@acme.example"}, "name": {"New CSM"}, "role": {"csm"}}, a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("invite: %d", p.status)
	}
	if s := get(t, c, a.url+"/app/settings"); !strings.Contains(s.text("#users"), "new.csm@acme.example") {
		t.Error("the new user is not listed")
	}
	p = post(t, c, a.url+"/app/settings/webhooks", url.Values{"url": {"https://93.184.215.14/hook"}, "events": {"project.overdue", "task.blocked"}, "format": {"slack"}}, a.url)
	// The secret is shown once, on the next page, and never in a URL.
	loc, _ := url.QueryUnescape(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || strings.Contains(loc, "whsec_") {
		t.Errorf("register a webhook: %d %s", p.status, loc)
	}
	if once := get(t, c, a.url+loc).text(".flash"); !strings.Contains(once, "whsec_") {
		t.Errorf("the new secret is not shown: %q", once)
	}
	if again := get(t, c, a.url+loc); len(again.all(".flash")) != 0 {
		t.Errorf("the secret is shown twice: %q", again.text(".flash"))
	}
	if forged := get(t, c, a.url+"/app/settings?flash=Your+account+is+locked"); len(forged.all(".flash")) != 0 {
		t.Errorf("a link chose the flash message: %q", forged.text(".flash"))
	}
	if p := post(t, c, a.url+"/app/settings/webhooks", url.Values{"url": {"https://169.254.169.254/x"}}, a.url); p.status != http.StatusUnprocessableEntity {
		t.Errorf("a metadata address: %d, want 422", p.status)
	}
	// The settings page's template links lead to the template editor
	// (templates_test.go tests it, and the old links' redirect).
	links := settings.all(`a[href^="/app/templates/"]`)
	if len(links) == 0 {
		t.Fatal("no template link")
	}
	if p := get(t, c, a.url+attr(links[0], "href")); p.status != http.StatusOK || len(p.all("form#template-editor")) != 1 {
		t.Errorf("a template link: %d, the editor shown: %d", p.status, len(p.all("form#template-editor")))
	}
	// A CSM cannot.
	csm := signIn(t, a, "priya.shah@acme.example")
	if p := post(t, csm, a.url+"/app/settings/users", url.Values{"email": {"x@acme.example"}, "name": {"X"}, "role": {"admin"}}, a.url); p.status != http.StatusForbidden {
		t.Errorf("a CSM adding an admin: %d, want 403", p.status)
	}
}

func TestPortalPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	// A signed-out visitor is sent to sign in.
	if p := get(t, client(t), a.url+"/portal/acme"); p.status != http.StatusSeeOther {
		t.Errorf("signed out: %d", p.status)
	}
	c := client(t)
	post(t, c, a.url+"/portal/acme/signin", url.Values{"email": {"hannah.becker@globex.example"}}, a.url)
	box := get(t, c, a.url+"/dev/mailbox?workspace=acme")
	links := box.all("tr.mail a.link")
	if len(links) != 1 {
		t.Fatalf("mailbox has %d links", len(links))
	}
	magic := openLink(t, c, a, attr(links[0], "href"))
	if magic.status != http.StatusSeeOther {
		t.Fatalf("magic link: %d", magic.status)
	}
	// The link works once.
	if again := openLink(t, client(t), a, attr(links[0], "href")); again.status != http.StatusUnauthorized {
		t.Errorf("a used link: %d, want 401", again.status)
	}
	home := get(t, c, a.url+"/portal/acme")
	if n := len(home.all("section.project")); n != 2 || strings.Contains(home.raw, "Initech") {
		t.Errorf("portal home: %d projects", n)
	}
	pp := get(t, c, a.url+"/portal/acme/projects/"+a.projectID(t, "Globex platform rollout"))
	// Only the company's tasks can be changed; internal tasks are not shown.
	done, tasks := len(pp.all("form.done-form")), len(pp.all("div.task"))
	if tasks != 18 || done == 0 || done >= tasks || strings.Contains(pp.raw, "Internal:") {
		t.Errorf("portal project: %d tasks, %d with a done button", tasks, done)
	}
	// What a task waits on is named under it.
	if w := pp.text(`div.task:has(strong:contains("Switch production traffic on")) .waiting`); !strings.Contains(w, "Waits on") || !strings.Contains(w, "“Go-live readiness review”") {
		t.Errorf("switching traffic on waits on %q", w)
	}
	// A link to a task (the assistant's task citations) leads to it on its
	// project's page; an internal task is not found.
	rollout := a.projectID(t, "Globex platform rollout")
	var visible, internal string
	actScan(t, a, `SELECT task_id::text FROM tasks WHERE project_id = $1 AND visibility = 'customer' ORDER BY position LIMIT 1`, []any{rollout}, &visible)
	actScan(t, a, `SELECT task_id::text FROM tasks WHERE project_id = $1 AND visibility = 'internal' ORDER BY position LIMIT 1`, []any{rollout}, &internal)
	if p := get(t, c, a.url+"/portal/acme/tasks/"+visible); p.status != http.StatusSeeOther || p.header.Get("Location") != "/portal/acme/projects/"+rollout+"#task-"+visible {
		t.Errorf("a task's link: %d %s", p.status, p.header.Get("Location"))
	}
	if p := get(t, c, a.url+"/portal/acme/tasks/"+internal); p.status != http.StatusNotFound {
		t.Errorf("an internal task's link: %d, want 404", p.status)
	}
	if p := get(t, c, a.url+"/portal/acme/projects/"+a.projectID(t, "Initech Health onboarding")); p.status != 404 {
		t.Errorf("another customer's project: %d", p.status)
	}
	if p := get(t, c, a.url+"/app"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/portal/acme") {
		t.Errorf("a contact opening the console: %d %s", p.status, p.header.Get("Location"))
	}
	kb := get(t, c, a.url+"/portal/acme/kb")
	if strings.Contains(kb.raw, "runbook") || strings.Contains(kb.raw, "CSM playbook") || len(kb.all("main li a")) != 12 {
		t.Errorf("the portal's articles: %d, internal ones shown: %v", len(kb.all("main li a")), strings.Contains(kb.raw, "runbook"))
	}
}

func TestSignInLimits(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := client(t)
	for range 10 {
		post(t, c, a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {"alex.morgan@acme.example"}, "password": {"wrong password"}}, a.url)
	}
	// Locked: even the right password is refused, with the same answer.
	last := post(t, c, a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {"alex.morgan@acme.example"}, "password": {demo.Password}}, a.url)
	if last.status != http.StatusUnauthorized || !strings.Contains(last.text(".error"), "workspace, email or password is wrong") {
		t.Errorf("the right password after 10 wrong ones: %d %q, want 401", last.status, last.text(".error"))
	}
	// Wrong and unknown look alike.
	c2 := client(t)
	wrong := post(t, c2, a.url+"/signin", url.Values{"workspace": {"nope"}, "email": {"x@y.test"}, "password": {"whatever"}}, a.url)
	if wrong.status != http.StatusUnauthorized || !strings.Contains(wrong.text(".error"), "workspace, email or password is wrong") {
		t.Errorf("an unknown workspace: %d %q", wrong.status, wrong.text(".error"))
	}
	// The session cookie is HttpOnly and SameSite.
	ok := post(t, client(t), a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {"sam.lee@acme.example"}, "password": {demo.Password}}, a.url)
	ck := ok.header.Get("Set-Cookie")
	if !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
		t.Errorf("cookie %q", ck)
	}
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := client(t)
	post(t, c, a.url+"/forgot", url.Values{"workspace": {"acme"}, "email": {"sam.lee@acme.example"}}, a.url)
	links := get(t, c, a.url+"/dev/mailbox?workspace=acme").all("tr.mail a.link")
	if len(links) != 1 {
		t.Fatalf("%d reset links", len(links))
	}
	u, _ := url.Parse(attr(links[0], "href"))
	p := post(t, c, a.url+"/reset", url.Values{"token": {u.Query().Get("token")}, "password": {"a new password 123"}, "confirm": {"a new password 123"}}, a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("reset: %d %s", p.status, p.text(".error"))
	}
	c2 := client(t)
	if p := post(t, c2, a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {"sam.lee@acme.example"}, "password": {"a new password 123"}}, a.url); p.status != http.StatusSeeOther {
		t.Errorf("sign in with the new password: %d", p.status)
	}
	if p := post(t, client(t), a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {"sam.lee@acme.example"}, "password": {demo.Password}}, a.url); p.status != http.StatusUnauthorized {
		t.Errorf("the old password still works: %d", p.status)
	}
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// The development mailbox hands out sign-in links: it is served only when
// asked for, and only to clients on the same machine.
func TestMailboxOnlyWhenAskedAndLocal(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	for _, tc := range []struct {
		name   string
		on     bool
		remote string
		want   int
	}{
		{"on, loopback", true, "127.0.0.1:40000", http.StatusOK},
		{"on, loopback v6", true, "[::1]:40000", http.StatusOK},
		{"on, remote", true, "203.0.113.7:40000", http.StatusNotFound},
		{"off, loopback", false, "127.0.0.1:40000", http.StatusNotFound},
	} {
		h := server.New(server.Options{DB: a.db.App, Logger: slog.New(slog.DiscardHandler), BaseURL: a.url, Version: "test", DevMailbox: tc.on})
		ask := httptest.NewRequest(http.MethodPost, "/portal/acme/signin", strings.NewReader(url.Values{"email": {"hannah.becker@globex.example"}}.Encode()))
		ask.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.ServeHTTP(httptest.NewRecorder(), ask)
		req := httptest.NewRequest(http.MethodGet, "/dev/mailbox?workspace=acme", nil)
		req.RemoteAddr = tc.remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		hasLink := strings.Contains(rec.Body.String(), `class="link"`)
		if rec.Code != tc.want || hasLink != (tc.want == http.StatusOK) {
			t.Errorf("%s: %d (link shown: %v), want %d", tc.name, rec.Code, hasLink, tc.want)
		}
	}
}

// After signing in, next leads to a console page, never to another origin.
func TestSignInNext(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	for next, want := range map[string]string{
		"/app/customers":                "/app/customers",
		"/app/../\\evil.example":        "/app",
		"//evil.example":                "/app",
		"/app/..%2f..%2f/evil.example":  "/app",
		"https://evil.example/app":      "/app",
		"/app/%5Cevil.example":          "/app",
		"/app@evil.example":             "/app",
		"/\t/evil.example":              "/app",
		"/app/kb/../customers?tab=open": "/app/customers?tab=open",
	} {
		p := post(t, client(t), a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {"priya.shah@acme.example"},
			"password": {demo.Password}, "next": {next}}, a.url)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != want {
			t.Errorf("next=%q: %d %q, want 303 %q", next, p.status, p.header.Get("Location"), want)
		}
	}
	// A contact goes to their portal, or to a page inside it.
	for next, want := range map[string]string{
		"/app/customers":            "/portal/acme",
		"/portal/hooli":             "/portal/acme",
		"/portal/acme/kb":           "/portal/acme/kb",
		"/portal/acme/../hooli/x":   "/portal/acme",
		"/portal/acme/%2e%2e/hooli": "/portal/acme",
	} {
		p := post(t, client(t), a.url+"/signin", url.Values{"workspace": {"acme"}, "email": {"hannah.becker@globex.example"},
			"password": {demo.Password}, "next": {next}}, a.url)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != want {
			t.Errorf("a contact with next=%q: %d %q, want 303 %q", next, p.status, p.header.Get("Location"), want)
		}
	}
}
