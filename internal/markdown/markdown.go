// Package markdown turns the text people and models write — articles,
// task details, comments, assistant answers, staff reports — into HTML that
// is safe to put in a page: CommonMark with GitHub's tables, strikethrough
// and autolinks (goldmark), then sanitised against an allow-list
// (bluemonday). Render is the only way text becomes HTML in the pages.
//
// What comes out holds no script, no event handler, no style and nothing
// that loads by itself, so the pages' Content-Security-Policy (default-src
// 'self', nothing inline) stands:
//
//   - raw HTML in the text is shown as text, escaped, never interpreted
//     (someone writing "Authorization: Bearer <token>" sees <token>);
//   - links go only to http, https and mailto URLs or to paths of this
//     site; the others keep their text and lose the link. Links carry
//     rel="nofollow", and links to other sites open in a new tab with
//     rel="noopener";
//   - images are not shown: an image becomes a link to it, named by its
//     alt text, so a reader may open it and nothing is fetched by merely
//     reading (a tracking pixel in an article stays unseen);
//   - headings start at <h2>: the page's title is its only <h1>;
//   - a single newline is a line break, as the text looked when it was
//     typed in a text box.
package markdown

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/onboardiq/onboardiq/internal/passage"
)

// Render returns src, Markdown, as sanitised HTML.
func Render(src string) template.HTML {
	if src == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// Converting into a buffer does not fail; were it to, the text
		// is still worth showing.
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	return template.HTML(policy.SanitizeBytes(buf.Bytes()))
}

var md = goldmark.New(
	goldmark.WithExtensions(
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)), // align="…", not style="…"
		extension.Strikethrough,
		extension.Linkify,
	),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(demoteHeadings{}, 100))),
	goldmark.WithRendererOptions(
		html.WithHardWraps(),
		renderer.WithNodeRenderers(util.Prioritized(textOnly{}, 100)),
	),
)

// policy allows the elements goldmark writes for the syntax above, and
// nothing else. It is narrower than bluemonday's UGC policy: no images, no
// id (but a heading's own anchor), class (but a code block's language), title or style attributes, no
// form or media elements.
var policy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code",
		"em", "strong", "del", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	// Headings' ids are the renderer's (passage.Anchor, at most 200
	// characters). No {1,200} here: a bounded repeat of a Unicode class
	// compiles to 200 copies of it, 12 MB at every start.
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^`+passage.AnchorPrefix+`[\p{Ll}\p{Lo}\p{N}-]+$`)).OnElements("h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[A-Za-z0-9_+#.-]{1,40}$`)).OnElements("code")
	p.AllowStandardURLs() // http, https, mailto and relative; parseable
	p.AllowAttrs("href").OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true) // with rel="noopener"
	return p
}()

// demoteHeadings moves every heading one level down (# is <h2>), so the
// text's headings sit under the page's own <h1>, and gives each the id its
// passage's anchor names (internal/passage), so a citation can link to it.
type demoteHeadings struct{}

func (demoteHeadings) Transform(doc *ast.Document, r text.Reader, _ parser.Context) {
	seen := map[string]int{}
	src := r.Source()
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			h.Level = min(h.Level+1, 6)
			var raw []byte
			for i := 0; i < h.Lines().Len(); i++ {
				seg := h.Lines().At(i)
				raw = append(raw, seg.Value(src)...)
			}
			h.SetAttributeString("id", []byte(passage.Anchor(strings.TrimSpace(string(raw)), seen)))
		}
		return ast.WalkContinue, nil
	})
}

// textOnly renders raw HTML as escaped text and images as links.
type textOnly struct{}

func (textOnly) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(ast.KindRawHTML, renderRawHTML)
	r.Register(ast.KindHTMLBlock, renderHTMLBlock)
	r.Register(ast.KindImage, renderImage)
}

func renderRawHTML(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		segs := n.(*ast.RawHTML).Segments
		for i := range segs.Len() {
			s := segs.At(i)
			_, _ = w.Write(util.EscapeHTML(s.Value(src)))
		}
	}
	return ast.WalkSkipChildren, nil
}

func renderHTMLBlock(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.HTMLBlock)
	var b bytes.Buffer
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		b.Write(line.Value(src))
	}
	if n.HasClosure() {
		b.Write(n.ClosureLine.Value(src))
	}
	_, _ = w.WriteString("<p>")
	for i, line := range bytes.Split(bytes.TrimRight(b.Bytes(), "\r\n"), []byte("\n")) {
		if i > 0 {
			_, _ = w.WriteString("<br>\n")
		}
		_, _ = w.Write(util.EscapeHTML(bytes.TrimRight(line, "\r")))
	}
	_, _ = w.WriteString("</p>\n")
	return ast.WalkSkipChildren, nil
}

func renderImage(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	label := plainText(n, src)
	dest := util.URLEscape(n.Destination, true)
	if len(dest) == 0 || html.IsDangerousURL(dest) {
		_, _ = w.Write(util.EscapeHTML(label))
		return ast.WalkSkipChildren, nil
	}
	if len(label) == 0 {
		label = n.Destination
	}
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.Write(util.EscapeHTML(dest))
	_, _ = w.WriteString(`">`)
	_, _ = w.Write(util.EscapeHTML(label))
	_, _ = w.WriteString(`</a>`)
	return ast.WalkSkipChildren, nil
}

// plainText is the text inside n (an image's alt text), without markup.
func plainText(n ast.Node, src []byte) []byte {
	var b bytes.Buffer
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.CodeSpan:
			for g := c.FirstChild(); g != nil; g = g.NextSibling() {
				if t, ok := g.(*ast.Text); ok {
					b.Write(t.Segment.Value(src))
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return b.Bytes()
}
