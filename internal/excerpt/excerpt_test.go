package excerpt_test

import (
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/excerpt"
)

// words makes a text of n numbered filler words: w1 w2 … wn.
func words(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		if i > from {
			b.WriteByte(' ')
		}
		b.WriteString("w" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
	}
	return b.String()
}

func TestOf(t *testing.T) {
	long := words(0, 99)
	cases := []struct {
		name, text string
		terms      []string // as to_tsvector('english', q) makes them
		want       string   // Marked()
	}{
		{"words match by their English stems, in any case",
			"Imports fail when the CSV's dates are rejected by the importer.",
			[]string{"import", "fail", "date", "reject"},
			"«Imports» «fail» when the CSV's «dates» are «rejected» by the «importer»"},
		{"a hyphenated word's parts match",
			"Turn on single sign-on for the workspace.",
			[]string{"singl", "sign-on", "sign"},
			"Turn on «single» «sign»-on for the workspace"},
		{"no match: the first words",
			long, []string{"webhook"},
			words(0, excerpt.MaxWords-1)},
		{"no terms (a semantic hit on a query of stop words): the first words",
			"Short text, nothing to mark.", nil,
			"Short text, nothing to mark"},
		{"one match far in: a few words before it, then the rest of the window",
			words(0, 59) + " webhook " + words(61, 99), []string{"webhook"},
			words(56, 59) + " «webhook» " + words(61, 60+excerpt.MaxWords-5)},
		{"two words far apart: two fragments, in the text's order",
			"alpha " + words(1, 49) + " omega " + words(51, 99), []string{"alpha", "omega"},
			"«alpha» " + words(1, excerpt.MaxWords/2-1) + excerpt.Delimiter + words(46, 49) + " «omega» " + words(51, 46+excerpt.MaxWords/2-1)},
		{"the window with the most distinct words wins over the one with most matches",
			"alpha alpha alpha " + words(3, 59) + " alpha omega " + words(62, 99), []string{"alpha", "omega"},
			words(56, 59) + " «alpha» «omega» " + words(62, 56+excerpt.MaxWords-1)},
		{"HTML tags are left out; marks of old headlines are not text",
			"Rotate the <b>webhook</b> secret\uE000 now", []string{"webhook"},
			"Rotate the  «webhook»  secret now"},
		{"an apostrophe inside a word keeps it whole",
			"Don't share the key.", []string{"key"},
			"Don't share the «key»"},
		{"empty text", "", []string{"key"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := excerpt.Of(c.text, c.terms).Marked(); got != c.want {
				t.Errorf("Of(%q…)\n got %q\nwant %q", c.text[:min(len(c.text), 40)], got, c.want)
			}
		})
	}
}

// TestOfParts: the parts alternate as written, the matches flagged, and
// nothing is lost between them.
func TestOfParts(t *testing.T) {
	e := excerpt.Of("Configure webhooks, then test the webhook.", []string{"configur", "webhook"})
	var got []string
	for _, p := range e {
		if p.Match {
			got = append(got, "["+p.Text+"]")
		} else {
			got = append(got, p.Text)
		}
	}
	if want := "[Configure]| |[webhooks]|, then test the |[webhook]"; strings.Join(got, "|") != want {
		t.Errorf("parts %q, want %q", strings.Join(got, "|"), want)
	}
}

// BenchmarkOf cuts the excerpt of a passage for a question of four
// content words: one of about 300 words (the longest a passage runs) and
// one of 45 (a passage of the bench's workspace, on average).
func BenchmarkOf(b *testing.B) {
	sentence := "Imports fail when the file's dates are not in ISO format; fix the column and upload the file again. "
	terms := []string{"import", "fail", "date", "error"}
	for _, c := range []struct {
		name string
		text string
	}{{"longest", strings.Repeat(sentence, 18)}, {"typical", strings.Repeat(sentence, 2) + "Then check the log."}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				excerpt.Of(c.text, terms)
			}
		})
	}
}
