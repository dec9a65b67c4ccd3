package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

type playbookJSON struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Enabled     bool      `json:"enabled"`
	Subject     string    `json:"subject"`
	Trigger     struct {
		Event    string `json:"event"`
		Schedule string `json:"schedule"`
		Days     int    `json:"days"`
	} `json:"trigger"`
	Conditions struct {
		Match string `json:"match"`
		Rules []struct {
			Field string `json:"field"`
			Op    string `json:"op"`
			Value any    `json:"value"`
		} `json:"rules"`
	} `json:"conditions"`
	Actions []struct {
		Type string   `json:"type"`
		URL  string   `json:"url"`
		To   []string `json:"to"`
	} `json:"actions"`
	CooldownMinutes int       `json:"cooldown_minutes"`
	MaxRunsPerDay   int       `json:"max_runs_per_day"`
	SigningSecret   string    `json:"signing_secret"`
	CreatedAt       time.Time `json:"created_at"`
	NeedsSetup      []string  `json:"needs_setup"`
}

type conditionJSON struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	Value any    `json:"value"`
	Saw   any    `json:"saw"`
	OK    bool   `json:"ok"`
}

type playbookRunJSON struct {
	ID         uuid.UUID       `json:"id"`
	PlaybookID uuid.UUID       `json:"playbook_id"`
	Trigger    string          `json:"trigger"`
	CustomerID *uuid.UUID      `json:"customer_id"`
	Status     string          `json:"status"`
	Conditions []conditionJSON `json:"conditions"`
	Actions    []actionRunJSON `json:"actions"`
	By         *uuid.UUID      `json:"by"`
}

type actionRunJSON struct {
	Index          int    `json:"index"`
	Type           string `json:"type"`
	Status         string `json:"status"`
	IdempotencyKey string `json:"idempotency_key"`
}

// onlyCustomerOne is a playbook whose one condition holds for acme's
// "Customer One" alone: a task blocked → tell the CSM.
func onlyCustomerOne(name string) map[string]any {
	return map[string]any{"name": name, "description": "Tell the CSM", "subject": "customer",
		"trigger":          map[string]any{"event": "task.blocked"},
		"conditions":       map[string]any{"match": "all", "rules": []map[string]any{{"field": "customer.name", "op": "eq", "value": "Customer One"}}},
		"actions":          []map[string]any{{"type": "notify", "to": []string{"csm"}, "subject": "Blocked: {{customer_name}}", "body": "A task is blocked."}},
		"cooldown_minutes": 60, "max_runs_per_day": 10}
}

func (e *env) createPlaybook(t *testing.T, body any) playbookJSON {
	t.Helper()
	st, out := e.do(t, "admin", "POST", "/playbooks", body)
	return decode[playbookJSON](t, st, out, http.StatusCreated)
}

func (e *env) listPlaybooks(t *testing.T, caller string) []playbookJSON {
	t.Helper()
	st, out := e.do(t, caller, "GET", "/playbooks", nil)
	return decode[struct{ Items []playbookJSON }](t, st, out, http.StatusOK).Items
}

// rawRequest sends body as it is with the given Content-Type (none when
// empty) and returns the whole answer.
func (e *env) rawRequest(t *testing.T, caller, method, path, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/api/v1"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if tok := e.tokens[caller]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func wantField(t *testing.T, what string, st int, out []byte, field string) {
	t.Helper()
	if st != http.StatusUnprocessableEntity || !strings.Contains(string(out), `"location":"`+field+`"`) {
		t.Errorf("%s: %d %s; want 422 naming %s", what, st, out, field)
	}
}

