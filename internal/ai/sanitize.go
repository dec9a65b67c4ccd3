package ai

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Model output is Markdown written from text that others control (articles,
// tasks, comments, the question), so it is made safe to render with any
// CommonMark renderer, raw HTML allowed or not, before it is streamed,
// returned or stored:
//
//   - no images: ![alt](…), ![alt][ref], ![alt][] and ![alt] become their
//     alt text, and no "![" is left that a renderer could read as one;
//   - links only to http, https and mailto: an inline link or a reference
//     definition with any other destination (javascript:, data:, a relative
//     path) loses the destination, and its "](" or "]:" is escaped; an
//     autolink with another scheme is escaped, so it shows as text;
//   - no raw HTML: tags of HTML elements (<img>, <video poster=…>, <a>,
//     <script>…), comments, declarations and processing instructions are
//     dropped; anything else that starts like a tag (<token>) is escaped as
//     &lt;, so it shows as text.
//
// The rules act on small tokens that begin at \, !, <, or ], so the same
// text gives the same output however it is cut into pieces: Sanitizer holds
// back only what it cannot decide yet (a "![…](" or "<…" or "](…" that is
// not complete, at most a few kilobytes), and Sanitize(s) is the
// concatenation of a stream's pieces. Where dropping something would leave
// two characters side by side that make markup ("<" and a letter, "!" and
// "[", "]" and "(" or ":"), the first is escaped.

// Bounds on what is held back: a tag, comment or autolink longer than
// maxTag, alt text or a label longer than maxLabel, or a destination and
// title longer than maxDest is not markup, and its first character is
// escaped.
const (
	maxTag   = 2048
	maxLabel = 1000
	maxDest  = 2048
)

// Sanitizer sanitises a stream of text: Write returns what may be shown of
// the text so far, Flush the rest at the end.
type Sanitizer struct {
	pending []byte // input not yet decided
	held    byte   // the last character out when it could make markup with the next ('<', '!' or ']')
}

// Sanitize makes a whole answer safe to render (see Sanitizer).
func Sanitize(s string) string {
	var z Sanitizer
	return z.Write(s) + z.Flush()
}

// Write adds text and returns the sanitised output it allows.
func (z *Sanitizer) Write(s string) string {
	z.pending = append(z.pending, s...)
	return z.run(false)
}

// Flush ends the stream and returns the rest of the output.
func (z *Sanitizer) Flush() string {
	out := z.run(true)
	if z.held != 0 {
		out += string(z.held)
		z.held = 0
	}
	return out
}

func (z *Sanitizer) run(final bool) string {
	var out strings.Builder
	i := 0
	for i < len(z.pending) {
		seg, hold, n := step(z.pending[i:], final)
		if n == 0 {
			break // more input is needed to decide
		}
		z.emit(&out, seg, hold)
		i += n
	}
	z.pending = z.pending[:copy(z.pending, z.pending[i:])]
	return out.String()
}

// emit writes seg after the held character, escaping that one if the two
// would make markup; with hold, seg's last character is held in turn.
func (z *Sanitizer) emit(out *strings.Builder, seg string, hold bool) {
	if seg == "" {
		return // something dropped: the held character waits for what follows
	}
	if z.held != 0 {
		c := seg[0]
		switch {
		case z.held == '<' && tagStart(c):
			out.WriteString("&lt;")
		case z.held == '!' && c == '[', z.held == ']' && (c == '(' || c == ':'):
			out.WriteByte(z.held)
			out.WriteByte('\\')
		default:
			out.WriteByte(z.held)
		}
		z.held = 0
	}
	if hold {
		out.WriteString(seg[:len(seg)-1])
		z.held = seg[len(seg)-1]
		return
	}
	out.WriteString(seg)
}

// status is what a scan found.
type status int

const (
	found   status = iota
	absent         // not there: the text is not markup
	more           // the input ends before it is known
	invalid        // there, but too long to check
)

// step decides the token at the start of b: the output for it, whether
// the output's last character is held, and the bytes consumed (0: more
// input is needed).
func step(b []byte, final bool) (string, bool, int) {
	switch c := b[0]; c {
	case '\\':
		if len(b) < 2 {
			if final {
				return `\`, false, 1
			}
			return "", false, 0
		}
		if asciiPunct(b[1]) {
			return string(b[:2]), false, 2
		}
		return `\`, false, 1
	case '!':
		return image(b, final)
	case '<':
		return angle(b, final)
	case ']':
		return closing(b, final)
	}
	i := 0
	for i < len(b) {
		c := b[i]
		if c == '\\' || c == '!' || c == '<' || c == ']' {
			break
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		if !utf8.FullRune(b[i:]) {
			if final {
				i = len(b)
			}
			break // a character cut between pieces: wait for the rest
		}
		_, size := utf8.DecodeRune(b[i:])
		i += size
	}
	return string(b[:i]), false, i
}

// image handles "!": an image becomes its alt text.
func image(b []byte, final bool) (string, bool, int) {
	if len(b) < 2 {
		if final {
			return "!", true, 1
		}
		return "", false, 0
	}
	if b[1] != '[' {
		return "!", true, 1
	}
	end, st := matchBracket(b, 1, final)
	switch st {
	case more:
		return "", false, 0
	case absent:
		return "!", true, 1 // the "[" that follows is escaped
	}
	n := end + 1
	if n == len(b) {
		if !final {
			return "", false, 0
		}
		return altText(b[2:end]), false, n
	}
	switch b[n] {
	case '(':
		end, _, _, st := destination(b, n, final)
		if st == more {
			return "", false, 0
		}
		if st == found {
			n = end
		}
	case '[':
		end, st := label(b, n, final)
		if st == more {
			return "", false, 0
		}
		if st == found {
			n = end
		}
	}
	return altText(b[2:end]), false, n
}

// altText is an image's alt text as plain text: sanitised, without the
// characters that could make markup with what surrounds it.
func altText(b []byte) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]!<>\`, r) {
			return -1
		}
		return r
	}, Sanitize(string(b)))
}

// closing handles "]": an inline link or a reference definition keeps a
// safe destination and loses any other.
func closing(b []byte, final bool) (string, bool, int) {
	if len(b) < 2 {
		if final {
			return "]", true, 1
		}
		return "", false, 0
	}
	switch b[1] {
	case '(':
		end, from, to, st := destination(b, 1, final)
		switch {
		case st == more:
			return "", false, 0
		case st == absent:
			return "]", true, 1 // not a link: its "(" is escaped
		case safeDestination(b[from:to]):
			return "](" + string(b[from:to]) + ")", false, end
		}
		return "]", true, end // the destination (and title) dropped
	case ':':
		from, to, st := definition(b, 2, final)
		switch {
		case st == more:
			return "", false, 0
		case st == absent:
			return "]:", false, 2 // nothing follows: no definition ("[1]:" and a new paragraph)
		case st == found && safeDestination(b[from:to]):
			return string(b[:to]), false, to
		}
		return "]", true, 1 // its ":" is escaped: not a definition
	}
	return "]", true, 1
}

// angle handles "<": raw HTML is dropped or escaped, autolinks are kept
// when safe.
func angle(b []byte, final bool) (string, bool, int) {
	if len(b) < 2 {
		if final {
			return "<", true, 1
		}
		return "", false, 0
	}
	switch c := b[1]; {
	case asciiLetter(c):
		end, st := tagEnd(b, final)
		switch st {
		case more:
			return "", false, 0
		case absent:
			return "<", true, 1
		}
		inner := b[1:end]
		if scheme, ok := autolink(inner); ok {
			if (scheme == "http" || scheme == "https" || scheme == "mailto") && inert(inner) {
				return string(b[:end+1]), false, end + 1
			}
			// Another scheme (javascript:, or XML's <saml:Issuer>), or one a
			// renderer may not read as a link: escaped, its text stays.
			return "<", true, 1
		}
		if emailAutolink.Match(inner) {
			return string(b[:end+1]), false, end + 1
		}
		if htmlElement(inner) {
			return "", false, end + 1
		}
		return "<", true, 1
	case c == '/':
		if len(b) < 3 {
			if final {
				return "<", true, 1
			}
			return "", false, 0
		}
		if !asciiLetter(b[2]) {
			return "<", true, 1
		}
		end, st := tagEnd(b, final)
		switch {
		case st == more:
			return "", false, 0
		case st == found && htmlElement(b[2:end]):
			return "", false, end + 1
		}
		return "<", true, 1
	case c == '!':
		for _, d := range []struct{ open, close string }{{"<!--", "-->"}, {"<![CDATA[", "]]>"}, {"<!", ">"}} {
			if !bytes.HasPrefix(b, []byte(d.open)) {
				if len(b) < len(d.open) && bytes.HasPrefix([]byte(d.open), b) && !final {
					return "", false, 0
				}
				continue
			}
			if d.open == "<!" && (len(b) < 3 || !asciiLetter(b[2])) {
				break
			}
			return dropThrough(b, len(d.open), d.close, final)
		}
		return "<", true, 1
	case c == '?':
		return dropThrough(b, 2, "?>", final)
	}
	return "<", true, 1
}

// dropThrough drops b up to and including the first end after from, or
// escapes the "<" when there is none within maxTag.
func dropThrough(b []byte, from int, end string, final bool) (string, bool, int) {
	limit := min(len(b), maxTag)
	if i := bytes.Index(b[from:limit], []byte(end)); i >= 0 {
		return "", false, from + i + len(end)
	}
	if len(b) < maxTag && !final {
		return "", false, 0
	}
	return "<", true, 1
}
