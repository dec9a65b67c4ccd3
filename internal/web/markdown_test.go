package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/onboardiq/onboardiq/internal/demo"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
)

// hostileText is Markdown with HTML in it meant to run script, load
// something or restyle the page, the ways people and models write it.
const hostileText = "**Bold move** <script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) " +
	"<a href=\"javascript:alert(4)\">a</a> <iframe src=\"https://evil.example\"></iframe> <span style=\"position:fixed\">styled</span> " +
	"![pixel](https://evil.example/p.gif) </div></main><script>alert(5)</script>\n\n<div onmouseover=\"alert(6)\">hover</div>"

// unsafeIn says what in a page could run, load or restyle from the text
// it shows: a script other than the page's own, an event handler, an
// inline style, an element that loads or embeds something, or a link that
// is not http(s), mailto or a path.
func unsafeIn(p page) string {
	var why string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if why != "" {
			return
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script":
				if !strings.HasPrefix(attr(n, "src"), "/static/") {
					why = "a script"
				}
			case "iframe", "object", "embed", "img", "video", "audio", "style", "base", "svg", "math":
				if n.Data != "svg" || attr(n, "class") != "chart" { // the dashboard's chart is the page's own
					why = "a <" + n.Data + ">"
				}
			}
			for _, a := range n.Attr {
				k, v := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case strings.HasPrefix(k, "on"):
					why = "an event handler " + a.Key + " on <" + n.Data + ">"
				case k == "style":
					why = "an inline style on <" + n.Data + ">"
				case (k == "href" || k == "src" || k == "action" || k == "formaction") && (strings.Contains(v, "script:") || strings.HasPrefix(v, "data:")):
					why = a.Key + "=" + a.Val
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(p.doc)
	return why
}

// TestTextIsRenderedSafelyEverywhere: the same hostile Markdown in an
// article, a task's details, a comment, an assistant answer and the staff
// reports (a customer summary, a troubleshooting) renders as Markdown
// (bold is <strong>) and nothing in it runs, loads or styles, in the
// console and in the portal.
func TestTextIsRenderedSafelyEverywhere(t *testing.T) {
	t.Parallel()
	a := newAppWith(t, func(o *server.Options) { o.Chat = scripted{[]string{hostileText}} })
	staff := signIn(t, a, "priya.shah@acme.example")
	contact := actPortalClient(t, a, "hannah.becker@globex.example")

	// An article, public.
	p := post(t, staff, a.url+"/app/kb", url.Values{"title": {"Hostile article"}, "visibility": {"public"}, "content": {hostileText}}, a.url)
	if p.status != http.StatusSeeOther {
		t.Fatalf("create the article: %d %s", p.status, p.text(".error"))
	}
	article := p.header.Get("Location")
	articleID := article[strings.LastIndex(article, "/")+1:]

	// A task of Hannah's project that she sees, with hostile details and a
	// hostile comment.
	var task, customer string
	if err := a.db.App.InTenant(context.Background(), a.demo.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT t.task_id::text, p.customer_id::text FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.project_id = t.project_id
WHERE t.tenant_id = $1 AND p.name = 'Globex platform rollout' AND t.visibility = 'customer' ORDER BY t.phase, t.position LIMIT 1`, a.demo.TenantID).Scan(&task, &customer)
	}); err != nil {
		t.Fatal(err)
	}
	if st, body := a.api(t, "alex.morgan@acme.example", "PATCH", "/tasks/"+task, map[string]any{"details": hostileText}); st != 200 {
		t.Fatalf("set the details: %d %s", st, body)
	}
	if p := post(t, staff, a.url+"/app/tasks/"+task+"/comments", url.Values{"body": {hostileText}}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("comment: %d", p.status)
	}
	globex := a.projectID(t, "Globex platform rollout")

	for _, tc := range []struct {
		where  string
		p      page
		sel    string // where the text is shown
		asText bool   // raw HTML shows as text (a model's answer has it taken out before)
	}{
		{"console article", get(t, staff, a.url+article), "article.markdown", true},
		{"portal article", get(t, contact, a.url+"/portal/acme/kb/"+articleID), "article.markdown", true},
		{"console task details", get(t, staff, a.url+"/app/tasks/"+task), "#details", true},
		{"console comment", get(t, staff, a.url+"/app/tasks/"+task), "ul.comments .markdown", true},
		{"portal task details and comment", get(t, contact, a.url+"/portal/acme/projects/"+globex), "#task-" + task + " .markdown", true},
		{"console troubleshooting", post(t, staff, a.url+"/app/tasks/"+task+"/troubleshoot", nil, a.url), "#troubleshoot", false},
		{"console summary", post(t, staff, a.url+"/app/customers/"+customer+"/summary", nil, a.url), "#summary", false},
		{"console search", get(t, staff, a.url+"/app/kb?q="+url.QueryEscape("bold move script")), "ol#hits", true},
		{"portal search", get(t, contact, a.url+"/portal/acme/kb?q="+url.QueryEscape("bold move script")), "main ol", true},
	} {
		if tc.p.status != 200 {
			t.Errorf("%s: %d", tc.where, tc.p.status)
			continue
		}
		if why := unsafeIn(tc.p); why != "" {
			t.Errorf("%s: %s", tc.where, why)
		}
		if len(tc.p.all(tc.sel)) == 0 {
			t.Errorf("%s: nothing at %s", tc.where, tc.sel)
			continue
		}
		shown := tc.p.text(tc.sel)
		if strings.Contains(tc.sel, "hits") || strings.HasSuffix(tc.sel, "ol") {
			if !strings.Contains(shown, "Bold move") || strings.Contains(shown, "**") || len(tc.p.all(tc.sel+" mark")) == 0 {
				t.Errorf("%s: the excerpt %q (marks: %d)", tc.where, shown, len(tc.p.all(tc.sel+" mark")))
			}
			continue
		}
		if len(tc.p.all(tc.sel+" strong")) == 0 || strings.Contains(shown, "**Bold") {
			t.Errorf("%s: Markdown not rendered: %q", tc.where, shown)
		}
		if tc.asText && !strings.Contains(shown, "<script>alert(1)</script>") {
			t.Errorf("%s: the raw HTML is not shown as text: %q", tc.where, shown)
		}
		if tc.asText && len(tc.p.all(tc.sel+` a[href="https://evil.example/p.gif"][rel~=nofollow]`)) == 0 {
			t.Errorf("%s: the image is not a nofollow link", tc.where)
		}
	}

	// The portal's assistant: its answer, streamed as text, ends rendered.
	resp, events := portalAsk(t, contact, a, "How do I set up SSO?")
	done := last(events, "done")
	if resp.StatusCode != 200 || done == nil {
		t.Fatalf("ask: %d %+v", resp.StatusCode, events)
	}
	rendered, _ := done.Data["html"].(string)
	answer := page{status: 200, doc: mustParse(t, rendered), raw: rendered}
	if why := unsafeIn(answer); why != "" {
		t.Errorf("the assistant's answer: %s in %s", why, rendered)
	}
	if len(answer.all("strong")) == 0 {
		t.Errorf("the assistant's answer is not rendered: %s", rendered)
	}
}

func mustParse(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestArticleShowsRenderedMarkdown: a demo article written in Markdown
// (headings, a table, bold, code) shows as HTML, not as its source.
func TestArticleShowsRenderedMarkdown(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	staff := signIn(t, a, "priya.shah@acme.example")
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	var id string
	if err := a.db.App.InTenant(context.Background(), a.demo.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT article_id::text FROM knowledge_base WHERE title LIKE 'API rate limits%'`).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		c    *http.Client
		path string
	}{{staff, "/app/kb/" + id}, {contact, "/portal/acme/kb/" + id}} {
		p := get(t, u.c, a.url+u.path)
		body := p.text("article.markdown")
		if p.status != 200 || strings.Contains(body, "**") || strings.Contains(body, "##") || strings.Contains(body, "|---") {
			t.Errorf("%s: %d, raw Markdown shows: %q", u.path, p.status, body[:min(len(body), 300)])
		}
		// Its "# Title" is an <h2> under the page's <h1>, "## Section" an <h3>.
		if len(p.all("article.markdown h2")) != 1 || len(p.all("article.markdown h3")) < 2 || len(p.all("article.markdown table td")) == 0 ||
			len(p.all("article.markdown strong")) == 0 || len(p.all("article.markdown pre code")) == 0 || len(p.all("main h1")) != 1 {
			t.Errorf("%s: headings %d and %d, table cells %d, bold %d, code blocks %d, h1 %d", u.path, len(p.all("article.markdown h2")), len(p.all("article.markdown h3")),
				len(p.all("article.markdown table td")), len(p.all("article.markdown strong")), len(p.all("article.markdown pre code")), len(p.all("main h1")))
		}
	}
}