// TestPlaybookLifecycle: a playbook is created, read, replaced, listed,
// enabled and disabled, and deleted; a webhook without its URL cannot be
// enabled until the URL is set; only admins see the signing secret.
func TestPlaybookLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	p := e.createPlaybook(t, onlyCustomerOne("Blocked task → CSM"))
	if p.ID == uuid.Nil || p.Name != "Blocked task → CSM" || p.Enabled || p.Trigger.Event != "task.blocked" || p.CooldownMinutes != 60 ||
		p.MaxRunsPerDay != 10 || len(p.Conditions.Rules) != 1 || p.Conditions.Rules[0].Value != "Customer One" || len(p.Actions) != 1 ||
		p.Actions[0].Type != "notify" || p.CreatedAt.IsZero() {
		t.Fatalf("created: %+v", p)
	}

	st, out := e.do(t, "csm", "GET", "/playbooks/"+p.ID.String(), nil)
	got := decode[playbookJSON](t, st, out, http.StatusOK)
	if got.ID != p.ID || got.Name != p.Name || got.Conditions.Rules[0].Field != "customer.name" {
		t.Errorf("read back by the CSM: %+v", got)
	}

	// A full replace, sending back what GET answered (read-only fields
	// included), changed.
	st, out = e.do(t, "admin", "GET", "/playbooks/"+p.ID.String(), nil)
	var body map[string]any
	if err := json.Unmarshal(out, &body); err != nil || st != http.StatusOK {
		t.Fatalf("get: %d %s", st, out)
	}
	body["name"] = "Blocked task → CSM and admins"
	body["trigger"] = map[string]any{"schedule": "task_blocked_days", "days": 3}
	body["actions"] = []map[string]any{{"type": "notify", "to": []string{"csm", "role:admin"}, "subject": "Still blocked", "body": "Three days."}}
	delete(body, "conditions")
	st, out = e.do(t, "admin", "PUT", "/playbooks/"+p.ID.String(), body)
	up := decode[playbookJSON](t, st, out, http.StatusOK)
	if up.ID != p.ID || up.Name != "Blocked task → CSM and admins" || up.Trigger.Schedule != "task_blocked_days" || up.Trigger.Days != 3 ||
		up.Trigger.Event != "" || len(up.Conditions.Rules) != 0 || !slices.Equal(up.Actions[0].To, []string{"csm", "role:admin"}) {
		t.Errorf("replaced: %+v", up)
	}
	if !up.CreatedAt.Equal(p.CreatedAt) {
		t.Errorf("the replace changed created_at: %v, was %v", up.CreatedAt, p.CreatedAt)
	}
	list := e.listPlaybooks(t, "csm")
	i := slices.IndexFunc(list, func(x playbookJSON) bool { return x.ID == p.ID })
	if i < 0 || list[i].Name != up.Name || list[i].Trigger.Schedule != "task_blocked_days" {
		t.Errorf("the list lacks the replaced playbook: %+v", list)
	}

	st, out = e.do(t, "admin", "POST", "/playbooks/"+p.ID.String()+"/enable", nil)
	if on := decode[playbookJSON](t, st, out, http.StatusOK); !on.Enabled {
		t.Errorf("enabled: %s", out)
	}
	st, out = e.do(t, "admin", "POST", "/playbooks/"+p.ID.String()+"/disable", nil)
	if off := decode[playbookJSON](t, st, out, http.StatusOK); off.Enabled {
		t.Errorf("disabled: %s", out)
	}

	// A webhook without its URL is kept disabled, says what it needs, and
	// is refused when enabled, naming the field, until the URL is set.
	hook := e.createPlaybook(t, map[string]any{"name": "Health below 40 → n8n", "trigger": map[string]any{"schedule": "health_below", "score": 40, "days": 1},
		"actions": []map[string]any{{"type": "webhook", "url": "", "format": "n8n"}}})
	if hook.Enabled || !slices.Contains(hook.NeedsSetup, "actions[0].url") {
		t.Errorf("a webhook without its URL: %+v, want disabled, needing actions[0].url", hook)
	}
	before := e.snapshot(t)
	st, out = e.do(t, "admin", "POST", "/playbooks/"+hook.ID.String()+"/enable", nil)
	wantField(t, "enable a webhook without its URL", st, out, "body.actions[0].url")
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("the refused enable changed data:\n%s", diff)
	}
	st, out = e.do(t, "admin", "POST", "/playbooks", map[string]any{"name": "Enabled at once", "enabled": true,
		"trigger": map[string]any{"event": "customer.stage_changed"}, "actions": []map[string]any{{"type": "webhook", "format": "slack"}}})
	wantField(t, "create enabled without the URL", st, out, "body.actions[0].url")
	st, out = e.do(t, "admin", "PUT", "/playbooks/"+hook.ID.String(), map[string]any{"name": hook.Name, "enabled": true,
		"trigger": map[string]any{"schedule": "health_below", "score": 40, "days": 1},
		"actions": []map[string]any{{"type": "webhook", "url": "https://93.184.215.14/n8n", "format": "n8n"}}})
	ready := decode[playbookJSON](t, st, out, http.StatusOK)
	if !ready.Enabled || len(ready.NeedsSetup) != 0 {
		t.Errorf("with its URL: %s, want enabled", out)
	}
	// Its webhook is signed with a secret only admins see.
	if !strings.HasPrefix(ready.SigningSecret, "whsec_") {
		t.Errorf("an admin's answer has no signing secret: %s", out)
	}
	for _, path := range []string{"/playbooks/" + hook.ID.String(), "/playbooks"} {
		st, out = e.do(t, "csm", "GET", path, nil)
		if st != http.StatusOK || ready.SigningSecret == "" || strings.Contains(string(out), ready.SigningSecret) || strings.Contains(string(out), "signing_secret") {
			t.Errorf("GET %s as the CSM: %d %s; want no signing secret", path, st, out)
		}
	}

	if st, out = e.do(t, "admin", "DELETE", "/playbooks/"+p.ID.String(), nil); st != http.StatusNoContent {
		t.Fatalf("delete: %d %s", st, out)
	}
	if st, out = e.do(t, "admin", "GET", "/playbooks/"+p.ID.String(), nil); st != http.StatusNotFound {
		t.Errorf("get after delete: %d %s", st, out)
	}
	if slices.ContainsFunc(e.listPlaybooks(t, "admin"), func(x playbookJSON) bool { return x.ID == p.ID }) {
		t.Error("the deleted playbook is still listed")
	}
}

// TestPlaybookRefusedBodies: a bad definition answers 422 naming the
// field, and creates or changes nothing.
func TestPlaybookRefusedBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.createPlaybook(t, onlyCustomerOne("Kept as it is"))
	with := func(change func(b map[string]any)) map[string]any {
		b := onlyCustomerOne("Refused")
		change(b)
		return b
	}
	cases := []struct {
		what  string
		body  map[string]any
		field string
	}{
		{"an unknown event", with(func(b map[string]any) { b["trigger"] = map[string]any{"event": "task.exploded"} }), "body.trigger.event"},
		{"an unknown schedule", with(func(b map[string]any) { b["trigger"] = map[string]any{"schedule": "every_full_moon"} }), "body.trigger.schedule"},
		{"an unknown op", with(func(b map[string]any) {
			b["conditions"] = map[string]any{"rules": []map[string]any{{"field": "customer.arr", "op": "about", "value": 1}}}
		}), "body.conditions.rules[0].op"},
		{"an unknown action", with(func(b map[string]any) { b["actions"] = []map[string]any{{"type": "launch_rocket"}} }), "body.actions[0].type"},
		{"no actions", with(func(b map[string]any) { b["actions"] = []map[string]any{} }), "body.actions"},
		{"no name", with(func(b map[string]any) { b["name"] = "" }), "body.name"},
		{"a negative cooldown", with(func(b map[string]any) { b["cooldown_minutes"] = -1 }), "body.cooldown_minutes"},
		{"an unknown field", with(func(b map[string]any) { b["tenant_id"] = e.bolt }), "body.tenant_id"},
		{"a name that is no text", with(func(b map[string]any) { b["name"] = 7 }), "body.name"},
	}
	for _, c := range cases {
		before, list := e.snapshot(t), e.listPlaybooks(t, "admin")
		st, out := e.do(t, "admin", "POST", "/playbooks", c.body)
		wantField(t, "create with "+c.what, st, out, c.field)
		st, out = e.do(t, "admin", "PUT", "/playbooks/"+p.ID.String(), c.body)
		wantField(t, "replace with "+c.what, st, out, c.field)
		if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
			t.Errorf("%s changed data:\n%s", c.what, diff)
		}
		if after := e.listPlaybooks(t, "admin"); len(after) != len(list) {
			t.Errorf("%s: %d playbooks, were %d", c.what, len(after), len(list))
		}
	}
	// Two playbooks may not share a name.
	before := e.snapshot(t)
	st, out := e.do(t, "admin", "POST", "/playbooks", onlyCustomerOne("Kept as it is"))
	wantField(t, "a taken name", st, out, "body.name")
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("a taken name changed data:\n%s", diff)
	}
}

// emptyPlaybooks deletes every playbook of the caller's workspace.
func (e *env) emptyPlaybooks(t *testing.T, caller string) {
	t.Helper()
	for _, p := range e.listPlaybooks(t, caller) {
		if st, out := e.do(t, caller, "DELETE", "/playbooks/"+p.ID.String(), nil); st != http.StatusNoContent {
			t.Fatalf("delete %s: %d %s", p.Name, st, out)
		}
	}
}

// TestPlaybooksAsCode: the export, imported into an empty workspace and
// exported again, gives the same bytes, in YAML and in JSON; an import
// whose Content-Type is no file's, or whose file is bad, changes nothing.
func TestPlaybooksAsCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createPlaybook(t, onlyCustomerOne("Blocked task → CSM"))
	e.createPlaybook(t, map[string]any{"name": "Renewal in 90 days", "subject": "customer",
		"trigger":    map[string]any{"schedule": "renewal_in_days", "days": 90},
		"conditions": map[string]any{"match": "any", "rules": []map[string]any{{"field": "customer.arr", "op": "gte", "value": 50000}, {"field": "customer.segment", "op": "in", "value": []any{"Enterprise", "Mid-market"}}}},
		"actions": []map[string]any{{"type": "create_task", "task": "Prepare the renewal", "assignee": "csm", "due_days": 14},
			{"type": "webhook", "url": "https://93.184.215.14/slack", "format": "slack"}},
		"cooldown_minutes": 1440})

	for _, c := range []struct{ format, contentType, disposition string }{
		{"yaml", "application/yaml", `attachment; filename="playbooks.yaml"`},
		{"json", "application/json", `attachment; filename="playbooks.json"`},
	} {
		resp, file := e.rawRequest(t, "admin", "GET", "/playbooks/export?format="+c.format, "", nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != c.contentType || resp.Header.Get("Content-Disposition") != c.disposition {
			t.Fatalf("export %s: %d %q %q %s", c.format, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), file)
		}
		for _, want := range []string{"Blocked task → CSM", "Renewal in 90 days", "renewal_in_days", "Prepare the renewal"} {
			if !bytes.Contains(file, []byte(want)) {
				t.Errorf("the %s export lacks %q:\n%s", c.format, want, file)
			}
		}
		if bytes.Contains(file, []byte("whsec_")) || bytes.Contains(file, []byte(e.acme.String())) {
			t.Errorf("the %s export holds a secret or an id:\n%s", c.format, file)
		}
		if c.format == "json" && !json.Valid(file) {
			t.Errorf("the JSON export is not JSON:\n%s", file)
		}

		// bolt, emptied, takes the file and gives it back the same.
		e.emptyPlaybooks(t, "other_tenant")
		resp, out := e.rawRequest(t, "other_tenant", "POST", "/playbooks/import", c.contentType, file)
		res := decode[struct {
			Created, Updated int
			Playbooks        []playbookJSON
		}](t, resp.StatusCode, out, http.StatusOK)
		if res.Created != len(res.Playbooks) || res.Updated != 0 || res.Created < 2 {
			t.Errorf("import %s into an empty workspace: %s", c.format, out)
		}
		resp, again := e.rawRequest(t, "other_tenant", "GET", "/playbooks/export?format="+c.format, "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("export %s again: %d %s", c.format, resp.StatusCode, again)
		}
		if diff := cmp.Diff(string(file), string(again)); diff != "" {
			t.Errorf("%s: exported, imported into an empty workspace and exported again, the file differs (-first +again):\n%s", c.format, diff)
		}
		// Imported again, every playbook is updated, none added.
		resp, out = e.rawRequest(t, "other_tenant", "POST", "/playbooks/import", "", file)
		if res := decode[struct{ Created, Updated int }](t, resp.StatusCode, out, http.StatusOK); res.Created != 0 || res.Updated < 2 {
			t.Errorf("import %s again (format detected): %s", c.format, out)
		}
	}

	// YAML is the default.
	resp, file := e.rawRequest(t, "admin", "GET", "/playbooks/export", "", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/yaml" {
		t.Errorf("export: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	before := e.snapshot(t)
	resp, out := e.rawRequest(t, "admin", "POST", "/playbooks/import", "text/plain", file)
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("import as text/plain: %d %s, want 415", resp.StatusCode, out)
	}
	bad := bytes.Replace(file, []byte("renewal_in_days"), []byte("every_full_moon"), 1)
	resp, out = e.rawRequest(t, "admin", "POST", "/playbooks/import", "text/yaml", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(out), "trigger") {
		t.Errorf("import a file with a bad trigger: %d %s, want 422 naming it", resp.StatusCode, out)
	}
	resp, out = e.rawRequest(t, "admin", "POST", "/playbooks/import", "application/yaml", bytes.Repeat([]byte("#"), 1<<20+1))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("import more than 1 MiB: %d %.200s, want 413", resp.StatusCode, out)
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("refused imports changed data:\n%s", diff)
	}
}

