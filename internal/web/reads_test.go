package web_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// transactions counts the transactions in what statements recorded.
func transactions(sent []string) int {
	n := 0
	for _, e := range sent {
		if strings.HasPrefix(e, "[begin") {
			n++
		}
	}
	return n
}

// TestPagesReadInOneTransaction: a page costs one read-only transaction,
// its own, each of its reads sent once,
// once the server knows the session (credentials.go in the store: the
// first request of a session on a server looks it up in a transaction
// before), and the same statements however many tasks or projects it
// shows. Each page is compared with itself at 5 and 50 tasks, or at 1 and
// 10 projects. The portal's pages whose own read does not bring the
// branding have it with the session.
func TestPagesReadInOneTransaction(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	f := newReadsFixture(t, a)
	small := f.project(t, "Small rollout", 5)
	staff := actSessionCookie(t, a, signIn(t, a, "alex.morgan@acme.example"))
	contact := actSessionCookie(t, a, actPortalClient(t, a, f.contact.Email))

	s := &statements{}
	base := tracedServer(t, a, s, slog.New(slog.DiscardHandler))
	// cost is what a page sends once the server knows the session: until
	// its listener for credential changes runs, the server looks the
	// session up every time.
	cost := func(path string, ck *http.Cookie, check func(page) string, want ...int) []string {
		t.Helper()
		wantTx := 1
		if len(want) > 0 {
			wantTx = want[0]
		}
		var (
			p    page
			sent []string
		)
		for deadline := time.Now().Add(20 * time.Second); ; {
			s.take()
			p = actGetWithCookie(t, base+path, ck)
			sent = s.take()
			if transactions(sent) <= wantTx || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.status)
		}
		if w := s.writable(); len(w) > 0 {
			t.Errorf("%s: a page read in a read-write transaction: %q", path, w)
		}
		for _, q := range s.repeated() {
			t.Errorf("%s: the same read more than once: %.200s", path, q)
		}
		if msg := check(p); msg != "" {
			t.Errorf("%s: %s", path, msg)
		}
		return sent
	}
	count := func(sel string, want int) func(page) string {
		return func(p page) string {
			if n := len(p.all(sel)); n != want {
				return fmt.Sprintf("%d %q, want %d", n, sel, want)
			}
			return ""
		}
	}
	var openProjects int
	actScan(t, a, `SELECT count(*) FROM projects WHERE status NOT IN ('completed', 'cancelled')`, nil, &openProjects)

	type measure struct{ page, what string }
	sent := map[measure][]string{}
	// One project, then ten.
	sent[measure{"portal home", "1 project"}] = cost("/portal/acme", contact, count("section.project", 1))
	sent[measure{"dashboard", fmt.Sprintf("%d open projects", openProjects)}] = cost("/app", staff, count("table#active tbody tr", openProjects))
	sent[measure{"timeline", fmt.Sprintf("%d open projects", openProjects)}] = cost("/app/timeline", staff, count("svg.timeline g.row", openProjects))
	for i := range 9 {
		f.project(t, fmt.Sprintf("Rollout %d", i), 1)
	}
	sent[measure{"portal home", "10 projects"}] = cost("/portal/acme", contact, count("section.project", 10))
	sent[measure{"dashboard", fmt.Sprintf("%d open projects", openProjects+9)}] = cost("/app", staff, count("table#active tbody tr", openProjects+9))
	sent[measure{"timeline", fmt.Sprintf("%d open projects", openProjects+9)}] = cost("/app/timeline", staff, count("svg.timeline g.row", openProjects+9))
	// Five tasks, then fifty.
	large := f.project(t, "Large rollout", 50)
	for _, p := range []struct {
		id    string
		tasks int
	}{{small, 5}, {large, 50}} {
		what := fmt.Sprintf("%d tasks", p.tasks)
		sent[measure{"staff project", what}] = cost("/app/projects/"+p.id, staff, count("tr.task", p.tasks+1))
		sent[measure{"portal project", what}] = cost("/portal/acme/projects/"+p.id, contact, count("div.task", p.tasks))
	}
	sent[measure{"settings", ""}] = cost("/app/settings", staff, count("section#webhooks", 1))

	// The portal's knowledge base, its search, an article and the
	// assistant have the branding with the session: no transaction of
	// their own for it (the assistant's page reads nothing else).
	var article string
	actScan(t, a, `SELECT article_id::text FROM knowledge_base WHERE visibility = 'public' LIMIT 1`, nil, &article)
	for _, pg := range []struct {
		path string
		want int
	}{{"/portal/acme/kb", 1}, {"/portal/acme/kb?q=single+sign-on", 1}, {"/portal/acme/kb/" + article, 1}, {"/portal/acme/assistant", 0}} {
		s := cost(pg.path, contact, count("body.portal", 1), pg.want)
		if n := transactions(s); n != pg.want {
			t.Errorf("%s: %d transactions, want %d: %v", pg.path, n, pg.want, s)
		}
	}

	byPage := map[string][][]string{}
	for m, s := range sent {
		t.Logf("%s, %s: %d transactions, %d round trips: %v", m.page, m.what, transactions(s), len(s), s)
		if n := transactions(s); n != 1 {
			t.Errorf("%s, %s: %d transactions, want 1 (the page's own)", m.page, m.what, n)
		}
		byPage[m.page] = append(byPage[m.page], s)
	}
	for name, runs := range byPage {
		for _, r := range runs[1:] {
			if !slices.Equal(r, runs[0]) {
				t.Errorf("%s: %v, then %v; want the same statements", name, runs[0], r)
			}
		}
	}
}
