package web_test

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/onboardiq/onboardiq/internal/demo"
)

// narrowPages are the pages TestNoPageScrollsSideways opens on a phone, by
// who opens them: a visitor, a contact in the portal, or an admin (who
// sees every control). {name} in a path is an id from narrowIDs. Add a
// page here when it is added to the app.
var narrowPages = []struct{ who, path string }{
	{"visitor", "/"},
	{"visitor", "/signin"},
	{"visitor", "/forgot"},
	{"visitor", "/reset?token=x"},
	{"visitor", "/dev/mailbox?workspace=acme"},
	{"visitor", "/portal/acme/signin"},
	{"visitor", "/portal/acme/magic?token=x"},
	{"visitor", "/nope"},
	{"visitor", "/portal/acme/unsubscribe?token={unsubscribe}"},
	{"contact", "/portal/acme"},
	{"contact", "/portal/acme/projects/{rollout}"},
	{"contact", "/portal/acme/kb"},
	{"contact", "/portal/acme/kb?q=single+sign-on"},
	{"contact", "/portal/acme/kb/{public}"},
	{"contact", "/portal/acme/assistant"},
	{"contact", "/portal/acme/conversations"},
	{"contact", "/portal/acme/conversations/new"},
	{"contact", "/portal/acme/conversations/{conversation}"},
	{"contact", "/portal/acme/nope"},
	{"contact", "/portal/acme/preferences"},
	{"admin", "/app"},
	{"admin", "/app/customers"},
	{"admin", "/app/customers/{globex}"},
	{"admin", "/app/projects/{rollout}"},
	{"admin", "/app/tasks/{task}"},
	{"admin", "/app/kb"},
	{"admin", "/app/kb?q=single+sign-on"},
	{"admin", "/app/kb/new"},
	{"admin", "/app/kb/{runbook}"},
	{"admin", "/app/kb/{runbook}/edit"},
	{"admin", "/app/knowledge/gaps"},
	{"admin", "/app/knowledge/gaps?answered=1"},
	{"admin", "/app/knowledge/gaps/{gap}/article"},
	{"admin", "/app/notifications"},
	{"admin", "/app/inbox"},
	{"admin", "/app/conversations/{conversation}"},
	{"admin", "/app/settings"},
	{"admin", "/app/templates"},
	{"admin", "/app/templates/new"},
	{"admin", "/app/templates/{template}"},
	{"admin", "/app/templates/from-project?project_id={rollout}"},
	{"admin", "/app/projects"},
	{"admin", "/app/projects/new"},
	{"admin", "/app/my-tasks"},
	{"admin", "/app/timeline"},
	{"admin", "/app/journey"},
	{"admin", "/app/health"},
	{"admin", "/app/metrics"},
	{"admin", "/app/settings/holidays"},
	{"admin", "/app/settings/crm"},
	{"admin", "/app/settings/quotas"},
	{"admin", "/app/settings/emails"},
	{"admin", "/app/settings/emails/weekly_digest"},
	{"admin", "/app/playbooks"},
	{"admin", "/app/playbooks/new"},
	{"admin", "/app/playbooks/{playbook}"},
	{"admin", "/app/imports"},
	{"admin", "/app/imports/{import}"},
	{"admin", "/app/nope"},
}

