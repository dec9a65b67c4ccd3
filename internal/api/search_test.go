package api_test

import (
	"strings"
	"testing"
)

// TestSearchNonsenseFindsNothing: a query about nothing in the knowledge
// base answers 200 with no hits in every mode, not the nearest articles;
// the snippet stays plain text, its matches marked «like this».
func TestSearchNonsenseFindsNothing(t *testing.T) {
	t.Parallel()
	e := newDemoEnv(t)
	for _, mode := range []string{"hybrid", "semantic", "keyword"} {
		for _, caller := range []string{"admin", "contact"} {
			res, body := e.search(t, caller, "zebra xylophone", mode)
			if len(res.Hits) != 0 || !strings.Contains(body, `"hits":[]`) {
				t.Errorf("%s, %s: %s", caller, mode, body)
			}
		}
	}
	res, _ := e.search(t, "admin", "rotate the webhook signing secret", "hybrid")
	if len(res.Hits) == 0 {
		t.Fatal("no hits for a webhook question")
	}
	for _, h := range res.Hits {
		if strings.ContainsAny(h.Snippet, "\uE000\uE001") || strings.Contains(h.Snippet, "<mark>") {
			t.Errorf("snippet %q: not plain text", h.Snippet)
		}
	}
	if s := res.Hits[0].Snippet; !strings.Contains(s, "«") {
		t.Errorf("the first snippet does not mark the matches: %q", s)
	}
}
