package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/andybalholm/cascadia"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// TestTemplatesAskKnownActions: every permission a page asks about
// ({{.P.Can "…"}}) is an action of the policy; a misspelt one would hide
// its control from everyone.
func TestTemplatesAskKnownActions(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v", err)
	}
	known := map[string]bool{}
	for _, a := range onboardiq.Actions() {
		known[string(a)] = true
	}
	asks := regexp.MustCompile(`\.Can "([^"]*)"`)
	// The predicates on one task (canChangeTaskStatus, canCommentOnTask) are
	// functions: a misspelt one fails to parse.
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range asks.FindAllStringSubmatch(string(b), -1) {
			n++
			if !known[m[1]] {
				t.Errorf("%s asks about %q, which is no action", f, m[1])
			}
		}
	}
	if n < 6 {
		t.Errorf("only %d permission checks in the templates", n)
	}
}

// TestControlsFollowPermissions: for every staff role, each page shows a
// control exactly when the policy allows its action, and the store agrees:
// using the control succeeds for those who see it and is refused (403) for
// those who do not.
func TestControlsFollowPermissions(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := context.Background()
	var article, task, project string
	if err := a.db.App.InTenant(ctx, a.demo.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT (SELECT article_id::text FROM knowledge_base ORDER BY title LIMIT 1),
       (SELECT task_id::text FROM tasks WHERE status <> 'completed' ORDER BY position LIMIT 1),
       (SELECT project_id::text FROM tasks WHERE status <> 'completed' ORDER BY position LIMIT 1)`).Scan(&article, &task, &project)
	}); err != nil {
		t.Fatal(err)
	}
	controls := []struct {
		name, path, sel string
		action          onboardiq.Action
	}{
		{"write an article", "/app/kb", `a[href="/app/kb/new"]`, onboardiq.EditArticles},
		{"edit an article", "/app/kb/" + article, `a[href$="/edit"]`, onboardiq.EditArticles},
		{"change a task's status", "/app/tasks/" + task, `form[action$="/status"]`, onboardiq.EditTasks},
		{"comment on a task", "/app/tasks/" + task, `form[action$="/comments"]`, onboardiq.CommentOnTasks},
		{"change statuses on the project", "/app/projects/" + project, `form.status-form`, onboardiq.EditTasks},
		{"change the project's status by hand", "/app/projects/" + project, `form.lifecycle-form`, onboardiq.EditProjects},
		{"add a task", "/app/projects/" + project, `form#add-task-form`, onboardiq.EditTasks},
		{"select tasks to change together", "/app/projects/" + project, `form#bulk`, onboardiq.EditTasks},
		{"move a task within its phase", "/app/projects/" + project, `form.move-form`, onboardiq.EditTasks},
		{"edit the project", "/app/projects/" + project, `form#edit-project-form`, onboardiq.EditProjects},
		{"save the project as a template", "/app/projects/" + project, `form#save-template-form`, onboardiq.ManageTemplates},
		{"add a user", "/app/settings", `form#invite`, onboardiq.ManageUsers},
		{"register a webhook", "/app/settings", `form#new-webhook`, onboardiq.ManageWebhooks},
		{"edit a template", "/app/settings", `a[href^="/app/templates/"]`, onboardiq.ManageTemplates},
	}
	uses := []struct {
		name, path string
		form       url.Values
		action     onboardiq.Action
	}{
		{"open the article editor", "/app/kb/new", nil, onboardiq.EditArticles},
		{"write an article", "/app/kb", url.Values{"title": {"A note"}, "content": {"Text."}, "visibility": {"internal"}}, onboardiq.EditArticles},
		{"comment on a task", "/app/tasks/" + task + "/comments", url.Values{"body": {"On it."}}, onboardiq.CommentOnTasks},
		{"change a task's status", "/app/tasks/" + task + "/status", url.Values{"status": {"in_progress"}}, onboardiq.EditTasks},
		// The first role to get here puts it on hold; after that, a refusal
		// of the repeat is 422, not 403.
		{"put the project on hold", "/app/projects/" + project + "/hold", url.Values{"reason": {"Customer re-org"}}, onboardiq.EditProjects},
		{"add a task", "/app/projects/" + project + "/tasks", url.Values{"description": {"An extra step"}}, onboardiq.EditTasks},
		{"change several tasks", "/app/projects/" + project + "/tasks/bulk", url.Values{"task_id": {task}, "shift_days": {"1"}}, onboardiq.EditTasks},
		// A move past the edge of the phase is refused as 422, not 403.
		{"move a task", "/app/tasks/" + task + "/move", url.Values{"direction": {"down"}}, onboardiq.EditTasks},
		{"edit the project", "/app/projects/" + project + "/edit", url.Values{"name": {"Renamed"}}, onboardiq.EditProjects},
		{"add a user", "/app/settings/users", url.Values{"email": {"new.person@acme.example"}, "name": {"New Person"}, "role": {"viewer"}}, onboardiq.ManageUsers},
	}
	for _, u := range []struct {
		email string
		role  onboardiq.Role
	}{
		{"alex.morgan@acme.example", onboardiq.RoleAdmin},
		{"priya.shah@acme.example", onboardiq.RoleCSM},
		{"dana.whitfield@acme.example", onboardiq.RoleSalesLeader},
		{"sam.lee@acme.example", onboardiq.RoleViewer},
	} {
		p := &onboardiq.Principal{Role: u.role}
		c := signIn(t, a, u.email)
		for _, ctl := range controls {
			pg := get(t, c, a.url+ctl.path)
			if pg.status != 200 {
				t.Errorf("%s: %s answered %d", u.role, ctl.path, pg.status)
				continue
			}
			if shown := len(pg.all(ctl.sel)) > 0; shown != p.Can(ctl.action) {
				t.Errorf("%s: %q shown %v on %s, but may %s: %v", u.role, ctl.name, shown, ctl.path, ctl.action, p.Can(ctl.action))
			}
		}
		for _, use := range uses {
			var status int
			if use.form == nil {
				status = get(t, c, a.url+use.path).status
			} else {
				status = post(t, c, a.url+use.path, use.form, a.url).status
			}
			if refused := status == 403; refused == p.Can(use.action) {
				t.Errorf("%s: %s answered %d, but may %s: %v", u.role, use.name, status, use.action, p.Can(use.action))
			}
		}
	}
}

// TestTaskControlsFollowTheStore: a customer contact sees the status and
// comment controls on exactly the tasks the store lets them change and
// comment on (every task they see), and using them succeeds there and is
// refused (403) elsewhere; a task they mark done offers them, and only
// them, Reopen.
func TestTaskControlsFollowTheStore(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := client(t)
	post(t, c, a.url+"/portal/acme/signin", url.Values{"email": {"hannah.becker@globex.example"}}, a.url)
	links := get(t, c, a.url+"/dev/mailbox?workspace=acme").all("tr.mail a.link")
	if len(links) != 1 {
		t.Fatalf("mailbox has %d links", len(links))
	}
	openLink(t, c, a, attr(links[0], "href"))
	path := "/portal/acme/projects/" + a.projectID(t, "Globex platform rollout")
	pg := get(t, c, a.url+path)
	tasks := pg.all("div.task")
	var mine, others int
	for _, task := range tasks {
		id := strings.TrimPrefix(attr(task, "id"), "task-")
		has := func(sel string) bool { return cascadia.MustCompile(sel).MatchFirst(task) != nil }
		completed := has("span.pill.completed")
		statusShown := has(`form[action$="/tasks/` + id + `/status"]`)
		commentShown := has(`form[action$="/tasks/` + id + `/comments"]`)
		if statusShown && completed {
			t.Errorf("task %s: status controls on a completed task someone else completed", id)
		}
		if !commentShown {
			t.Errorf("task %s: no comment form on a task the contact sees", id)
		}
		comment := post(t, c, a.url+"/portal/acme/tasks/"+id+"/comments", url.Values{"body": {"Checking in."}}, a.url).status
		if refused := comment == http.StatusForbidden; refused == commentShown {
			t.Errorf("task %s: comment form shown %v, the store answered %d", id, commentShown, comment)
		}
		if completed {
			// Completed by the vendor (the demo's): no Reopen, and the store
			// refuses it.
			if st := post(t, c, a.url+"/portal/acme/tasks/"+id+"/status", url.Values{"status": {"in_progress"}}, a.url).status; st != http.StatusForbidden {
				t.Errorf("task %s, completed by someone else, reopened: %d, want 403", id, st)
			}
			continue
		}
		status := post(t, c, a.url+"/portal/acme/tasks/"+id+"/status", url.Values{"status": {"in_progress"}}, a.url).status
		if refused := status == http.StatusForbidden; refused == statusShown {
			t.Errorf("task %s: status controls shown %v, the store answered %d", id, statusShown, status)
		}
		if statusShown {
			mine++
		} else {
			others++
		}
	}
	if mine == 0 || others == 0 {
		t.Errorf("%d open tasks the contact may change, %d they may not: the test needs both", mine, others)
	}

	// A task the contact marks done shows Reopen, exactly while the store
	// lets them reopen it.
	var done string
	for _, form := range get(t, c, a.url+path).all("form.done-form") {
		done = strings.TrimSuffix(strings.TrimPrefix(attr(form, "action"), "/portal/acme/tasks/"), "/status")
		break
	}
	if p := post(t, c, a.url+"/portal/acme/tasks/"+done+"/status", url.Values{"status": {"completed"}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("mark done: %d", p.status)
	}
	task := byID("task-" + done)
	pg = get(t, c, a.url+path)
	if len(pg.all(task+" span.pill.completed")) != 1 || len(pg.all(task+" form.reopen-form")) != 1 || len(pg.all(task+" form.done-form")) != 0 {
		t.Fatalf("the task the contact completed: %q, reopen forms %d", pg.text(task), len(pg.all(task+" form.reopen-form")))
	}
	// A colleague sees no Reopen on it, and may not reopen it.
	colleague := actPortalClient(t, a, "omar.aziz@globex.example")
	if n := len(get(t, colleague, a.url+path).all(task + " form.reopen-form")); n != 0 {
		t.Errorf("a colleague sees %d reopen forms on the contact's completed task", n)
	}
	if st := post(t, colleague, a.url+"/portal/acme/tasks/"+done+"/status", url.Values{"status": {"in_progress"}}, a.url).status; st != http.StatusForbidden {
		t.Errorf("a colleague reopening it: %d, want 403", st)
	}
	action := attr(pg.all(task + " form.reopen-form")[0], "action")
	if p := post(t, c, a.url+action, url.Values{"status": {"in_progress"}}, a.url); p.status != http.StatusSeeOther {
		t.Errorf("reopen: %d %s", p.status, p.text(".error"))
	}
	if s := actTaskState(t, a, done); s.status != "in_progress" || s.completed {
		t.Errorf("after reopening, the task is %+v", s)
	}
	if pg := get(t, c, a.url+path); len(pg.all(task+" form.done-form")) != 1 || len(pg.all(task+" form.reopen-form")) != 0 {
		t.Errorf("the reopened task: done forms %d, reopen forms %d", len(pg.all(task+" form.done-form")), len(pg.all(task+" form.reopen-form")))
	}
}