// narrowIDs finds the ids narrowPages name, in the demo workspace.
func narrowIDs(t *testing.T, a *app) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for name, q := range map[string]string{
		"rollout":  `SELECT project_id::text FROM projects WHERE name = 'Globex platform rollout'`,
		"globex":   `SELECT customer_id::text FROM customers WHERE name = 'Globex Logistics'`,
		"task":     `SELECT task_id::text FROM tasks WHERE details <> '' ORDER BY length(details) DESC LIMIT 1`,
		"public":   `SELECT article_id::text FROM knowledge_base WHERE visibility = 'public' ORDER BY length(content) DESC LIMIT 1`,
		"runbook":  `SELECT article_id::text FROM knowledge_base ORDER BY length(content) DESC LIMIT 1`,
		"template": `SELECT template_id::text FROM templates WHERE is_default`,
		// A default playbook: a new workspace starts with them.
		"playbook": `SELECT playbook_id::text FROM playbooks ORDER BY position, name LIMIT 1`,
		// A draft import of a file with long headers and values.
		"import": `INSERT INTO imports (tenant_id, kind, status, mode, filename, rows, mapping, report)
VALUES (current_setting('app.tenant_id')::uuid, 'customers', 'draft', 'all', 'a-very-long-export-file-name-from-the-crm-without-any-spaces-2026-11-27.csv', 2,
    '{"name": "Account Name Exactly As The CRM Calls It"}',
    '{"encoding": "utf-8", "delimiter": ",", "header": ["Account Name Exactly As The CRM Calls It", "Notes"], "missing": [], "counts": {"create": 1, "skip": 1},
      "problems": [{"line": 3, "column": 1, "field": "Account Name Exactly As The CRM Calls It", "message": "must be at most 200 characters"}],
      "preview": [{"line": 2, "values": {"name": "Supercalifragilisticexpialidocious-and-then-some-more-without-any-spaces Incorporated"}, "action": "create"}]}')
RETURNING import_id::text`,
		// A question the assistant could not answer, with a long word.
		"gap": `WITH c AS (
    INSERT INTO assistant_conversations (tenant_id, user_id)
    SELECT tenant_id, user_id FROM tenant_users WHERE email = 'hannah.becker@globex.example' RETURNING tenant_id, conversation_id, user_id),
m AS (
    INSERT INTO assistant_messages (tenant_id, conversation_id, role, content)
    SELECT tenant_id, conversation_id, 'user', 'May https://globex.example/a-very-long-path-without-any-break-in-it-at-all-whatsoever-really be the SSO callback?' FROM c
    RETURNING tenant_id, conversation_id, message_id, content, created_at),
g AS (
    INSERT INTO knowledge_gaps (tenant_id, message_id, conversation_id, user_id, customer_id, question, reasons, asked_at)
    SELECT m.tenant_id, m.message_id, m.conversation_id, c.user_id, u.customer_id, m.content, '{nothing_found,escalated}', m.created_at
    FROM m JOIN c ON c.conversation_id = m.conversation_id JOIN tenant_users u ON u.tenant_id = c.tenant_id AND u.user_id = c.user_id
    RETURNING gap_id)
SELECT gap_id::text FROM g`,
		// Hannah's question to her CSM, with a long word in its subject and body.
		"conversation": `WITH c AS (
    INSERT INTO conversations (tenant_id, customer_id, opened_by, csm_id, subject)
    SELECT cu.tenant_id, cu.customer_id, u.user_id, cu.support_member_id, 'About: Supercalifragilisticexpialidocious-and-then-some-more-without-any-spaces'
    FROM customers cu JOIN tenant_users u ON u.tenant_id = cu.tenant_id AND u.customer_id = cu.customer_id
    WHERE cu.name = 'Globex Logistics' AND u.email = 'hannah.becker@globex.example' RETURNING tenant_id, conversation_id, opened_by),
m AS (
    INSERT INTO conversation_messages (tenant_id, conversation_id, author_id, kind, body)
    SELECT tenant_id, conversation_id, opened_by, 'question', 'Is https://globex.example/a-very-long-path-without-any-break-in-it-at-all-whatsoever-really fine?' FROM c
    RETURNING conversation_id)
SELECT conversation_id::text FROM m`,
	} {
		var id string
		actScan(t, a, q, nil, &id)
		ids[name] = id
	}
	return ids
}

// wideness finds what sticks out past the viewport's right edge, for the
// failure's message.
const wideness = `(() => {
  const w = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 0.5 && r.width > 0) out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && el.className.baseVal === undefined ? "." + String(el.className).trim().replace(/\s+/g, ".") : "") + " " + Math.round(r.right));
    if (out.length >= 6) break;
  }
  return out.join(", ");
})()`

