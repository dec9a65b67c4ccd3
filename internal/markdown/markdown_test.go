package markdown_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/onboardiq/onboardiq/internal/markdown"
	"github.com/onboardiq/onboardiq/internal/passage"
)

func TestRender(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     []string // in the output, in this order
	}{
		{"bold and emphasis", "**bold** and *slanted* and ~~gone~~", []string{"<strong>bold</strong>", "<em>slanted</em>", "<del>gone</del>"}},
		{"headings under the page's h1", "# Set up SSO\n\n## Steps\n\n###### Deep", []string{`<h2 id="sec-set-up-sso">Set up SSO</h2>`, `<h3 id="sec-steps">Steps</h3>`, `<h6 id="sec-deep">Deep</h6>`}},
		{"lists", "- one\n- two\n\n3. three\n4. four", []string{"<ul>", "<li>one</li>", "<li>two</li>", `<ol start="3">`, "<li>three</li>"}},
		{"inline code", "Call `GET /v1/users?limit=<n>`.", []string{"<code>GET /v1/users?limit=&lt;n&gt;</code>"}},
		{"code block", "```json\n{\"a\": \"<b>\"}\n```", []string{`<pre><code class="language-json">{&#34;a&#34;: &#34;&lt;b&gt;&#34;}`}},
		{"table", "| Scope | Limit |\n|:--|--:|\n| Key | 600 |", []string{"<table>", `<th align="left">Scope</th>`, `<td align="right">600</td>`, "</table>"}},
		{"a newline is a line break", "first\nsecond", []string{"first<br>", "second"}},
		{"link to another site", "[docs](https://docs.example/sso)", []string{`<a href="https://docs.example/sso" rel="nofollow noopener" target="_blank">docs</a>`}},
		{"link inside the site", "[the article](/portal/acme/kb/1)", []string{`<a href="/portal/acme/kb/1" rel="nofollow">the article</a>`}},
		{"autolink", "See https://status.example and www.example.com", []string{`<a href="https://status.example" rel="nofollow noopener" target="_blank">https://status.example</a>`, `<a href="http://www.example.com"`}},
		{"mail", "<mailto:help@acme.example>", []string{`<a href="mailto:help@acme.example" rel="nofollow">`}},
		{"an image is a link to it", "![The SSO screen](https://cdn.example/sso.png)", []string{`<a href="https://cdn.example/sso.png" rel="nofollow noopener" target="_blank">The SSO screen</a>`}},
		{"raw HTML is text", "Send `Authorization: Bearer` <token> and <b>this</b>", []string{"&lt;token&gt;", "&lt;b&gt;this&lt;/b&gt;"}},
		{"an HTML block is text", "<div>\nhello\n</div>", []string{"<p>&lt;div&gt;<br>", "hello<br>", "&lt;/div&gt;</p>"}},
		{"entities stay text", "&lt;script&gt; &amp; &copy;", []string{"&lt;script&gt; &amp; ©"}},
		{"quote", "> Note\n> more", []string{"<blockquote>", "<p>Note<br>"}},
	} {
		got := string(markdown.Render(tc.in))
		rest := got
		for _, w := range tc.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%s: %q renders as\n%s\nwithout %q (in order)", tc.name, tc.in, got, w)
				break
			}
			rest = rest[i+len(w):]
		}
		if why := unsafeHTML(got); why != "" {
			t.Errorf("%s: %s in %s", tc.name, why, got)
		}
	}
	if got := markdown.Render(""); got != "" {
		t.Errorf("empty text: %q", got)
	}
}

