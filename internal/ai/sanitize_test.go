package ai_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"

	"github.com/onboardiq/onboardiq/internal/ai"
)

var sanitizeCases = []struct{ in, want string }{
	// Images become their alt text, in every form.
	{"See ![diagram](https://evil.example/x.png) and <img src=x>", "See diagram and "},
	{"![tracker](http://t.example/p.gif?d=secret) done", "tracker done"},
	{`![t](<http://t.example/p.gif> "title")`, "t"},
	{"Hello ![x][1] and ![y][] and ![z]\n\n[1]: http://t.example/p.gif", "Hello x and y and z\n\n[1]: http://t.example/p.gif"},
	{"![a ![b](http://t/1) c](http://t/2)", "a b c"},
	{"![a!](x)[b](http://ok.example)", "a[b](http://ok.example)"},
	{"![](http://t)[x]: javascript:alert(1)", `[x]\: javascript:alert(1)`},
	{"![unclosed alt", `!\[unclosed alt`},
	// Raw HTML: elements dropped, other tag-like text escaped.
	{`<video poster="http://t.example/p.png" src=x></video>`, ""},
	{`<picture><source srcset="http://t/x.png"></picture>`, ""},
	{"<a href=\"javascript:alert(1)\">click</a>", "click"},
	{`<img alt=">" src=x>`, ""},
	{"<script>alert(1)</script>", "alert(1)"},
	{"<!-- hidden --> text <?php x ?> <!DOCTYPE html> <![CDATA[ x ]]>", " text   "},
	{"Send it as Bearer <token> or <TENANT_ID>", "Send it as Bearer &lt;token> or &lt;TENANT_ID>"},
	{"<<img src=x>img src=y>", "&lt;img src=y>"},
	{"a < b and 2<3", "a < b and 2<3"},
	{"<img src=x", "&lt;img src=x"},
	// Autolinks: http, https, mailto and email addresses only.
	{"<https://docs.example/sso> <mailto:a@b.example> <help@acme.example>", "<https://docs.example/sso> <mailto:a@b.example> <help@acme.example>"},
	{"<javascript:alert(1)> <data:text/html,x> <file:///etc/passwd>", "&lt;javascript:alert(1)> &lt;data:text/html,x> &lt;file:///etc/passwd>"},
	{"Check `<saml:Audience>` and <samlp:StatusCode>", "Check `&lt;saml:Audience>` and &lt;samlp:StatusCode>"},
	// Links: http, https and mailto only; others lose the destination.
	{"[docs](https://docs.example/a_(b)) [m](mailto:a@b.example)", "[docs](https://docs.example/a_(b)) [m](mailto:a@b.example)"},
	{`[docs](https://docs.example "Docs")`, "[docs](https://docs.example)"},
	{"[click](javascript:alert(1)) [c2](JaVaScRiPt:alert(1)) [c3](  javascript:x )", "[click] [c2] [c3]"},
	{"[rel](/settings) [data](data:text/html,x) [none]()", "[rel] [data] [none]"},
	{"[a](java&#115;cript:alert(1))", "[a]"},
	{"[a](javascript:x)(javascript:y)", `[a]\(javascript:y)`},
	{"[a](<javascript:x>)", "[a]"},
	{"[a](http://x.example/<b>)", "[a]"},
	{"[a](http://t.example/![i](http://t/x))", "[a]"},
	{"[unclosed](http://x.example", `[unclosed]\(http://x.example`},
	// Reference definitions: unsafe ones are no longer definitions.
	{"`code <http://x.example/`![i](http://t.example/p.png)>", "`code &lt;http://x.example/`i>"},
	{"[1]: javascript:alert(1)\n\nsee [1]", "[1]\\: javascript:alert(1)\n\nsee [1]"},
	{"[1]:\n  javascript:alert(1)", "[1]\\:\n  javascript:alert(1)"},
	{"[1]: <javascript:alert(1)>", "[1]\\: &lt;javascript:alert(1)>"},
	{"[ok]: https://docs.example/x \"t\"\n\n[ok]", "[ok]: https://docs.example/x \"t\"\n\n[ok]"},
	{"From **SSO** [1]:\n\n> passage [2]", "From **SSO** [1]:\n\n> passage [2]"},
	// Escapes are kept as they are.
	{`a\![x](http://t.example/) \<img src=x> \[y](z)`, `a\![x](http://t.example/) \<img src=x> \[y]`},
	{"Plain text, **bold**, `code`, über ✓.", "Plain text, **bold**, `code`, über ✓."},
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	for _, c := range sanitizeCases {
		if got := ai.Sanitize(c.in); got != c.want {
			t.Errorf("Sanitize(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		if why := unsafeMarkdown(ai.Sanitize(c.in)); why != "" {
			t.Errorf("Sanitize(%q) = %q: %s", c.in, ai.Sanitize(c.in), why)
		}
	}
}

// TestSanitizeStreams: the output of a stream cut anywhere equals the
// output for the whole text, and no output so far is ever unsafe.
func TestSanitizeStreams(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range sanitizeCases {
		whole := ai.Sanitize(c.in)
		// Two pieces, cut at every byte.
		for k := 0; k <= len(c.in); k++ {
			checkStream(t, c.in, whole, []string{c.in[:k], c.in[k:]})
		}
		// One byte at a time, and random pieces.
		var bytes []string
		for i := range len(c.in) {
			bytes = append(bytes, c.in[i:i+1])
		}
		checkStream(t, c.in, whole, bytes)
		for range 20 {
			checkStream(t, c.in, whole, randomPieces(r, c.in))
		}
	}
}

func randomPieces(r *rand.Rand, s string) []string {
	var out []string
	for len(s) > 0 {
		n := 1 + r.IntN(min(len(s), 12))
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func checkStream(t *testing.T, in, whole string, pieces []string) {
	t.Helper()
	var z ai.Sanitizer
	var got strings.Builder
	every := max(1, len(pieces)/32) // parsing every prefix of a long stream is quadratic
	for i, p := range pieces {
		out := z.Write(p)
		if !utf8.ValidString(out) && utf8.ValidString(in) {
			t.Errorf("%q cut as %q: a piece of output cuts a character: %q", in, pieces, out)
		}
		got.WriteString(out)
		if i%every != 0 && i != len(pieces)-1 {
			continue
		}
		if why := unsafeMarkdown(got.String()); why != "" {
			t.Errorf("%q cut as %q: the output so far, %q, is unsafe: %s", in, pieces, got.String(), why)
			return
		}
	}
	got.WriteString(z.Flush())
	if got.String() != whole {
		t.Errorf("%q cut as %q: streamed %q, whole %q", in, pieces, got.String(), whole)
	}
}

// unsafeMarkdown parses s as a CommonMark renderer with raw HTML and
// GitHub's extensions would, and says what in it is unsafe: an image, raw
// HTML, or a link to anything but http, https or mailto.
func unsafeMarkdown(s string) string {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	src := []byte(s)
	doc := md.Parser().Parse(text.NewReader(src))
	var why string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || why != "" {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Image:
			why = fmt.Sprintf("an image of %q", n.Destination)
		case *ast.RawHTML, *ast.HTMLBlock:
			why = "raw HTML"
		case *ast.Link:
			if !safeURL(string(n.Destination)) {
				why = fmt.Sprintf("a link to %q", n.Destination)
			}
		case *ast.AutoLink:
			if u := string(n.URL(src)); n.AutoLinkType == ast.AutoLinkURL && !safeURL(u) && !strings.HasPrefix(strings.ToLower(u), "www.") {
				why = fmt.Sprintf("an autolink to %q", u)
			}
		}
		return ast.WalkContinue, nil
	})
	return why
}

// safeURL reports whether u's scheme is http, https or mailto.
func safeURL(u string) bool {
	scheme, _, ok := strings.Cut(strings.ToLower(u), ":")
	return ok && (scheme == "http" || scheme == "https" || scheme == "mailto")
}

// FuzzSanitize: whatever the model writes, the sanitised text is safe,
// and streaming it in pieces gives the same text.
func FuzzSanitize(f *testing.F) {
	for _, c := range sanitizeCases {
		f.Add(c.in, uint8(3))
	}
	for _, s := range []string{
		"[x]: <http://a> \"t\"\n[y]:\nhttp://b\n\n![i][x] ![j][y] [k][x]",
		"<a\nhref=x>y</a>", "<!---->", "<!-", "<?", "<![CDATA[", "]]]]((((", "\\\\![a](b)", "![[[a]]](x)",
		"[a](<b\nc>)", "[a](b 'c\n\nd')", "- ![a](x)\n> <img src=y>\n\n    <img src=z>",
		"`<img src=x>` and ```\n<img src=y>\n```", "&lt;img src=x&gt; &#60;img&#62;",
		"[a]\n: javascript:x", "[a]:javascript:x", "x]: http://ok.example", "<http://x.example/\"onmouseover=y>",
	} {
		f.Add(s, uint8(1))
	}
	f.Fuzz(func(t *testing.T, s string, cut uint8) {
		if len(s) > 4096 {
			return // longer answers are made of the same tokens; the oracle is slow on them
		}
		whole := ai.Sanitize(s)
		if why := unsafeMarkdown(whole); why != "" {
			t.Fatalf("Sanitize(%q) = %q: %s", s, whole, why)
		}
		var pieces []string
		step := 1 + int(cut)%16
		for i := 0; i < len(s); i += step {
			pieces = append(pieces, s[i:min(i+step, len(s))])
		}
		checkStream(t, s, whole, pieces)
	})
}
