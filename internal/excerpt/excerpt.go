// Package excerpt cuts a search hit's excerpt from its passage: the words
// around the query's words, those words marked. It does what PostgreSQL's
// ts_headline did inside the search statement, where parsing every hit's
// passage again was about a fifth of a keyword search's time (docs/ai.md,
// "Excerpts"), in the server, from the query's lexemes as the database
// made them.
package excerpt

import (
	"math/bits"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"

	"github.com/onboardiq/onboardiq"
)

const (
	// MaxWords is the most words an excerpt shows, its fragments together
	// (one, or two when the query's words are too far apart for one).
	MaxWords = 35
	// before is how many words a fragment shows before its first match.
	before = 4
	// Delimiter stands between two fragments.
	Delimiter = " … "
)

// tags are HTML tags, which an excerpt (plain text) leaves out.
var tags = regexp.MustCompile(`</?[A-Za-z][^<>]*>`)

// marks are the two private-use characters the database once marked
// matches with: in an article's text they mean nothing to a reader.
var marks = strings.NewReplacer("\uE000", "", "\uE001", "")

// word is a word of the text: its bytes and whether it matches.
type word struct {
	start, end int
	term       uint64 // the matched lexeme's bit (of the first 64), 0 for none
}

// Of cuts the excerpt of text for a query whose lexemes (PostgreSQL's
// English stems of its words, stop words left out: to_tsvector('english',
// q)) are terms: the fragment of at most MaxWords words that holds the
// most of the query's distinct words, or, when they stand too far apart
// for one, the two (in the text's order) that hold the most between them;
// without a match, the text's first MaxWords words. Words are compared as
// the database compares them: lower-cased and stemmed by the same Snowball
// English stemmer.
func Of(text string, terms []string) onboardiq.Excerpt { return For(terms).Of(text) }

// Cutter cuts the excerpts of one query's hits: what Of does, with the
// query's lexemes looked at once and each word stemmed once for all of
// them.
type Cutter struct{ m *matcher }

// For is the Cutter for a query whose lexemes are terms.
func For(terms []string) *Cutter { return &Cutter{m: newMatcher(terms)} }

// Of cuts the excerpt of text, as the package's Of does.
func (c *Cutter) Of(text string) onboardiq.Excerpt {
	text = tags.ReplaceAllString(marks.Replace(text), " ")
	words := split(text, c.m)
	if len(words) == 0 {
		return nil
	}
	frags := choose(words)
	var e onboardiq.Excerpt
	for i, f := range frags {
		if i > 0 {
			e = appendText(e, Delimiter)
		}
		from := words[f[0]].start
		for _, w := range words[f[0]:f[1]] {
			if w.term == 0 {
				continue
			}
			e = appendText(e, text[from:w.start])
			e = append(e, onboardiq.ExcerptPart{Text: text[w.start:w.end], Match: true})
			from = w.end
		}
		e = appendText(e, text[from:words[f[1]-1].end])
	}
	return e
}

func appendText(e onboardiq.Excerpt, s string) onboardiq.Excerpt {
	if s == "" {
		return e
	}
	if n := len(e); n > 0 && !e[n-1].Match {
		e[n-1].Text += s
		return e
	}
	return append(e, onboardiq.ExcerptPart{Text: s})
}

// split finds the words of text (runs of letters and digits, with an
// apostrophe inside: "don't") and which of them match.
func split(text string, m *matcher) []word {
	words := make([]word, 0, len(text)/6)
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		words = append(words, word{start: start, end: end, term: m.match(text[start:end])})
		start = -1
	}
	for i, r := range text {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r) ||
			(r == '\'' || r == '’') && start >= 0 && isWordByte(text[i+utf8.RuneLen(r):])
		switch {
		case inWord && start < 0:
			start = i
		case !inWord:
			flush(i)
		}
	}
	flush(len(text))
	return words
}

// matcher tells the query's lexeme a word stems to. Stemming is the
// costly part (about 2 µs a word), so it stems only a word that can stem
// to a lexeme, and each such word once: the English stemmer rewrites only
// a word's end, so a word's stem is the word's start but for the stem's
// last letter ("studies" to "studi", "hoping" to "hope", "happily" to
// "happili") — but for three words (dyingLyingTying) its list of
// exceptions makes otherwise.
type matcher struct {
	want     map[string]uint64 // lexeme → its bit
	prefixes []string
	stems    map[string]string
}

