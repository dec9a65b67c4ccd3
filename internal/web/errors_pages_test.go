package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// errorPage checks that p is the error page with status and title, styled
// with the layout (the stylesheet, the navigation when signed in) and
// offering a way back to back.
func errorPage(t *testing.T, where string, p page, status int, title, nav, back string) {
	t.Helper()
	if p.status != status || p.text("h1") != title {
		t.Errorf("%s: %d %q, want %d %q", where, p.status, p.text("h1"), status, title)
		return
	}
	if len(p.all(`link[rel=stylesheet][href="/static/app.css"]`)) != 1 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(p.header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("%s: not styled with the layout", where)
	}
	if nav != "" && !strings.Contains(p.text("nav[aria-label=Main]"), nav) {
		t.Errorf("%s: the navigation lacks %q: %q", where, nav, p.text("nav"))
	}
	if nav == "" && len(p.all("nav[aria-label=Main]")) != 0 {
		t.Errorf("%s: a signed-in navigation for nobody", where)
	}
	if len(p.all(`main a[href="`+back+`"]`)) != 1 {
		t.Errorf("%s: no way back to %s", where, back)
	}
}

// TestErrorPages: unknown paths under /app, /portal/{slug} and anywhere
// else, refusals and our own failures answer styled pages with the
// navigation of who is signed in and a way back; a signed-out visitor of
// the console or a portal is asked to sign in first, as on its real pages.
func TestErrorPages(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	staff := signIn(t, a, "sam.lee@acme.example") // a viewer
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	nobody := client(t)

	errorPage(t, "/app/nope", get(t, staff, a.url+"/app/nope"), 404, "Not found", "Sign out Sam Lee", "/app")
	errorPage(t, "/app/projects/x/y/z", get(t, staff, a.url+"/app/projects/x/y/z"), 404, "Not found", "Dashboard", "/app")
	errorPage(t, "/nope, staff", get(t, staff, a.url+"/nope"), 404, "Not found", "Sign out Sam Lee", "/app")
	errorPage(t, "/portal/acme/nope", get(t, contact, a.url+"/portal/acme/nope"), 404, "Not found", "Help articles", "/portal/acme")
	errorPage(t, "/nope, a contact", get(t, contact, a.url+"/nope"), 404, "Not found", "Help articles", "/portal/acme")
	errorPage(t, "/nope", get(t, nobody, a.url+"/nope"), 404, "Not found", "", "/")
	errorPage(t, "/portal", get(t, nobody, a.url+"/portal"), 404, "Not found", "", "/")
	errorPage(t, "/portal/nope/signin", get(t, nobody, a.url+"/portal/nope/signin"), 404, "Not found", "", "/")
	// Signed out, the console and a portal ask for a sign-in first.
	if p := get(t, nobody, a.url+"/app/nope"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin?next=/app/nope" {
		t.Errorf("/app/nope signed out: %d %q", p.status, p.header.Get("Location"))
	}
	if p := get(t, nobody, a.url+"/portal/acme/nope"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/portal/acme/signin" {
		t.Errorf("/portal/acme/nope signed out: %d %q", p.status, p.header.Get("Location"))
	}

	// Refused: the 403 page.
	task := actTaskID(t, a, "Globex platform rollout", "t.visibility = 'customer' AND u.customer_id IS NULL AND t.status <> 'completed'")
	errorPage(t, "a viewer changing a task", post(t, staff, a.url+"/app/tasks/"+task+"/status", url.Values{"status": {"in_progress"}}, a.url),
		403, "Not allowed", "Sign out Sam Lee", "/app")
	errorPage(t, "a contact changing the vendor's task", post(t, contact, a.url+"/portal/acme/tasks/"+task+"/status", url.Values{"status": {"completed"}}, a.url),
		403, "Not allowed", "Help articles", "/portal/acme")

	// Our failure: the 500 page, which says nothing of the cause.
	owner, err := pgx.Connect(context.Background(), a.db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(context.Background())
	if _, err := owner.Exec(context.Background(), `ALTER TABLE projects RENAME COLUMN risk_reason TO risk_note`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c               *http.Client
		path, nav, back string
	}{
		{staff, "/app", "Sign out Sam Lee", "/app"},
		{contact, "/portal/acme", "Help articles", "/portal/acme"},
	} {
		p := get(t, tc.c, a.url+tc.path)
		errorPage(t, tc.path+" failing", p, 500, "Something went wrong", tc.nav, tc.back)
		if strings.Contains(p.raw, "risk_reason") {
			t.Errorf("%s: the 500 page shows the cause", tc.path)
		}
	}
}

// TestHomeLinksTheAPI: the home page's API link answers.
func TestHomeLinksTheAPI(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	home := get(t, client(t), a.url+"/")
	links := home.all(`main a[href="/api/v1"]`)
	if len(links) != 1 {
		t.Fatalf("the home page does not link /api/v1")
	}
	resp, body := raw(t, a.url+"/api/v1")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(body), `"openapi":"/api/v1/openapi.json"`) {
		t.Errorf("/api/v1: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}
