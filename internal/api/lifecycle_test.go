package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lifecycleJSON is a project as the lifecycle routes answer it.
type lifecycleJSON struct {
	projectJSON
	StatusReason    *string   `json:"status_reason"`
	StatusChangedAt time.Time `json:"status_changed_at"`
	HeldDays        int       `json:"held_days"`
	AtRisk          bool      `json:"at_risk"`
}

// lifecycle sends one lifecycle change as the admin and insists it succeeds.
func (e *env) lifecycle(t *testing.T, project, action, reason string) lifecycleJSON {
	t.Helper()
	var body any
	if action == "hold" || action == "cancel" {
		body = map[string]any{"reason": reason}
	}
	st, out := e.do(t, "admin", "POST", "/projects/"+project+"/"+action, body)
	return decode[lifecycleJSON](t, st, out, http.StatusOK)
}

// into brings e.p1 (not started) into a status through the API.
func (e *env) into(t *testing.T, status string) {
	t.Helper()
	p := e.p1.String()
	switch status {
	case "not_started":
	case "in_progress":
		st, out := e.do(t, "admin", "PATCH", "/tasks/"+e.t1.String(), map[string]any{"status": "in_progress"})
		decode[taskJSON](t, st, out, http.StatusOK)
	case "completed":
		for _, task := range e.tasks(t, "admin", p) {
			st, out := e.do(t, "admin", "PATCH", "/tasks/"+task.ID, map[string]any{"status": "completed"})
			decode[taskJSON](t, st, out, http.StatusOK)
		}
	case "on_hold":
		e.lifecycle(t, p, "hold", "Customer re-org")
	case "cancelled":
		e.lifecycle(t, p, "cancel", "Churned")
	default:
		t.Fatalf("no way into %s", status)
	}
	if got := e.project(t, p).Status; got != status {
		t.Fatalf("project is %s, want %s", got, status)
	}
}

// TestProjectLifecycle sends every lifecycle change to a project in every
// status: the allowed ones answer the project in its new status, with the
// reason and when it changed, and record their event; the others answer
// 409 naming the current status, and change nothing.
func TestProjectLifecycle(t *testing.T) {
	t.Parallel()
	// want: the status after the change, "" for 409.
	cases := map[string]map[string]string{
		"not_started": {"hold": "on_hold", "resume": "", "cancel": "cancelled", "reopen": ""},
		"in_progress": {"hold": "on_hold", "resume": "", "cancel": "cancelled", "reopen": ""},
		"completed":   {"hold": "", "resume": "", "cancel": "", "reopen": ""},
		"on_hold":     {"hold": "", "resume": "not_started", "cancel": "cancelled", "reopen": ""},
		"cancelled":   {"hold": "", "resume": "", "cancel": "", "reopen": "not_started"},
	}
	kinds := map[string]string{"hold": "project.put_on_hold", "resume": "project.resumed", "cancel": "project.cancelled", "reopen": "project.reopened"}
	for from, actions := range cases {
		for action, want := range actions {
			t.Run(from+"/"+action, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				e.into(t, from)
				p := e.p1.String()
				var body any
				if action == "hold" || action == "cancel" {
					body = map[string]any{"reason": "  Budget frozen until Q3  "}
				}
				before := e.snapshot(t)
				start := time.Now()
				st, out := e.do(t, "csm", "POST", "/projects/"+p+"/"+action, body)
				if want == "" {
					if st != http.StatusConflict || !strings.Contains(string(out), "its status is "+from) {
						t.Fatalf("%s from %s: %d %s; want 409 naming %s", action, from, st, out, from)
					}
					if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
						t.Errorf("a refused change changed data:\n%s", diff)
					}
					return
				}
				got := decode[lifecycleJSON](t, st, out, http.StatusOK)
				if got.Status != want || got.StatusChangedAt.Before(start.Add(-time.Second)) {
					t.Errorf("%s from %s: status %s changed at %s, want %s now", action, from, got.Status, got.StatusChangedAt, want)
				}
				switch want {
				case "on_hold", "cancelled":
					if got.StatusReason == nil || *got.StatusReason != "Budget frozen until Q3" {
						t.Errorf("reason %v, want the trimmed reason", got.StatusReason)
					}
				default:
					if got.StatusReason != nil {
						t.Errorf("%s kept the reason %q", action, *got.StatusReason)
					}
				}
				if again := e.project(t, p); again.Status != want {
					t.Errorf("read back: %s, want %s", again.Status, want)
				}
				st, out = e.do(t, "admin", "GET", "/projects/"+p+"/activity?limit=5", nil)
				latest := decode[struct {
					Items []struct {
						Kind    string         `json:"kind"`
						Changes map[string]any `json:"changes"`
					}
				}](t, st, out, http.StatusOK).Items
				if len(latest) == 0 || latest[0].Kind != kinds[action] {
					t.Fatalf("latest activity %+v, want %s", latest, kinds[action])
				}
				if ch, _ := latest[0].Changes["status"].(map[string]any); ch["from"] != from || ch["to"] != want {
					t.Errorf("event changes %v, want status %s → %s", latest[0].Changes, from, want)
				}
			})
		}
	}
}

// TestLifecycleNeedsAReason: holding or cancelling without a reason, with
// a blank one or with one too long answers 422 naming reason, and changes
// nothing.
func TestLifecycleNeedsAReason(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.p1.String()
	for _, action := range []string{"hold", "cancel"} {
		for _, body := range []any{nil, map[string]any{}, map[string]any{"reason": " \t "}, map[string]any{"reason": strings.Repeat("r", 2001)}} {
			before := e.snapshot(t)
			st, out := e.do(t, "admin", "POST", "/projects/"+p+"/"+action, body)
			// A blank or long reason is refused at body.reason; a body
			// without one, at the body, with a message naming it.
			if st != http.StatusUnprocessableEntity || !strings.Contains(string(out), `"location":"body.reason"`) &&
				!strings.Contains(string(out), `required property reason`) {
				t.Errorf("%s with %v: %d %s; want 422 naming the reason", action, body, st, out)
			}
			if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
				t.Errorf("%s with %v changed data:\n%s", action, body, diff)
			}
		}
	}
}

// TestTasksOfPausedProjects: the tasks of a project on hold still change,
// and its progress follows while it stays on hold; the tasks of a
// cancelled project do not (409), but comments still come; reopened, they
// change again and the status follows them.
func TestTasksOfPausedProjects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.p1.String()
	e.into(t, "in_progress")
	e.lifecycle(t, p, "hold", "Waiting for the security review")
	st, out := e.do(t, "contact", "PATCH", "/tasks/"+e.t1.String(), map[string]any{"status": "completed"})
	decode[taskJSON](t, st, out, http.StatusOK)
	got := e.project(t, p)
	if got.Status != "on_hold" || got.Progress != 5 {
		t.Errorf("on hold after a task completed: %s at %v%%, want on_hold at 5%%", got.Status, got.Progress)
	}
	if resumed := e.lifecycle(t, p, "resume", ""); resumed.Status != "in_progress" || resumed.StatusReason != nil {
		t.Errorf("resumed: %+v, want in progress without a reason", resumed)
	}

	e.lifecycle(t, p, "cancel", "Churned")
	before := e.snapshot(t)
	for _, r := range []struct {
		caller, method, path string
		body                 any
	}{
		{"admin", "PATCH", "/tasks/" + e.t1.String(), map[string]any{"status": "in_progress"}},
		{"contact", "PATCH", "/tasks/" + e.t1.String(), map[string]any{"status": "in_progress"}},
		{"admin", "POST", "/projects/" + p + "/tasks", map[string]any{"description": "One more thing"}},
		{"admin", "DELETE", "/tasks/" + e.tv.String(), nil},
	} {
		st, out := e.do(t, r.caller, r.method, r.path, r.body)
		if st != http.StatusConflict || !strings.Contains(string(out), "cancelled") {
			t.Errorf("%s %s as %s in a cancelled project: %d %s; want 409", r.method, r.path, r.caller, st, out)
		}
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("refused task changes changed data:\n%s", diff)
	}
	st, out = e.do(t, "contact", "POST", "/tasks/"+e.t1.String()+"/comments", map[string]any{"body": "Sorry to see it go."})
	if st != http.StatusCreated {
		t.Errorf("comment on a cancelled project's task: %d %s", st, out)
	}
	if reopened := e.lifecycle(t, p, "reopen", ""); reopened.Status != "in_progress" || reopened.Progress != 5 {
		t.Errorf("reopened: %s at %v%%, want in_progress at 5%%", reopened.Status, reopened.Progress)
	}
	st, out = e.do(t, "contact", "PATCH", "/tasks/"+e.t1.String(), map[string]any{"status": "in_progress"})
	decode[taskJSON](t, st, out, http.StatusOK)
}

// TestPausedProjectsAreNeverOverdue: a project past its deadline is
// overdue; on hold or cancelled it is not, and the overdue list leaves it
// out; resumed or reopened, it is overdue again.
func TestPausedProjectsAreNeverOverdue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	st, out := e.do(t, "admin", "POST", "/projects", map[string]any{"customer_id": e.c1, "name": "Late rollout",
		"start_date": time.Now().AddDate(0, -1, 0), "deadline": time.Now().AddDate(0, 0, -2)})
	p := decode[projectJSON](t, st, out, http.StatusCreated).ID
	listed := func() bool {
		st, out := e.do(t, "admin", "GET", "/projects?overdue=true&limit=50", nil)
		for _, x := range decode[struct{ Items []projectJSON }](t, st, out, http.StatusOK).Items {
			if x.ID == p {
				return true
			}
		}
		return false
	}
	check := func(when string, want bool) {
		t.Helper()
		if got := e.project(t, p).Overdue; got != want || listed() != want {
			t.Errorf("%s: overdue %v (listed %v), want %v", when, got, listed(), want)
		}
	}
	check("running", true)
	e.lifecycle(t, p, "hold", "Customer re-org")
	check("on hold", false)
	st, out = e.do(t, "admin", "GET", "/projects?status=on_hold", nil)
	if items := decode[struct{ Items []projectJSON }](t, st, out, http.StatusOK).Items; len(items) != 1 || items[0].ID != p {
		t.Errorf("status=on_hold lists %+v", items)
	}
	e.lifecycle(t, p, "resume", "")
	check("resumed the same day", true)
	e.lifecycle(t, p, "cancel", "Churned")
	check("cancelled", false)
	e.lifecycle(t, p, "reopen", "")
	check("reopened", true)
}