// unstacked lists the page's tables without class "rows" and the cells of
// those with it that have no data-label (a cell spanning the row excepted).
const unstacked = `[...document.querySelectorAll("table:not(.rows)")].map(t => "table" + (t.id ? "#" + t.id : ""))
  .concat([...document.querySelectorAll("table.rows td:not([data-label]):not([colspan])")].map(td => "td in " + (td.closest("table").id || "a table")))
  .slice(0, 6).join(", ")`

// TestNoPageScrollsSideways: on a phone 390 px wide, no page of the console
// or the portal scrolls sideways (document.scrollingElement.scrollWidth is
// at most 390), with long words, a long portal name and a logo in place;
// the header folds into a Menu that opens from the keyboard; data tables
// stack into labelled rows.
func TestNoPageScrollsSideways(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := browser(t)
	ids := narrowIDs(t, a)
	ids["unsubscribe"] = unsubscribeToken(t, a, a.demo.TenantID, "hannah.becker@globex.example", "weekly_digest")
	// Long things where they are shown.
	long := "Supercalifragilisticexpialidocious-and-then-some-more-without-any-spaces-at-all"
	actExec(t, a, `UPDATE projects SET name = 'Globex platform rollout ' || $1 WHERE project_id = $2`, long, ids["rollout"])
	actExec(t, a, `UPDATE tasks SET description = description || ' ' || $1 WHERE task_id = (SELECT task_id FROM tasks WHERE project_id = $2 ORDER BY position LIMIT 1)`, long, ids["rollout"])
	var alex string
	actScan(t, a, `SELECT user_id::text FROM tenant_users WHERE email = 'alex.morgan@acme.example'`, nil, &alex)
	actExec(t, a, `INSERT INTO notifications (tenant_id, user_id, kind, project_id, title, body) VALUES ($1, $2, 'project_overdue', $3, $4, $4)`,
		a.demo.TenantID, alex, ids["rollout"], "Overdue: "+long)
	actExec(t, a, `INSERT INTO webhook_endpoints (tenant_id, url, secret) VALUES ($1, $2, 'whsec_x')`, a.demo.TenantID, "https://hooks.example.com/services/"+long+"/"+long)
	actExec(t, a, `INSERT INTO deliveries (tenant_id, channel, event_type, recipient, message_id, status, attempts, last_error)
VALUES ($1, 'webhook', 'project.overdue', $2, 'm', 'failed', 8, $3)`, a.demo.TenantID, "https://hooks.example.com/"+long, "dial tcp: lookup "+long+": no such host")
	admin := signIn(t, a, "alex.morgan@acme.example")
	if p := postMultipart(t, admin, a.url+"/app/settings/branding", url.Values{"portal_name": {"Acme " + long}, "accent_color": {"#aa3300"}},
		map[string][]byte{"logo": testPNG(t)}, a.url); p.status != 303 {
		t.Fatalf("branding: %d %s", p.status, p.text(".error"))
	}

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	signInAs := map[string]func(){
		"visitor": func() {},
		"contact": func() {
			// A page caught mid-load ("could not find node") is tried
			// once more from the start.
			var err error
			for try := 0; try < 2; try++ {
				err = chromedp.Do(ctx,
					chromedp.Navigate(a.url+"/portal/acme/signin"),
					chromedp.SendKeys(chromedp.CSS("#email"), "hannah.becker@globex.example"),
					chromedp.Submit(chromedp.CSS("#magic")),
					chromedp.WaitVisible(chromedp.CSS(".flash")),
					chromedp.Navigate(a.url+"/dev/mailbox?workspace=acme"),
					chromedp.Click(chromedp.CSS("tr.mail a.link")),
					chromedp.WaitVisible(chromedp.CSS("#continue")),
					chromedp.Click(chromedp.CSS("#continue button")),
					chromedp.WaitVisible(chromedp.CSS("#your-tasks")),
				)
				if err == nil {
					break
				}
			}
			if err != nil {
				t.Fatalf("sign in as the contact: %v", err)
			}
		},
		"admin": func() {
			err := chromedp.Do(ctx,
				chromedp.Navigate(a.url+"/signin"),
				chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
				chromedp.SendKeys(chromedp.CSS("#email"), "alex.morgan@acme.example"),
				chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
				chromedp.Submit(chromedp.CSS("#signin")),
				chromedp.WaitVisible(chromedp.CSS("#overdue")),
			)
			if err != nil {
				t.Fatalf("sign in as the admin: %v", err)
			}
		},
	}
	who := ""
	for _, pg := range narrowPages {
		if pg.who != who {
			if who != "" && who != "visitor" {
				// Sign out: the form is in the folded menu; submit it.
				if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('form[action="/signout"]').submit(), true`)); err != nil {
					t.Fatal(err)
				}
				if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("form#signin, form#magic"))); err != nil {
					t.Fatal(err)
				}
			}
			who = pg.who
			signInAs[who]()
		}
		path := pg.path
		for name, id := range ids {
			path = strings.ReplaceAll(path, "{"+name+"}", id)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(a.url+path), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
			t.Errorf("%s %s: %v", who, pg.path, err)
			continue
		}
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scrollingElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width > 390 {
			what, _ := chromedp.Run(ctx, chromedp.Evaluate[string](wideness))
			t.Errorf("%s %s is %d px wide at 390 px: %s", who, pg.path, width, what)
			screenshot(t, ctx, "narrow"+strings.NewReplacer("/", "-", "?", "-", "{", "", "}", "").Replace(pg.path))
		}
		if bare, err := chromedp.Run(ctx, chromedp.Evaluate[string](unstacked)); err != nil || bare != "" {
			t.Errorf("%s %s: tables that do not stack into labelled rows: %s (%v)", who, pg.path, bare, err)
		}
		if who == "visitor" {
			continue
		}
		// The header: folded behind Menu, which opens from the keyboard.
		menu := `getComputedStyle(document.querySelector("#main-nav")).display`
		closed, err := chromedp.Run(ctx, chromedp.Evaluate[string](menu))
		if err != nil || closed != "none" {
			t.Errorf("%s %s: the navigation shows before Menu is opened (%q, %v)", who, pg.path, closed, err)
		}
		if pg.path == "/app" || pg.path == "/portal/acme" {
			if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#nav-toggle")), chromedp.KeyEvent(" ")); err != nil {
				t.Fatal(err)
			}
			open, _ := chromedp.Run(ctx, chromedp.Evaluate[string](menu))
			width, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scrollingElement.scrollWidth`))
			if open == "none" || width > 390 {
				t.Errorf("%s %s: Menu opened from the keyboard shows the navigation %q, %d px wide", who, pg.path, open, width)
			}
			screenshot(t, ctx, "phone-menu-"+who)
		}
	}
	// Tables stack into labelled rows.
	if err := chromedp.Do(ctx, chromedp.Navigate(a.url+"/app/settings"), chromedp.WaitReady(chromedp.CSS("#deliveries"))); err != nil {
		t.Fatal(err)
	}
	label, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#deliveries td[data-label]"), "::before").content`))
	display, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#deliveries tr.delivery")).display`))
	if err != nil || label != `"When"` || display != "block" {
		t.Errorf("the delivery log on a phone: label %q, rows %q (%v)", label, display, err)
	}
	screenshot(t, ctx, "phone-settings")
}

// TestEveryTableStacks: every table of every template has class "rows" and
// every cell of it a data-label (a cell spanning the row excepted), so that
// pages TestNoPageScrollsSideways does not open stack on phones too.
func TestEveryTableStacks(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	table, cell := regexp.MustCompile(`<table\b[^>]*>`), regexp.MustCompile(`<td\b[^>]*>`)
	rows := regexp.MustCompile(`\bclass="(?:[^"]* )?rows[ "]`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range table.FindAll(b, -1) {
			if !rows.Match(m) {
				t.Errorf("%s: %s has no class \"rows\"", f, m)
			}
		}
		for _, m := range cell.FindAll(b, -1) {
			if !bytes.Contains(m, []byte("data-label=")) && !bytes.Contains(m, []byte("colspan=")) {
				t.Errorf("%s: %s has no data-label", f, m)
			}
		}
	}
}
