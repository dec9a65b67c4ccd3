package bench

import (
	"strings"
	"testing"
)

func TestCorpusIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := Corpus{Seed: 7}, Corpus{Seed: 7}
	if a.Article(3, 41) != b.Article(3, 41) {
		t.Fatal("the same seed, tenant and index made two articles")
	}
	if a.Article(3, 41) == a.Article(3, 42) || a.Article(3, 41) == (Corpus{Seed: 8}).Article(3, 41) {
		t.Fatal("another index or seed made the same article")
	}
	q1, from1 := a.Query(3, 50, 9)
	q2, from2 := b.Query(3, 50, 9)
	if q1 != q2 || from1 != from2 {
		t.Fatalf("queries differ: %q %q", q1, q2)
	}
}

// TestQueriesHaveAnswers: every question's words come from the article it
// was made from, so each has at least that article to find.
func TestQueriesHaveAnswers(t *testing.T) {
	t.Parallel()
	c := Corpus{Seed: 1}
	for q := range 200 {
		text, from := c.Query(q%5, 30, q)
		if from < 0 || from >= 30 {
			t.Fatalf("query %d made from article %d of 30", q, from)
		}
		a := c.Article(q%5, from)
		body := strings.ToLower(a.Title + " " + a.Content)
		words := strings.Fields(text)
		if len(words) < 2 {
			t.Errorf("query %d: %q is too short", q, text)
		}
		for _, w := range words {
			if !strings.Contains(body, w) {
				t.Errorf("query %d: %q has %q, not in its article %q", q, text, w, a.Title)
			}
		}
	}
}

func TestSizes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		articles, tenants int
		skewed            bool
	}{{200000, 200, true}, {2000, 20, true}, {2000, 20, false}, {10, 3, false}, {7, 7, true}, {5, 9, true}} {
		s := Sizes(tc.articles, tc.tenants, tc.skewed)
		sum := 0
		for i, n := range s {
			sum += n
			if i > 0 && n > s[i-1] {
				t.Errorf("%+v: not largest first: %v", tc, s)
			}
			if tc.articles >= tc.tenants && n < 1 {
				t.Errorf("%+v: a tenant with no article", tc)
			}
		}
		if sum != tc.articles || len(s) != tc.tenants {
			t.Errorf("%+v: %d tenants, %d articles", tc, len(s), sum)
		}
	}
	// Skewed at the full scale: the largest tenant holds about a tenth.
	if s := Sizes(200000, 200, true); s[0] < 18000 || s[0] > 22000 || s[199] < 200 {
		t.Errorf("skewed sizes: largest %d, smallest %d", s[0], s[199])
	}
	if s := Sizes(2000, 20, false); s[0] != 100 || s[19] != 100 {
		t.Errorf("even sizes: %v", s)
	}
}
