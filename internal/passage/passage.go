// Package passage splits a knowledge-base article (Markdown) into the
// passages search ranks and the assistant quotes: a passage is one
// section, under its heading, or a part of a long one, and carries its
// article's title and its heading path. Splits fall only between blocks
// (paragraphs, lists, code blocks, tables), so a numbered list of steps or
// a code block is never cut in two. It is pure.
package passage

import (
	"strconv"
	"strings"
	"unicode"
)

// The sizes, in words: a section longer than MaxWords is cut between
// blocks into parts of at most MaxWords (a single longer block stays
// whole), and a last part shorter than MinWords joins the one before it.
const (
	MinWords = 150
	MaxWords = 300
)

// Passage is a part of an article.
type Passage struct {
	Title   string   // the article's title
	Path    []string // the headings above the passage, outermost first; empty before the first heading
	Anchor  string   // the id of the passage's heading in the article's page ("" before the first heading)
	Text    string   // the passage's Markdown, its heading line included
	Words   int
	Ordinal int // 0-based, in the article's order
}

// Heading is the passage's own heading, or "" before the first one.
func (p Passage) Heading() string {
	if len(p.Path) == 0 {
		return ""
	}
	return p.Path[len(p.Path)-1]
}

type block struct {
	text    string
	level   int // a heading's level (1–6); 0 for any other block
	heading string
	words   int
}

// Split splits an article's Markdown into passages, in order. An article
// without text gives none.
func Split(title, markdown string) []Passage {
	var (
		out     []Passage
		path    []string
		levels  []int
		anchor  string
		section []block
		seen    = map[string]int{}
	)
	flush := func() {
		for _, part := range parts(section) {
			var b strings.Builder
			words := 0
			for i, bl := range part {
				if i > 0 {
					b.WriteString("\n\n")
				}
				b.WriteString(bl.text)
				words += bl.words
			}
			if words == 0 && strings.TrimSpace(b.String()) == "" {
				continue
			}
			out = append(out, Passage{Title: title, Path: append([]string(nil), path...), Anchor: anchor, Text: b.String(), Words: words, Ordinal: len(out)})
		}
		section = nil
	}
	for _, bl := range blocks(markdown) {
		if bl.level == 0 {
			section = append(section, bl)
			continue
		}
		flush()
		for len(levels) > 0 && levels[len(levels)-1] >= bl.level {
			levels, path = levels[:len(levels)-1], path[:len(path)-1]
		}
		levels, path = append(levels, bl.level), append(path, bl.heading)
		anchor = Anchor(bl.heading, seen)
		section = []block{bl}
	}
	flush()
	return out
}

// parts cuts a section's blocks into parts of at most MaxWords, between
// blocks; a last part under MinWords joins the one before it.
func parts(section []block) [][]block {
	var out [][]block
	var cur []block
	words := 0
	for _, bl := range section {
		// A heading is never a part on its own: it goes with what follows.
		if len(cur) > 0 && words+bl.words > MaxWords && !(len(cur) == 1 && cur[0].level > 0) {
			out = append(out, cur)
			cur, words = nil, 0
		}
		cur = append(cur, bl)
		words += bl.words
	}
	if len(cur) > 0 {
		if len(out) > 0 && words < MinWords {
			out[len(out)-1] = append(out[len(out)-1], cur...)
		} else {
			out = append(out, cur)
		}
	}
	return out
}

// blocks reads Markdown into headings, fenced code blocks, lists (with
// their continuation lines) and paragraphs or tables (up to a blank line).
func blocks(md string) []block {
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	var out []block
	var cur []string
	kind := ""
	emit := func() {
		if len(cur) > 0 {
			text := strings.Join(cur, "\n")
			out = append(out, block{text: text, words: len(strings.FieldsFunc(text, notWord))})
		}
		cur, kind = nil, ""
	}
	fence := ""
	for _, line := range lines {
		trimmed := strings.TrimSpace(line)
		switch {
		case fence != "":
			cur = append(cur, line)
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
				emit()
			}
			continue
		case strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~"):
			emit()
			fence, kind = trimmed[:3], "code"
			cur = append(cur, line)
			continue
		}
		if level, text := heading(line); level > 0 {
			emit()
			out = append(out, block{text: line, level: level, heading: text, words: len(strings.FieldsFunc(text, notWord))})
			continue
		}
		if trimmed == "" {
			if kind == "list" {
				// A blank line inside a list ends it only when what follows
				// is neither an item nor indented (decided on the next line).
				cur = append(cur, line)
				continue
			}
			emit()
			continue
		}
		item := listItem(trimmed)
		switch {
		case kind == "list" && (item || line != trimmed):
			cur = append(cur, line)
		case kind == "list":
			// The list ended at the blank lines before this line.
			for len(cur) > 0 && strings.TrimSpace(cur[len(cur)-1]) == "" {
				cur = cur[:len(cur)-1]
			}
			emit()
			cur, kind = []string{line}, "para"
		case item:
			emit()
			cur, kind = []string{line}, "list"
		default:
			if kind == "" {
				kind = "para"
			}
			cur = append(cur, line)
		}
	}
	for len(cur) > 0 && strings.TrimSpace(cur[len(cur)-1]) == "" {
		cur = cur[:len(cur)-1]
	}
	emit()
	return out
}

func notWord(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// heading reads an ATX heading line ("## Set up SAML"), or level 0.
func heading(line string) (int, string) {
	if len(line) == 0 || line[0] != '#' {
		return 0, ""
	}
	n := 0
	for n < len(line) && line[n] == '#' {
		n++
	}
	if n > 6 || n < len(line) && line[n] != ' ' && line[n] != '\t' {
		return 0, ""
	}
	text := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(line[n:]), "#"))
	return n, text
}

// listItem reports whether a line starts a list item: "- ", "* ", "+ ",
// "1. " or "1) ".
func listItem(s string) bool {
	if len(s) >= 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && s[1] == ' ' {
		return true
	}
	i := 0
	for i < len(s) && i < 9 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(s) && (s[i] == '.' || s[i] == ')') && s[i+1] == ' '
}

// AnchorPrefix starts every anchor.
const AnchorPrefix = "sec-"

// Anchor is the id a heading gets in the article's page: "sec-", then the
// heading in lower case, letters and digits kept, spaces and hyphens as
// one hyphen, the rest dropped; a repeated one gets "-1", "-2" … as seen
// counts them. The prefix keeps an article's ids apart from the page's
// own (a heading "Preview" must not clobber the page's #preview).
func Anchor(heading string, seen map[string]int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '_':
			dash = true
		}
	}
	id := b.String()
	if id == "" {
		id = "section"
	}
	id = AnchorPrefix + id
	if n := seen[id]; n > 0 {
		seen[id] = n + 1
		return id + "-" + strconv.Itoa(n)
	}
	seen[id] = 1
	return id
}

// ValidAnchor reports whether s could be an id Anchor made: lower-case
// letters, digits and single hyphens between them.
func ValidAnchor(s string) bool {
	if s == "" || len(s) > 200 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, r := range s {
		if r != '-' && !unicode.IsDigit(r) && !(unicode.IsLetter(r) && !unicode.IsUpper(r)) {
			return false
		}
	}
	return true
}