// TestPlaybookRunByHand: a run by hand on a customer records its
// conditions, with the values they saw, and its actions, and shows in the
// executions; on a customer the conditions do not hold for, it acts not.
func TestPlaybookRunByHand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.createPlaybook(t, onlyCustomerOne("Blocked task → CSM"))

	st, out := e.do(t, "csm", "POST", "/playbooks/"+p.ID.String()+"/run", map[string]any{"customer_id": e.c1})
	run := decode[playbookRunJSON](t, st, out, http.StatusCreated)
	if run.PlaybookID != p.ID || run.CustomerID == nil || *run.CustomerID != e.c1 || run.Status == "skipped" || run.By == nil || *run.By != e.csm ||
		run.Trigger != "manual" {
		t.Errorf("the run: %s", out)
	}
	if len(run.Conditions) != 1 || run.Conditions[0].Field != "customer.name" || run.Conditions[0].Saw != "Customer One" || !run.Conditions[0].OK {
		t.Errorf("the run's conditions: %+v", run.Conditions)
	}
	if len(run.Actions) != 1 || run.Actions[0].Type != "notify" || run.Actions[0].IdempotencyKey == "" {
		t.Errorf("the run's actions: %+v", run.Actions)
	}

	st, out = e.do(t, "csm", "POST", "/playbooks/"+p.ID.String()+"/run", map[string]any{"customer_id": e.c2})
	skipped := decode[playbookRunJSON](t, st, out, http.StatusCreated)
	if skipped.Status != "skipped" || len(skipped.Conditions) != 1 || skipped.Conditions[0].Saw != "Customer Two" || skipped.Conditions[0].OK {
		t.Errorf("a run whose conditions do not hold: %s", out)
	}
	if slices.ContainsFunc(skipped.Actions, func(a actionRunJSON) bool { return a.Status == "done" || a.Status == "pending" }) {
		t.Errorf("a skipped run acts: %+v", skipped.Actions)
	}

	st, out = e.do(t, "csm", "GET", "/playbooks/"+p.ID.String()+"/executions", nil)
	page := decode[struct{ Items []playbookRunJSON }](t, st, out, http.StatusOK)
	if len(page.Items) != 2 || page.Items[0].ID != skipped.ID || page.Items[1].ID != run.ID {
		t.Fatalf("executions, newest first: %s", out)
	}
	if got := page.Items[1]; len(got.Conditions) != 1 || !got.Conditions[0].OK || got.Conditions[0].Saw != "Customer One" ||
		len(got.Actions) != 1 || got.Actions[0].Type != "notify" || got.Actions[0].IdempotencyKey != run.Actions[0].IdempotencyKey {
		t.Errorf("the run in the executions: %+v", got)
	}
	// Paged like every list.
	st, out = e.do(t, "csm", "GET", "/playbooks/"+p.ID.String()+"/executions?limit=1", nil)
	first := decode[struct {
		Items      []playbookRunJSON
		NextCursor string `json:"next_cursor"`
	}](t, st, out, http.StatusOK)
	if len(first.Items) != 1 || first.NextCursor == "" {
		t.Fatalf("a page of one: %s", out)
	}
	st, out = e.do(t, "csm", "GET", "/playbooks/"+p.ID.String()+"/executions?limit=1&cursor="+first.NextCursor, nil)
	if second := decode[struct{ Items []playbookRunJSON }](t, st, out, http.StatusOK); len(second.Items) != 1 || second.Items[0].ID != run.ID {
		t.Errorf("the next page: %s", out)
	}

	// Another customer's id, or none of the workspace's, is refused.
	st, out = e.do(t, "csm", "POST", "/playbooks/"+p.ID.String()+"/run", map[string]any{"customer_id": uuid.New()})
	if st != http.StatusNotFound && st != http.StatusUnprocessableEntity {
		t.Errorf("a run on no customer: %d %s", st, out)
	}
}