// hostile is text meant to run script, load something, style the page or
// break out of the element it is shown in, written the ways people and
// models have written it.
var hostile = []struct {
	in   string
	keep string // text that must still be shown, if any
}{
	{"<script>alert(1)</script>", "<script>alert(1)</script>"},
	{"<SCRIPT SRC=//evil.example/x.js></SCRIPT>", ""},
	{"before <script>alert(1)</script> after", "before"},
	{"[click](javascript:alert(1))", "click"},
	{"[click](JaVaScRiPt:alert(1))", "click"},
	{"[click](  javascript:alert(1) )", "click"},
	{"[click](java\tscript:alert(1))", ""},
	{"[click](&#106;avascript:alert(1))", "click"},
	{"[click](javascript&colon;alert(1))", "click"},
	{"[click](%6Aavascript:alert(1))", "click"},
	{"[click](vbscript:msgbox(1))", "click"},
	{"[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "click"},
	{"[click][x]\n\n[x]: javascript:alert(1)", "click"},
	{"<javascript:alert(1)>", ""},
	{"[x](https://ok.example \"\\\"><script>alert(1)</script>\")", "x"},
	{"<a href=\"javascript:alert(1)\">x</a>", ""},
	{"<img src=x onerror=alert(1)>", "onerror"},
	{"![x](x\" onerror=\"alert(1))", ""},
	{"![x](javascript:alert(1))", "x"},
	{"![tracker](https://evil.example/pixel.gif)", "tracker"},
	{"<svg onload=alert(1)><circle/></svg>", ""},
	{"<iframe src=\"https://evil.example\"></iframe>", ""},
	{"<object data=\"x.swf\"></object><embed src=x>", ""},
	{"<style>body{display:none}</style>", ""},
	{"<span style=\"position:fixed;inset:0\">cover</span>", "cover"},
	{"<div onmouseover=\"alert(1)\">hover</div>", "hover"},
	{"<form action=\"https://evil.example\"><input name=password></form>", ""},
	{"<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">", ""},
	{"<base href=\"https://evil.example/\">", ""},
	{"<link rel=stylesheet href=https://evil.example/x.css>", ""},
	{"<!-- <script>alert(1)</script> -->", ""},
	{"<![CDATA[<script>alert(1)</script>]]>", ""},
	{"</pre></div></main><script>alert(1)</script>", ""},
	{"| a |\n|---|\n| <img src=x onerror=alert(1)> |", ""},
	{"`<script>alert(1)</script>`", "<script>alert(1)</script>"},
	{"```html\n<script>alert(1)</script>\n```", "<script>alert(1)</script>"},
	{"```\" onmouseover=\"alert(1)\n```", ""},
	{"# <img src=x onerror=alert(1)>", ""},
	{"**<script>alert(1)</script>**", ""},
	{"[<img src=x onerror=alert(1)>](https://ok.example)", ""},
	{"https://ok.example/\"onmouseover=\"alert(1)", ""},
	{"<https://ok.example/\"onmouseover=alert(1)>", ""},
	{"<x onclick=alert(1)>x</x>", ""},
	{"<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>", ""},
	{"<details open ontoggle=alert(1)>", ""},
	{"<a id=\"chat\" name=\"preview\">clobber</a>", ""},
	{"<video poster=javascript:alert(1)>", ""},
}

// TestHeadingsCarryTheirPassageAnchors: every heading of an article's page
// has the id its passage's anchor names, so a citation's #anchor lands on
// it; a hostile heading gets an id of letters, digits and hyphens only.
func TestHeadingsCarryTheirPassageAnchors(t *testing.T) {
	t.Parallel()
	src := "Intro.\n\n# Set up SSO\n\n## Step 1: Copy the SP details\n\n1. Go.\n\n## FAQ\n\n## FAQ\n\n## \"><script>x</script>\n"
	got := string(markdown.Render(src))
	var ids []string
	for _, p := range passage.Split("Title", src) {
		if p.Anchor != "" {
			ids = append(ids, p.Anchor)
		}
	}
	want := []string{"sec-set-up-sso", "sec-step-1-copy-the-sp-details", "sec-faq", "sec-faq-1", "sec-scriptxscript"}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Fatalf("the passages' anchors are %v, want %v", ids, want)
	}
	for _, id := range want {
		if !strings.Contains(got, `id="`+id+`"`) {
			t.Errorf("the page has no heading with id %q: %s", id, got)
		}
	}
	if why := unsafeHTML(got); why != "" {
		t.Errorf("%s: %s", got, why)
	}
}

func TestRenderNeutralisesHostileText(t *testing.T) {
	t.Parallel()
	for _, tc := range hostile {
		got := string(markdown.Render(tc.in))
		if why := unsafeHTML(got); why != "" {
			t.Errorf("%q renders as %s: %s", tc.in, got, why)
		}
		if tc.keep != "" && !strings.Contains(textOf(t, got), tc.keep) {
			t.Errorf("%q renders as %s: the text %q is lost", tc.in, got, tc.keep)
		}
	}
}

func FuzzRender(f *testing.F) {
	for _, tc := range hostile {
		f.Add(tc.in)
	}
	f.Add("# a\n\n- **b** [c](https://d.example) `e`\n\n| f |\n|---|\n| g |")
	f.Fuzz(func(t *testing.T, s string) {
		got := string(markdown.Render(s))
		if why := unsafeHTML(got); why != "" {
			t.Fatalf("%q renders as %s: %s", s, got, why)
		}
	})
}

// allowed is what Render may write, element by element: its attributes.
var allowed = map[string][]string{
	"p": nil, "br": nil, "hr": nil, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
	"blockquote": nil, "pre": nil, "code": {"class"}, "em": nil, "strong": nil, "del": nil,
	"ul": nil, "ol": {"start"}, "li": nil, "table": nil, "thead": nil, "tbody": nil, "tr": nil,
	"th": {"align"}, "td": {"align"}, "a": {"href", "rel", "target"},
}

// unsafeHTML parses s as a browser would, inside a page's <div>, and says
// what in it is not allowed: an element or attribute off the list, a link
// that is not http, https, mailto or a path, a link to another site
// without noopener, or a class other than a code block's language.
func unsafeHTML(s string) string {
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		return err.Error()
	}
	var why string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if why != "" {
			return
		}
		if n.Type == html.CommentNode {
			why = "a comment"
			return
		}
		if n.Type == html.ElementNode {
			attrs, ok := allowed[n.Data]
			if !ok || n.Namespace != "" {
				why = fmt.Sprintf("a <%s> element", n.Data)
				return
			}
			for _, a := range n.Attr {
				if !contains(attrs, a.Key) || a.Namespace != "" {
					why = fmt.Sprintf("a %s attribute on <%s>", a.Key, n.Data)
					return
				}
				switch a.Key {
				case "href":
					u, err := url.Parse(a.Val)
					if err != nil {
						why = "an unparseable link"
					} else if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto" {
						why = "a link to " + a.Val
					} else if u.Host != "" && !strings.Contains(attrOf(n, "rel"), "noopener") {
						why = "a link to another site without noopener"
					}
				case "class":
					if !strings.HasPrefix(a.Val, "language-") || strings.ContainsAny(a.Val, " \t\n") {
						why = "class " + a.Val
					}
				case "id":
					// A heading's own anchor only: never an id the page uses.
					if !strings.HasPrefix(a.Val, "sec-") || strings.ContainsAny(a.Val, " \t\n\"'<>") {
						why = "id " + a.Val
					}
				case "target":
					if a.Val != "_blank" {
						why = "target " + a.Val
					}
				}
			}
			if n.Data == "a" && !strings.Contains(attrOf(n, "rel"), "nofollow") {
				why = "a link without nofollow"
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return why
}

func textOf(t *testing.T, s string) string {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return b.String()
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