func newMatcher(terms []string) *matcher {
	m := &matcher{want: map[string]uint64{}, stems: map[string]string{}}
	for _, l := range terms {
		if l == "" || m.want[l] != 0 || len(m.want) == 64 {
			continue
		}
		m.want[l] = 1 << len(m.want)
		_, last := utf8.DecodeLastRuneInString(l)
		m.prefixes = append(m.prefixes, l[:max(len(l)-last, 1)])
	}
	return m
}

// dyingLyingTying are the words the English stemmer's exceptions stem
// to a stem that does not start as they do ("die", "lie", "tie").
var dyingLyingTying = map[string]bool{"dying": true, "lying": true, "tying": true}

func (m *matcher) match(w string) uint64 {
	if len(m.prefixes) == 0 {
		return 0
	}
	lower := strings.ToLower(w)
	if bit := m.want[lower]; bit != 0 {
		return bit
	}
	candidate := dyingLyingTying[lower]
	for _, p := range m.prefixes {
		if candidate = candidate || strings.HasPrefix(lower, p); candidate {
			break
		}
	}
	if !candidate {
		return 0
	}
	stem, ok := m.stems[lower]
	if !ok {
		stem = english.Stem(lower, true)
		m.stems[lower] = stem
	}
	return m.want[stem]
}

func isWordByte(rest string) bool {
	for _, r := range rest {
		return unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	return false
}

// choose picks the fragments: [from, to) word ranges in the text's order.
func choose(words []word) [][2]int {
	var matches []int
	var found uint64
	for i, w := range words {
		if w.term != 0 {
			matches = append(matches, i)
			found |= w.term
		}
	}
	if len(matches) == 0 {
		return [][2]int{{0, min(len(words), MaxWords)}}
	}
	one := best(words, matches, MaxWords, nil)
	if covered(words, one, nil) == bits.OnesCount64(found) {
		return [][2]int{one}
	}
	// The query's words stand apart: two fragments of half the words,
	// the second holding the most of what the first does not.
	size := MaxWords / 2
	first := best(words, matches, size, nil)
	second := best(words, matches, size, &first)
	if covered(words, first, nil)+covered(words, second, &first) <= covered(words, one, nil) {
		return [][2]int{one}
	}
	if second[0] < first[0] {
		first, second = second, first
	}
	return [][2]int{first, second}
}

// best is the window of at most size words, starting a few words before
// a match, that holds the most distinct matched words not held by except
// (then the most matches, then the earliest), clear of except.
func best(words []word, matches []int, size int, except *[2]int) [2]int {
	var top [2]int
	topDistinct, topCount := -1, -1
	for _, m := range matches {
		from := max(0, m-before)
		to := min(len(words), from+size)
		from = max(0, to-size)
		if except != nil && from < except[1] && except[0] < to {
			// Clear of the first fragment: after it, or before it.
			if m >= except[1] {
				from, to = except[1], min(len(words), except[1]+size)
			} else if m < except[0] {
				from, to = max(0, m-before), except[0]
				to = min(to, from+size)
			} else {
				continue
			}
		}
		w := [2]int{from, to}
		d, n := covered(words, w, except), count(words, w)
		if d > topDistinct || d == topDistinct && n > topCount {
			top, topDistinct, topCount = w, d, n
		}
	}
	return top
}

// covered counts the distinct matched words in w not also in except.
func covered(words []word, w [2]int, except *[2]int) int {
	var seen uint64
	if except != nil {
		for _, x := range words[except[0]:except[1]] {
			seen |= x.term
		}
	}
	var in uint64
	for _, x := range words[w[0]:w[1]] {
		in |= x.term
	}
	return bits.OnesCount64(in &^ seen)
}

func count(words []word, w [2]int) int {
	n := 0
	for _, x := range words[w[0]:w[1]] {
		if x.term != 0 {
			n++
		}
	}
	return n
}