// TestPlaybookDryRun: a dry run lists the subjects whose conditions hold,
// with what each action would do, and changes nothing at all.
func TestPlaybookDryRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.createPlaybook(t, onlyCustomerOne("Blocked task → CSM"))

	before := e.snapshot(t)
	st, out := e.do(t, "csm", "POST", "/playbooks/"+p.ID.String()+"/dry-run", nil)
	dry := decode[struct {
		PlaybookID uuid.UUID `json:"playbook_id"`
		Checked    int       `json:"checked"`
		Matches    []struct {
			CustomerID   uuid.UUID       `json:"customer_id"`
			CustomerName string          `json:"customer_name"`
			Conditions   []conditionJSON `json:"conditions"`
			Actions      []string        `json:"actions"`
		} `json:"matches"`
	}](t, st, out, http.StatusOK)
	if dry.PlaybookID != p.ID || dry.Checked < 2 || len(dry.Matches) != 1 {
		t.Fatalf("dry run: %s; want Customer One alone of at least 2 checked", out)
	}
	if m := dry.Matches[0]; m.CustomerID != e.c1 || m.CustomerName != "Customer One" || len(m.Conditions) != 1 || !m.Conditions[0].OK ||
		len(m.Actions) != 1 || m.Actions[0] == "" {
		t.Errorf("the match: %+v", m)
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("the dry run changed data:\n%s", diff)
	}
	st, out = e.do(t, "csm", "GET", "/playbooks/"+p.ID.String()+"/executions", nil)
	if page := decode[struct{ Items []playbookRunJSON }](t, st, out, http.StatusOK); len(page.Items) != 0 {
		t.Errorf("the dry run left executions: %s", out)
	}
}

// TestPlaybookListCSVAndFields: the list downloads as CSV (a row per
// playbook, its trigger and conditions flattened into columns), and the
// condition fields list for those who read playbooks.
func TestPlaybookListCSVAndFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.createPlaybook(t, onlyCustomerOne("Blocked task → CSM"))

	resp, body := e.csvGet(t, "csm", "/playbooks?format=csv", "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "playbooks-") {
		t.Fatalf("CSV: %d %q %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), body)
	}
	header, rows := csvTable(t, body)
	for _, c := range []string{"id", "name", "enabled", "trigger.event", "conditions.match", "actions", "cooldown_minutes"} {
		if !slices.Contains(header, c) {
			t.Errorf("the CSV has no %s column: %v", c, header)
		}
	}
	i := slices.IndexFunc(rows, func(r map[string]string) bool { return r["id"] == p.ID.String() })
	if i < 0 || rows[i]["name"] != "Blocked task → CSM" || rows[i]["trigger.event"] != "task.blocked" || rows[i]["enabled"] != "false" ||
		rows[i]["cooldown_minutes"] != "60" {
		t.Errorf("the playbook's row: %v", rows)
	}
	if strings.Contains(body, "whsec_") {
		t.Errorf("the CSM's CSV shows a signing secret")
	}

	st, out := e.do(t, "csm", "GET", "/playbooks/fields", nil)
	fields := decode[struct {
		Items []struct{ Name, Kind, Doc string }
	}](t, st, out, http.StatusOK).Items
	for _, want := range []struct{ name, kind string }{{"customer.arr", "number"}, {"customer.name", "text"}, {"project.status", "text"}} {
		if !slices.ContainsFunc(fields, func(f struct{ Name, Kind, Doc string }) bool { return f.Name == want.name && f.Kind == want.kind }) {
			t.Errorf("the fields lack %s (%s): %s", want.name, want.kind, out)
		}
	}
	if st, out = e.do(t, "viewer", "GET", "/playbooks/fields", nil); st != http.StatusForbidden {
		t.Errorf("fields as a viewer: %d %s", st, out)
	}
}

// TestAcknowledgeEscalation: acknowledging an escalation records who and
// when, and shows in its answer.
func TestAcknowledgeEscalation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seedMatrix(t, e)
	st, out := e.do(t, "csm", "POST", "/escalations/"+matrixEscalation+"/acknowledge", nil)
	esc := decode[struct {
		ID             string     `json:"id"`
		RunID          string     `json:"run_id"`
		PlaybookName   string     `json:"playbook_name"`
		Title          string     `json:"title"`
		AcknowledgedAt *time.Time `json:"acknowledged_at"`
		AcknowledgedBy *uuid.UUID `json:"acknowledged_by"`
	}](t, st, out, http.StatusOK)
	if esc.ID != matrixEscalation || esc.RunID != matrixRun || esc.PlaybookName != "Matrix playbook" || esc.Title != "Overdue" || esc.AcknowledgedAt == nil ||
		esc.AcknowledgedBy == nil || *esc.AcknowledgedBy != e.csm {
		t.Errorf("acknowledged: %s", out)
	}
	if st, out = e.do(t, "csm", "POST", "/escalations/"+uuid.NewString()+"/acknowledge", nil); st != http.StatusNotFound {
		t.Errorf("no such escalation: %d %s", st, out)
	}
}
