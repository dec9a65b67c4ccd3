package markdown

import (
	"html/template"
	"regexp"
	"strings"

	"github.com/onboardiq/onboardiq"
)

// Highlight renders a search excerpt: the text escaped, with the Markdown
// punctuation of its source taken out (a passage cut from an article is
// not whole Markdown, and "## Limits | Scope |" reads badly), and each
// matched part in <mark>. Nothing in the text becomes markup.
func Highlight(e onboardiq.Excerpt) template.HTML {
	var b strings.Builder
	for i, p := range e {
		t := Plain(p.Text)
		if i == 0 {
			t = strings.TrimLeft(t, " ")
		}
		if i == len(e)-1 {
			t = strings.TrimRight(t, " ")
		}
		if t == "" {
			continue
		}
		if p.Match {
			b.WriteString("<mark>" + template.HTMLEscapeString(t) + "</mark>")
		} else {
			b.WriteString(template.HTMLEscapeString(t))
		}
	}
	return template.HTML(b.String())
}

var (
	plainLink      = regexp.MustCompile(`!?\[([^\]\n]*)\]\([^)\n]*\)`)                     // [text](url), ![alt](url): the text
	plainLineStart = regexp.MustCompile(`(?m)^[ \t]*(?:#{1,6}|>|[-*+]|\d{1,9}[.)])[ \t]+`) // heading, quote and list marks
	plainRule      = regexp.MustCompile(`(?m)^[ \t|:-]*-{3,}[ \t|:-]*$`)                   // table separators, rules
	plainEmphasis  = regexp.MustCompile("\\*{1,3}|_{2,3}|~~|`+")
	plainSpace     = regexp.MustCompile(`[ \t\r\n|]+`) // table pipes too
)

// Plain takes the Markdown punctuation out of a passage of Markdown and
// folds its lines into one, for a one-line excerpt. It returns text, not
// HTML.
func Plain(s string) string {
	s = plainLink.ReplaceAllString(s, "$1")
	s = plainRule.ReplaceAllString(s, " ")
	s = plainLineStart.ReplaceAllString(s, "")
	s = plainEmphasis.ReplaceAllString(s, "")
	return plainSpace.ReplaceAllString(s, " ")
}
