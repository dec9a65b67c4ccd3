package mention_test

import (
	"slices"
	"testing"

	"github.com/onboardiq/onboardiq/internal/mention"
)

func TestFind(t *testing.T) {
	t.Parallel()
	people := []mention.Person{
		{Name: "Priya Patel", Email: "priya@acme.example"},  // 0
		{Name: "Ann", Email: "ann@acme.example"},            // 1
		{Name: "Ann Lee", Email: "ann.lee@initech.example"}, // 2
		{Name: "Sam Doe", Email: "sam1@acme.example"},       // 3
		{Name: "Sam Doe", Email: "sam2@acme.example"},       // 4
		{Name: "Zoë Ölund", Email: "zoe@initech.example"},   // 5
	}
	for _, c := range []struct {
		name, body string
		want       []int
	}{
		{"none", "Thanks, all done.", nil},
		{"full name", "@Priya Patel can you check?", []int{0}},
		{"any case", "ping @priya patel", []int{0}},
		{"email", "cc @priya@acme.example.", []int{0}},
		{"email in capitals", "cc @PRIYA@ACME.EXAMPLE", []int{0}},
		{"name then punctuation", "Thanks @Priya Patel, done.", []int{0}},
		{"name at end of sentence", "Ask @Priya Patel.", []int{0}},
		{"longer word is not the name", "@Priya Patelson please", nil},
		{"first name alone is not a mention of Priya", "@Priya please", nil},
		{"longest name wins", "@Ann Lee, and @Ann too", []int{2, 1}},
		{"an address in the text is not a mention", "write to priya@acme.example", nil},
		{"an address prefix is not a mention", "@priya@acme.examples", nil},
		{"dotted continuation is not the end", "@ann@acme.example.org", nil},
		{"shared name is ambiguous", "@Sam Doe look", nil},
		{"shared name by email", "@sam2@acme.example look", []int{4}},
		{"once each, in order", "@Ann Lee @Priya Patel @ann lee", []int{2, 0}},
		{"after a parenthesis", "(@Ann) ok", []int{1}},
		{"non-ASCII name", "merci @zoë ölund!", []int{5}},
		{"bare at", "@ alone @", nil},
		{"hyphen continues", "@Ann-Marie hi", nil},
	} {
		if got := mention.Find(c.body, people); !slices.Equal(got, c.want) {
			t.Errorf("%s: Find(%q) = %v, want %v", c.name, c.body, got, c.want)
		}
	}
}
