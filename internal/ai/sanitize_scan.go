package ai

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"
)

// The scanners of the sanitiser: each finds where a Markdown or HTML
// construct ends, within its bound, and says "more" when the input ends
// first and could still complete it.

// tagEnd finds the ">" that closes the tag-like text at the start of b,
// skipping quoted attribute values; a "<" or a blank line on the way means
// it is not a tag.
func tagEnd(b []byte, final bool) (int, status) {
	var quote byte
	for i := 1; i < len(b); i++ {
		if i >= maxTag {
			return 0, absent
		}
		c := b[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i, found
		case c == '<':
			return 0, absent
		}
		if c == '\n' {
			switch blankLineAt(b, i, final) {
			case found:
				return 0, absent
			case more:
				return 0, more
			}
		}
	}
	if final {
		return 0, absent
	}
	return 0, more
}

// matchBracket finds the "]" that closes the "[" at open, counting nested
// brackets and skipping escapes, within a paragraph and maxLabel.
func matchBracket(b []byte, open int, final bool) (int, status) {
	depth := 0
	for i := open; i < len(b); i++ {
		if i-open > maxLabel {
			return 0, absent
		}
		switch b[i] {
		case '\\':
			i++
		case '[':
			depth++
		case ']':
			if depth--; depth == 0 {
				return i, found
			}
		case '\n':
			switch blankLineAt(b, i, final) {
			case found:
				return 0, absent
			case more:
				return 0, more
			}
		}
	}
	if final {
		return 0, absent
	}
	return 0, more
}

// label finds the end (after "]") of the reference label "[…]" at open.
func label(b []byte, open int, final bool) (int, status) {
	for i := open + 1; i < len(b); i++ {
		if i-open > maxLabel {
			return 0, absent
		}
		switch b[i] {
		case '\\':
			i++
		case '[':
			return 0, absent
		case ']':
			return i + 1, found
		case '\n':
			switch blankLineAt(b, i, final) {
			case found:
				return 0, absent
			case more:
				return 0, more
			}
		}
	}
	if final {
		return 0, absent
	}
	return 0, more
}

// blankLineAt reports whether the line after the newline at i is blank.
func blankLineAt(b []byte, i int, final bool) status {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case ' ', '\t', '\r':
			continue
		case '\n':
			return found
		}
		return absent
	}
	if final {
		return found
	}
	return more
}

// destination parses the "(destination "title")" of an inline link at
// open: the end (after ")"), the destination's bounds, and whether it is
// well formed.
func destination(b []byte, open int, final bool) (end, from, to int, st status) {
	need := func() (int, int, int, status) {
		if final || len(b)-open > maxDest {
			return 0, 0, 0, absent
		}
		return 0, 0, 0, more
	}
	i, ok := space(b, open+1)
	if !ok {
		return 0, 0, 0, absent
	}
	if i >= len(b) {
		return need()
	}
	from = i
	switch {
	case b[i] == '<':
		for i++; ; i++ {
			if i >= len(b) {
				return need()
			}
			if c := b[i]; c == '\\' {
				i++
			} else if c == '>' {
				break
			} else if c == '<' || c == '\n' {
				return 0, 0, 0, absent
			}
		}
		i++
	default:
		depth := 0
	raw:
		for ; ; i++ {
			if i >= len(b) {
				return need()
			}
			switch c := b[i]; {
			case c == '\\':
				i++
			case c <= ' ' || c == 0x7f:
				break raw
			case c == '(':
				depth++
			case c == ')':
				if depth == 0 {
					break raw
				}
				depth--
			}
		}
	}
	to = i
	if i, ok = space(b, i); !ok {
		return 0, 0, 0, absent
	}
	if i >= len(b) {
		return need()
	}
	if c := b[i]; (c == '"' || c == '\'' || c == '(') && i > to {
		closer := c
		if c == '(' {
			closer = ')'
		}
		for i++; ; i++ {
			if i >= len(b) {
				return need()
			}
			if b[i] == '\\' {
				i++
			} else if b[i] == closer {
				break
			} else if b[i] == '\n' {
				switch blankLineAt(b, i, final) {
				case found:
					return 0, 0, 0, absent
				case more:
					return need()
				}
			}
		}
		if i, ok = space(b, i+1); !ok {
			return 0, 0, 0, absent
		}
		if i >= len(b) {
			return need()
		}
	}
	if b[i] != ')' {
		return 0, 0, 0, absent
	}
	if i+1-open > maxDest {
		return 0, 0, 0, absent
	}
	return i + 1, from, to, found
}