// TestSearchPagesHighlight: results show an excerpt with the matched words
// in <mark> and no raw markers or Markdown; nonsense finds nothing, not the
// nearest articles.
func TestSearchPagesHighlight(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	staff := signIn(t, a, "priya.shah@acme.example")
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	for _, s := range []struct {
		c         *http.Client
		path, sel string
	}{{staff, "/app/kb", "ol#hits"}, {contact, "/portal/acme/kb", "main ol"}} {
		p := get(t, s.c, a.url+s.path+"?q="+url.QueryEscape("rate limit headers"))
		marks := p.all(s.sel + " .excerpt mark")
		shown := p.text(s.sel)
		if p.status != 200 || len(marks) == 0 || strings.ContainsAny(shown, "«»\uE000\uE001") || strings.Contains(shown, "**") || strings.Contains(shown, "##") {
			t.Errorf("%s: %d, %d marks, shows %q", s.path, p.status, len(marks), shown)
		}
		for _, m := range marks {
			if w := strings.ToLower(page{doc: m}.text("mark")); !strings.HasPrefix(w, "rate") && !strings.HasPrefix(w, "limit") && !strings.HasPrefix(w, "header") {
				t.Errorf("%s: %q is marked", s.path, w)
			}
		}
		for _, q := range []string{"zebra xylophone", "blorf snazzle"} {
			p := get(t, s.c, a.url+s.path+"?q="+url.QueryEscape(q))
			if n := len(p.all(s.sel + " li a[href*='/kb/']")); p.status != 200 || n != 0 || !strings.Contains(p.text(s.sel), "Nothing found") {
				t.Errorf("%s, %q: %d, %d hits", s.path, q, p.status, n)
			}
		}
	}
}

