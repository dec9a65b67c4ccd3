// Package mention finds who a comment @mentions: pure, so the rules are
// tested without a database.
//
// A mention is "@" followed by a person's email address or full name, in any
// case, where the "@" does not follow a letter or digit (so the "@" inside
// an address written in the text is not one) and the match ends at a word
// boundary ("@Priya Patel," and "@priya@acme.example." mention Priya; "@Priyanka"
// does not). When names overlap the longest match wins ("@Ann Lee" is Ann
// Lee, not Ann); a name two people share mentions neither (their addresses
// do).
package mention

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Person is someone who may be mentioned.
type Person struct{ Name, Email string }

// Find returns the indexes in people of those body mentions, each once, in
// the order of their first mention.
func Find(body string, people []Person) []int {
	var out []int
	seen := map[int]bool{}
	for i := 0; i < len(body); i++ {
		if body[i] != '@' {
			continue
		}
		if i > 0 {
			r, _ := utf8.DecodeLastRuneInString(body[:i])
			if wordRune(r) {
				continue
			}
		}
		rest := body[i+1:]
		best, who := 0, -1
		ambiguous := false
		for j, p := range people {
			for _, tok := range []string{strings.TrimSpace(p.Email), strings.TrimSpace(p.Name)} {
				n := prefix(rest, tok)
				switch {
				case n == 0 || n < best:
				case n > best:
					best, who, ambiguous = n, j, false
				case who != j:
					ambiguous = true
				}
			}
		}
		if who >= 0 && !ambiguous && !seen[who] {
			seen[who] = true
			out = append(out, who)
		}
	}
	return out
}

// prefix returns how many bytes of s tok matches at its start, ignoring
// case and ending at a boundary, or 0.
func prefix(s, tok string) int {
	if tok == "" || len(s) < len(tok) || !strings.EqualFold(s[:len(tok)], tok) {
		return 0
	}
	if !boundary(s[len(tok):]) {
		return 0
	}
	return len(tok)
}

// boundary reports whether a mention may end before s: at its end, or
// before anything that cannot continue a name or address. A full stop ends
// it only when no letter or digit follows (the end of a sentence, not of
// "priya@acme.example" mentioned as "@priya@acme").
func boundary(s string) bool {
	if s == "" {
		return true
	}
	r, n := utf8.DecodeRuneInString(s)
	switch {
	case wordRune(r) || r == '@' || r == '-':
		return false
	case r == '.':
		next, _ := utf8.DecodeRuneInString(s[n:])
		return n == len(s) || !wordRune(next)
	}
	return true
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }
