package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestProjectLifecycleForms: a CSM puts an overdue project on hold from its
// page and sees it leave the dashboard's overdue list; resumes, cancels and
// reopens it. Each form has a labelled reason field where one is needed;
// a refused form comes back on the same page with its error and the reason
// typed; a cross-origin post is refused; a viewer sees no forms and is
// refused.
func TestProjectLifecycleForms(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const name = "Initech Health onboarding" // overdue in the demo
	id := a.projectID(t, name)
	projectURL := a.url + "/app/projects/" + id
	c := signIn(t, a, "priya.shah@acme.example")
	send := func(action, reason, origin string) page {
		t.Helper()
		form := url.Values{}
		if reason != "" {
			form.Set("reason", reason)
		}
		return post(t, c, projectURL+"/"+action, form, origin)
	}
	forms := func(p page) string {
		var out []string
		for _, f := range p.all("form.lifecycle-form") {
			out = append(out, strings.TrimPrefix(attr(f, "action"), "/app/projects/"+id+"/"))
		}
		return strings.Join(out, " ")
	}
	overdueListed := func() bool {
		return len(get(t, c, a.url+"/app").all(`table#overdue a[href="/app/projects/`+id+`"]`)) == 1
	}
	status := func(p page) string { return strings.TrimSpace(p.text("#status p .pill")) }

	pg := get(t, c, projectURL)
	if status(pg) != "in progress" || forms(pg) != "hold cancel" {
		t.Fatalf("running project: status %q, forms %q; want in progress with hold and cancel", status(pg), forms(pg))
	}
	for _, in := range pg.all("form.lifecycle-form input, form.lifecycle-form textarea") {
		if len(pg.all(`label[for="`+attr(in, "id")+`"]`)) != 1 {
			t.Errorf("field %q has no label", attr(in, "id"))
		}
	}
	if !overdueListed() {
		t.Fatal("the overdue project is not in the dashboard's overdue list to begin with")
	}

	// Refused: no reason, a reason too long (kept as typed), another origin.
	if p := send("hold", "", a.url); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#error-hold"), "reason") {
		t.Errorf("hold without a reason: %d, error %q", p.status, p.text("#error-hold"))
	}
	long := strings.Repeat("Waiting on the customer. ", 100)
	p := send("hold", long, a.url)
	if in := p.all("#reason-hold"); p.status != http.StatusUnprocessableEntity || len(in) != 1 || attr(in[0], "value") != long ||
		!strings.Contains(p.text("#error-hold"), "at most 2000") || status(p) != "in progress" {
		t.Errorf("hold with a long reason: %d, error %q, status %q; the reason not kept", p.status, p.text("#error-hold"), status(p))
	}
	if p := send("hold", "Customer re-org", "http://elsewhere.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin hold: %d, want 403", p.status)
	}
	if status(get(t, c, projectURL)) != "in progress" {
		t.Fatal("a refused hold changed the project")
	}

	// On hold: the reason shows, the forms follow, the overdue list forgets it.
	if p := send("hold", "Customer re-org", a.url); p.status != http.StatusSeeOther || p.header.Get("Location") != "/app/projects/"+id+"#status" {
		t.Fatalf("hold: %d %q", p.status, p.header.Get("Location"))
	}
	pg = get(t, c, projectURL)
	if status(pg) != "on hold" || pg.text("#status-reason") != "Customer re-org" || forms(pg) != "resume cancel" {
		t.Errorf("on hold: status %q, reason %q, forms %q", status(pg), pg.text("#status-reason"), forms(pg))
	}
	if overdueListed() {
		t.Error("the project on hold is still in the overdue list")
	}
	if n := strings.TrimSpace(get(t, c, a.url+"/app").text("#on-hold-count")); n != "1" {
		t.Errorf("the dashboard counts %q projects on hold, want 1", n)
	}
	// A second tab still offering "hold": the error shows in the status card.
	if p := send("hold", "Again", a.url); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#status .error"), "its status is on_hold") {
		t.Errorf("hold twice: %d %q", p.status, p.text("#status .error"))
	}

	if p := send("resume", "", a.url); p.status != http.StatusSeeOther {
		t.Fatalf("resume: %d %s", p.status, p.text("main"))
	}
	if pg = get(t, c, projectURL); status(pg) != "in progress" || len(pg.all("#status-reason")) != 0 || !overdueListed() {
		t.Errorf("resumed: status %q, reason shown %v, overdue listed %v", status(pg), len(pg.all("#status-reason")) > 0, overdueListed())
	}

	// Cancelled: no task controls until reopened.
	if p := send("cancel", "Churned", a.url); p.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", p.status, p.text("main"))
	}
	pg = get(t, c, projectURL)
	if status(pg) != "cancelled" || forms(pg) != "reopen" || len(pg.all("form.status-form")) != 0 {
		t.Errorf("cancelled: status %q, forms %q, %d task status forms", status(pg), forms(pg), len(pg.all("form.status-form")))
	}
	if p := send("reopen", "", a.url); p.status != http.StatusSeeOther {
		t.Fatalf("reopen: %d %s", p.status, p.text("main"))
	}
	if pg = get(t, c, projectURL); status(pg) != "in progress" || len(pg.all("form.status-form")) == 0 {
		t.Errorf("reopened: status %q, %d task status forms", status(pg), len(pg.all("form.status-form")))
	}

	if p := send("archive", "", a.url); p.status != http.StatusNotFound {
		t.Errorf("an unknown change: %d, want 404", p.status)
	}
	v := signIn(t, a, "sam.lee@acme.example")
	if pg := get(t, v, projectURL); len(pg.all("form.lifecycle-form")) != 0 || status(pg) != "in progress" {
		t.Errorf("a viewer sees %d lifecycle forms (status %q)", len(pg.all("form.lifecycle-form")), status(pg))
	}
	if p := post(t, v, projectURL+"/hold", url.Values{"reason": {"Mine"}}, a.url); p.status != http.StatusForbidden {
		t.Errorf("a viewer's hold: %d, want 403", p.status)
	}
}
