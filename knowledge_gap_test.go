package onboardiq

import (
	"strings"
	"testing"
)

func TestArticleDraftFromGap(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("very long question ", 10) + "?"
	g := GapGroup{Representative: GapQuestion{Question: "  How do I set up   SSO? "}, Public: true, Questions: []GapQuestion{
		{Question: "How do I set up SSO?"}, {Question: "SSO setup steps"}, {Question: "sso setup STEPS"}, {Question: "configure single\nsign-on"},
	}}
	d := ArticleDraftFromGap(g)
	if d.Title != "How do I set up SSO" || d.Visibility != VisibilityPublic {
		t.Errorf("title %q, visibility %s", d.Title, d.Visibility)
	}
	want := "- How do I set up SSO?\n- SSO setup steps\n- configure single sign-on\n"
	if !strings.Contains(d.Content, want) {
		t.Errorf("content %q, want the questions once each as a list:\n%s", d.Content, want)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("the draft is not a valid article: %v", err)
	}
	g.Representative.Question, g.Public = long, false
	d = ArticleDraftFromGap(g)
	if n := len([]rune(d.Title)); n > 100 || d.Visibility != VisibilityInternal {
		t.Errorf("a long question: title of %d characters, visibility %s", n, d.Visibility)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("the draft of a long question is not a valid article: %v", err)
	}
}

func TestAnswerRatingNormalise(t *testing.T) {
	t.Parallel()
	r := AnswerRating{Comment: "  missing Okta  "}
	if err := r.Normalise(); err != nil || r.Comment != "missing Okta" {
		t.Errorf("%q, %v", r.Comment, err)
	}
	r = AnswerRating{Comment: strings.Repeat("é", MaxRatingComment+1)}
	if err := r.Normalise(); ErrorField(err) != "comment" {
		t.Errorf("a long comment: %v, want invalid comment", err)
	}
	r = AnswerRating{Comment: strings.Repeat("é", MaxRatingComment)}
	if err := r.Normalise(); err != nil {
		t.Errorf("a comment of the maximum length: %v", err)
	}
}