// TestArticlePreview: the editor's Preview button renders what was typed
// with the article page's renderer and saves nothing (no script needed);
// the script's endpoint answers the same fragment; both refuse other
// origins and roles that may not write.
func TestArticlePreview(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	staff := signIn(t, a, "priya.shah@acme.example")
	count := func() int { return len(get(t, staff, a.url+"/app/kb").all("table tbody tr")) }
	before := count()
	text := "# Title\n\n**bold** <script>alert(1)</script>"
	form := url.Values{"title": {"Draft"}, "visibility": {"internal"}, "tags": {"x, y"}, "content": {text}, "preview": {"1"}}
	p := post(t, staff, a.url+"/app/kb", form, a.url)
	if p.status != 200 || len(p.all("#preview h2")) != 1 || len(p.all("#preview strong")) != 1 || !strings.Contains(p.text("#preview"), "<script>") {
		t.Errorf("preview: %d %q", p.status, p.text("#preview"))
	}
	if p.text("textarea#content") != text || attr(p.all("input#title")[0], "value") != "Draft" || attr(p.all("input#tags")[0], "value") != "x, y" {
		t.Errorf("the typed input is not kept: %q", p.text("textarea#content"))
	}
	if why := unsafeIn(p); why != "" {
		t.Errorf("preview: %s", why)
	}
	if n := count(); n != before {
		t.Errorf("a preview saved an article: %d articles, were %d", n, before)
	}
	// Editing an existing article previews the same way.
	var id string
	if err := a.db.App.InTenant(context.Background(), a.demo.TenantID, func(ctx context.Context, tx *postgres.Tx) error {
		return tx.QueryRow(ctx, `SELECT article_id::text FROM knowledge_base ORDER BY title LIMIT 1`).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	if p := get(t, staff, a.url+"/app/kb/"+id+"/edit"); len(p.all("#preview h2")) == 0 {
		t.Errorf("the editor does not open with the article rendered: %q", p.text("#preview"))
	}
	if p := post(t, staff, a.url+"/app/kb/"+id, form, a.url); p.status != 200 || len(p.all("#preview strong")) != 1 || get(t, staff, a.url+"/app/kb/"+id).text("h1") == "Draft" {
		t.Errorf("preview of an edit: %d", p.status)
	}
	// The script's endpoint.
	frag := post(t, staff, a.url+"/app/kb/preview", url.Values{"content": {text}}, a.url)
	if frag.status != 200 || !strings.Contains(frag.raw, "<strong>bold</strong>") || !strings.Contains(frag.raw, "&lt;script&gt;") ||
		!strings.Contains(frag.header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("preview endpoint: %d %q", frag.status, frag.raw)
	}
	if p := post(t, staff, a.url+"/app/kb/preview", url.Values{"content": {text}}, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin preview: %d, want 403", p.status)
	}
	viewer := signIn(t, a, "dana.whitfield@acme.example")
	if p := post(t, viewer, a.url+"/app/kb/preview", url.Values{"content": {text}}, a.url); p.status != http.StatusForbidden {
		t.Errorf("a sales leader's preview: %d, want 403", p.status)
	}
	if p := post(t, viewer, a.url+"/app/kb", form, a.url); p.status != http.StatusForbidden {
		t.Errorf("a sales leader's preview button: %d, want 403", p.status)
	}
}

// TestEditorPreviewInBrowser: in Chromium, the preview follows the text as
// it is typed, rendered by the server, under the page's strict policy.
func TestEditorPreviewInBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), "priya.shah@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#overdue")),
		chromedp.Navigate(a.url+"/app/kb/new"),
		chromedp.WaitVisible(chromedp.CSS("#content")),
		chromedp.SendKeys(chromedp.CSS("#content"), "## Steps\n\n- **Open** the `admin` page\n\n<img src=x onerror=\"document.title='owned'\">"),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS("#preview li strong"))); err != nil {
		t.Fatalf("the preview did not render: %v", err)
	}
	// The preview follows the typing: wait for the last of it (the image
	// tag, shown as text) before judging it.
	var got string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#preview").innerHTML`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got, "onerror") || time.Now().After(deadline) {
			break
		}
	}
	if !strings.Contains(got, `<h3 id="sec-steps">Steps</h3>`) || !strings.Contains(got, "<code>admin</code>") || !strings.Contains(got, "&lt;img src=x onerror=") {
		t.Errorf("the preview: %s", got)
	}
	if title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title + " / " + document.querySelectorAll("#preview img").length`)); err != nil || title != "New article · OnboardIQ / 0" {
		t.Errorf("the page after the preview: %q %v", title, err)
	}
	screenshot(t, ctx, "article-editor")
}
