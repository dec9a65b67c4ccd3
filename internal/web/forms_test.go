package web_test

import (
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestLargeSignInsLeaveNoTrace: sign-in attempts with huge fields were
// kept whole by the limiter (30 of them with a 9 MiB email grew the server
// by 470 MB). Now a body over 64 KiB is refused before it is read, and what
// the limiter keeps is a hash, so the heap stays as it was.
//
// Not parallel: it measures the process's heap, which the other tests,
// paused until it ends, do not grow meanwhile.
func TestLargeSignInsLeaveNoTrace(t *testing.T) {
	a := newApp(t)
	const attempts, size = 30, 4 << 20
	pad := strings.Repeat("a", size)
	send := func(i int) int {
		// Each attempt names another account, as an attacker's would.
		body := url.Values{"workspace": {"acme"}, "email": {strconv.Itoa(i) + pad + "@acme.example"}, "password": {"wrong password"}}.Encode()
		req, _ := http.NewRequest(http.MethodPost, a.url+"/signin", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", a.url)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			// The server may close the connection once it has refused
			// the body: that is a refusal too.
			return 0
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	send(-1) // warm up: pools, templates, connections
	before := heapInUse()
	for i := range attempts {
		if status := send(i); status != http.StatusRequestEntityTooLarge && status != 0 && i == 0 {
			t.Errorf("a %d MiB sign-in: %d, want 413", size>>20, status)
		}
	}
	pad = ""
	after := heapInUse()
	if grew := int64(after) - int64(before); grew > 16<<20 {
		t.Errorf("%d sign-ins of %d MiB grew the heap by %d MiB", attempts, size>>20, grew>>20)
	}
}

// TestFormLimits: every form is bounded and checked in one place: a body
// over 64 KiB answers 413 with a page that says so, a NUL byte or invalid
// UTF-8 in any field answers 422 naming the field, and sign-in fields
// longer than any real value answer 422 naming the field. Nothing changes.
func TestFormLimits(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	c := signIn(t, a, "priya.shah@acme.example")
	task := actTaskID(t, a, "Globex platform rollout", actContactTask)
	before := actTaskState(t, a, task)
	var articles int
	actScan(t, a, `SELECT count(*) FROM knowledge_base`, nil, &articles)

	big := strings.Repeat("x", 65<<10)
	for _, tc := range []struct {
		name, path string
		form       url.Values
		status     int
		says       string // in the page's error, or its title for 413
	}{
		{"a huge comment", "/app/tasks/" + task + "/comments", url.Values{"body": {big}}, 413, "64 KiB"},
		{"a huge sign-in", "/signin", url.Values{"workspace": {"acme"}, "email": {big}}, 413, "64 KiB"},
		{"a huge portal link request", "/portal/acme/signin", url.Values{"email": {big}}, 413, "64 KiB"},
		{"a huge reset", "/reset", url.Values{"token": {big}}, 413, "64 KiB"},
		{"a NUL in a comment", "/app/tasks/" + task + "/comments", url.Values{"body": {"hello\x00world"}}, 422, `"body"`},
		{"invalid UTF-8 in a comment", "/app/tasks/" + task + "/comments", url.Values{"body": {"caf\xe9"}}, 422, `"body"`},
		{"a NUL in a task status", "/app/tasks/" + task + "/status", url.Values{"status": {"blocked"}, "blocked_reason": {"x\x00"}}, 422, `"blocked_reason"`},
		{"invalid UTF-8 in an article", "/app/kb", url.Values{"title": {"\xff\xfe"}, "content": {"x"}, "visibility": {"public"}}, 422, `"title"`},
		{"a NUL in a user's name", "/app/settings/users", url.Values{"email": {"new@acme.example"}, "name": {"N\x00"}, "role": {"viewer"}}, 422, `"name"`},
		{"a NUL in a field's name", "/app/tasks/" + task + "/comments", url.Values{"body\x00": {"x"}, "body": {"x"}}, 422, "field's name"},
		{"a NUL in the sign-in email", "/signin", url.Values{"workspace": {"acme"}, "email": {"a\x00@acme.example"}, "password": {"x"}}, 422, `"email"`},
		{"a NUL in the workspace", "/forgot", url.Values{"workspace": {"acme\x00"}, "email": {"sam.lee@acme.example"}}, 422, `"workspace"`},
		{"invalid UTF-8 in a query", "/signin?next=%ff", nil, 422, `"next"`},
		{"a long workspace", "/signin", url.Values{"workspace": {strings.Repeat("w", 64)}, "email": {"a@acme.example"}, "password": {"x"}}, 422, "workspace"},
		{"a long email", "/signin", url.Values{"workspace": {"acme"}, "email": {strings.Repeat("e", 250) + "@a.example"}, "password": {"x"}}, 422, "email"},
		{"a long password", "/signin", url.Values{"workspace": {"acme"}, "email": {"sam.lee@acme.example"}, "password": {strings.Repeat("p", 201)}}, 422, "password"},
		{"a long email for a link", "/portal/acme/signin", url.Values{"email": {strings.Repeat("e", 250) + "@a.example"}}, 422, "email"},
		{"a long email for a reset", "/forgot", url.Values{"workspace": {"acme"}, "email": {strings.Repeat("e", 250) + "@a.example"}}, 422, "email"},
		{"a long new password", "/reset", url.Values{"token": {"oiql_x"}, "password": {strings.Repeat("p", 201)}, "confirm": {strings.Repeat("p", 201)}}, 422, "password"},
	} {
		p := post(t, c, a.url+tc.path, tc.form, a.url)
		got := p.text(".error")
		if tc.status == 413 {
			got += p.text("h1")
		}
		if p.status != tc.status || !strings.Contains(got, tc.says) {
			t.Errorf("%s: %d %q, want %d saying %s", tc.name, p.status, got, tc.status, tc.says)
		}
	}
	if after := actTaskState(t, a, task); after != before {
		t.Errorf("the refused posts changed the task: %+v, was %+v", after, before)
	}
	var after int
	actScan(t, a, `SELECT count(*) FROM knowledge_base`, nil, &after)
	if after != articles {
		t.Errorf("%d articles, was %d", after, articles)
	}
	// A body exactly at the limit is read.
	form := url.Values{"body": {""}}
	pad := 64<<10 - len(form.Encode())
	form.Set("body", strings.Repeat("y", pad))
	if p := post(t, c, a.url+"/app/tasks/"+task+"/comments", form, a.url); p.status == http.StatusRequestEntityTooLarge {
		t.Errorf("a body of 64 KiB: %d", p.status)
	}
}