// space skips spaces and tabs and at most one line ending; a blank line
// ends the search (false).
func space(b []byte, i int) (int, bool) {
	newline := false
	for ; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t', '\r':
		case '\n':
			if newline {
				return i, false
			}
			newline = true
		default:
			return i, true
		}
	}
	return i, true
}

// definition finds the destination of a reference definition "[label]:"
// whose ":" ends at i: found (its bounds), absent (none follows: a blank
// line or the end, so it is no definition), invalid (one too long to
// check) or more.
func definition(b []byte, i int, final bool) (from, to int, st status) {
	i, ok := space(b, i)
	switch {
	case !ok:
		return 0, 0, absent
	case i >= len(b) && final:
		return 0, 0, absent
	case i >= len(b):
		return 0, 0, more
	}
	from = i
	for ; ; i++ {
		if i-from > maxDest {
			return 0, 0, invalid
		}
		if i >= len(b) {
			if final {
				return from, i, found
			}
			return 0, 0, more
		}
		c := b[i]
		if b[from] == '<' {
			if c == '>' {
				return from, i + 1, found
			}
			continue
		}
		if c <= ' ' || c == 0x7f {
			return from, i, found
		}
	}
}

// safeDestination reports whether a link destination (in angle brackets
// or not) is an http, https or mailto URL made of characters that cannot
// make markup of their own if a renderer does not read the link.
func safeDestination(d []byte) bool {
	if len(d) >= 2 && d[0] == '<' && d[len(d)-1] == '>' {
		d = d[1 : len(d)-1]
	}
	lower := strings.ToLower(string(d))
	ok := false
	for _, p := range []string{"http://", "https://", "mailto:"} {
		ok = ok || (strings.HasPrefix(lower, p) && len(lower) > len(p))
	}
	return ok && inert(d)
}

// inert reports whether text kept as it is (a URL) holds nothing that
// makes markup when a renderer reads it as plain text instead (a code span
// that began earlier can end inside it): no space, quote, backslash,
// backtick, bracket or angle bracket.
func inert(b []byte) bool {
	return !bytes.ContainsFunc(b, func(r rune) bool {
		return r <= ' ' || r == 0x7f || strings.ContainsRune("<>\"'\\`[]", r)
	})
}

var autolinkRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]{1,31}):[^\x00-\x20<>\x7f]*$`)

// autolink reports whether the text between < and > is a URI autolink,
// and its scheme (lower case).
func autolink(inner []byte) (string, bool) {
	m := autolinkRE.FindSubmatch(inner)
	if m == nil {
		return "", false
	}
	return strings.ToLower(string(m[1])), true
}

var emailAutolink = regexp.MustCompile(`^[a-zA-Z0-9.!#$%&*+/=?^_{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)

// htmlElement reports whether the text after < (or </) starts with the
// name of an HTML, SVG or MathML element, ending where a tag name ends.
func htmlElement(inner []byte) bool {
	n := 0
	for n < len(inner) && (asciiLetter(inner[n]) || (n > 0 && (inner[n] >= '0' && inner[n] <= '9' || inner[n] == '-'))) {
		n++
	}
	if n < len(inner) && !strings.ContainsRune(" \t\r\n/", rune(inner[n])) {
		return false
	}
	return elements[strings.ToLower(string(inner[:n]))]
}

var elements = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Fields(`a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big blink
		blockquote body br button canvas caption center cite code col colgroup data datalist dd del details dfn dialog dir div dl dt
		em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe
		image img input ins isindex kbd keygen label legend li link listing main map mark marquee math menu menuitem meta meter
		multicol nav nextid nobr noembed noframes noscript object ol optgroup option output p param picture plaintext portal pre
		progress q rb rp rt rtc ruby s samp script search section select slot small source spacer span strike strong style sub
		summary sup svg table tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr xmp
		animate animatemotion animatetransform circle clippath defs desc ellipse feimage filter foreignobject g line
		lineargradient marker mask path pattern polygon polyline radialgradient rect set stop symbol text textpath tspan use view
		maction annotation annotation-xml math mi mn mo mrow ms mtext semantics`) {
		m[e] = true
	}
	return m
}()

func asciiLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func asciiPunct(c byte) bool {
	return c < utf8.RuneSelf && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) >= 0
}

// tagStart reports whether c after "<" could begin raw HTML.
func tagStart(c byte) bool { return asciiLetter(c) || c == '/' || c == '!' || c == '?' }
